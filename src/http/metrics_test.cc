// /metrics text: gauges, counters and the cumulative latency histogram.
#include "http/metrics.h"

#include <gtest/gtest.h>

namespace pushmail::http {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.Opened(Metrics::Kind::kEventSource);
  m.Opened(Metrics::Kind::kHttp);
  m.Closed(Metrics::Kind::kHttp);
  m.Responded(200);
  m.Responded(404);
  m.Responded(999);
  m.Pushed(2, std::chrono::microseconds(80));
  m.Pushed(1, std::chrono::seconds(5));
  std::string text = m.Render({{"pushmail_store_commits_total", "counter", "commits", "", 7},
                               {"pushmail_connections", "gauge", "", "kind=\"imap\"", 3}});
  for (const char* line :
       {"pushmail_connections{kind=\"http\"} 0\n", "pushmail_connections{kind=\"eventsource\"} 1\n",
        "pushmail_connections{kind=\"imap\"} 3\n",
        "pushmail_http_responses_total{code=\"2xx\"} 1\n",
        "pushmail_http_responses_total{code=\"4xx\"} 1\n", "pushmail_pushes_total 3\n",
        "pushmail_push_latency_seconds_bucket{le=\"5e-05\"} 0\n",
        "pushmail_push_latency_seconds_bucket{le=\"0.0001\"} 1\n",
        "pushmail_push_latency_seconds_bucket{le=\"1\"} 1\n",
        "pushmail_push_latency_seconds_bucket{le=\"+Inf\"} 2\n",
        "pushmail_push_latency_seconds_count 2\n", "# TYPE pushmail_store_commits_total counter\n",
        "pushmail_store_commits_total 7\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

}  // namespace
}  // namespace pushmail::http
