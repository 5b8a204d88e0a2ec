#include "http/metrics.h"

#include <fmt/format.h>

namespace pushmail::http {

void Metrics::Responded(unsigned status) {
  size_t i = status >= 100 && status < 600 ? status / 100 - 1 : 5;
  responses_[i].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::Pushed(unsigned events, std::chrono::steady_clock::duration latency) {
  pushes_.fetch_add(events, std::memory_order_relaxed);
  auto us =
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(latency).count());
  for (size_t i = 0; i < kBucketsUs.size(); ++i) {
    if (us <= kBucketsUs[i]) {
      buckets_[i].fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  latency_count_.fetch_add(1, std::memory_order_relaxed);
  latency_sum_us_.fetch_add(us, std::memory_order_relaxed);
}

std::string Metrics::Render(const std::vector<Sample>& extra) const {
  std::string out;
  auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };
  line("# HELP pushmail_connections Open connections by kind.");
  line("# TYPE pushmail_connections gauge");
  line(fmt::format("pushmail_connections{{kind=\"http\"}} {}", open_[0].load()));
  line(fmt::format("pushmail_connections{{kind=\"eventsource\"}} {}", open_[1].load()));
  line(fmt::format("pushmail_connections{{kind=\"websocket\"}} {}", open_[2].load()));
  for (const auto& s : extra) {
    if (s.name.starts_with("pushmail_connections")) {
      line(fmt::format("{}{{{}}} {}", s.name, s.labels, s.value));
    }
  }
  line("# HELP pushmail_http_responses_total HTTP responses by status class.");
  line("# TYPE pushmail_http_responses_total counter");
  for (size_t i = 0; i < 5; ++i) {
    line(fmt::format("pushmail_http_responses_total{{code=\"{}xx\"}} {}", i + 1,
                     responses_[i].load()));
  }
  line("# HELP pushmail_pushes_total StateChange events written to push connections.");
  line("# TYPE pushmail_pushes_total counter");
  line(fmt::format("pushmail_pushes_total {}", pushes_.load()));
  line("# HELP pushmail_websocket_pushes_total StateChanges written to WebSocket connections.");
  line("# TYPE pushmail_websocket_pushes_total counter");
  line(fmt::format("pushmail_websocket_pushes_total {}", ws_pushes_.load()));
  line("# HELP pushmail_websocket_messages_total JMAP messages received over WebSocket.");
  line("# TYPE pushmail_websocket_messages_total counter");
  line(fmt::format("pushmail_websocket_messages_total {}", ws_messages_.load()));
  line("# HELP pushmail_websocket_failures_total WebSocket connections failed for a bad frame.");
  line("# TYPE pushmail_websocket_failures_total counter");
  line(fmt::format("pushmail_websocket_failures_total {}", ws_failures_.load()));
  line("# HELP pushmail_push_latency_seconds Store commit to the push written to the socket.");
  line("# TYPE pushmail_push_latency_seconds histogram");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBucketsUs.size(); ++i) {
    cumulative += buckets_[i].load();
    line(fmt::format("pushmail_push_latency_seconds_bucket{{le=\"{}\"}} {}",
                     static_cast<double>(kBucketsUs[i]) / 1e6, cumulative));
  }
  line(
      fmt::format("pushmail_push_latency_seconds_bucket{{le=\"+Inf\"}} {}", latency_count_.load()));
  line(fmt::format("pushmail_push_latency_seconds_sum {}",
                   static_cast<double>(latency_sum_us_.load()) / 1e6));
  line(fmt::format("pushmail_push_latency_seconds_count {}", latency_count_.load()));
  for (const auto& s : extra) {
    if (s.name.starts_with("pushmail_connections")) continue;
    line(fmt::format("# HELP {} {}", s.name, s.help));
    line(fmt::format("# TYPE {} {}", s.name, s.type));
    line(s.labels.empty() ? fmt::format("{} {}", s.name, s.value)
                          : fmt::format("{}{{{}}} {}", s.name, s.labels, s.value));
  }
  return out;
}

}  // namespace pushmail::http
