// HTTP request reading: a table of edge cases fed whole and octet by octet.
#include "http/request_reader.h"

#include <gtest/gtest.h>

namespace pushmail::http {
namespace {

using State = RequestReader::State;
using Status = beast_http::status;

constexpr size_t kMaxHeader = 256;
constexpr size_t kMaxBody = 64;

struct Outcome {
  State state;
  Status error;
  size_t used;
};

Outcome FeedWhole(std::string_view data) {
  RequestReader reader(kMaxHeader, kMaxBody);
  auto step = reader.Feed(data);
  return {step.state, step.error, step.used};
}

// Feeds like a socket that delivers one octet at a time, keeping what was not used.
Outcome FeedOctets(std::string_view data) {
  RequestReader reader(kMaxHeader, kMaxBody);
  std::string pending;
  size_t used = 0;
  for (char c : data) {
    pending += c;
    auto step = reader.Feed(pending);
    pending.erase(0, step.used);
    used += step.used;
    if (step.state != State::kNeedMore) return {step.state, step.error, used};
  }
  return {State::kNeedMore, Status::ok, used};
}

TEST(RequestReader, ReadsARequestAndLeavesThePipelinedRest) {
  std::string two =
      "POST /jmap/api HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  RequestReader reader(kMaxHeader, kMaxBody);
  auto step = reader.Feed(two);
  ASSERT_EQ(step.state, State::kDone);
  Request r = reader.Release();
  EXPECT_EQ(r.method(), beast_http::verb::post);
  EXPECT_EQ(r.target(), "/jmap/api");
  EXPECT_EQ(r.body(), "hello");
  EXPECT_TRUE(r.keep_alive());
  RequestReader next(kMaxHeader, kMaxBody);
  auto second = next.Feed(std::string_view(two).substr(step.used));
  EXPECT_EQ(second.state, State::kDone);
  EXPECT_EQ(next.Release().target(), "/healthz");
}

TEST(RequestReader, ChunkedBodiesAndContinue) {
  RequestReader reader(kMaxHeader, kMaxBody);
  std::string head =
      "POST /jmap/api HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Expect: 100-continue\r\n\r\n";
  auto step = reader.Feed(head);
  EXPECT_EQ(step.state, State::kNeedMore);
  EXPECT_EQ(step.used, head.size());
  EXPECT_TRUE(reader.ExpectsContinue());
  EXPECT_EQ(reader.Target(), "/jmap/api");
  step = reader.Feed("3\r\nabc\r\n0\r\n\r\n");
  ASSERT_EQ(step.state, State::kDone);
  EXPECT_EQ(reader.Release().body(), "abc");
}

TEST(RequestReader, EdgeCases) {
  struct Case {
    std::string input;
    State state;
    Status error;
  };
  const Case cases[] = {
      {"GET / HTTP/1.1\r\nHost: x\r\n\r\n", State::kDone, Status::ok},
      {"GET / HTTP/1.0\r\n\r\n", State::kDone, Status::ok},            // 1.0 needs no Host
      {"GET / HTTP/1.1\r\n\r\n", State::kError, Status::bad_request},  // no Host
      {"GET / HTTP/1.1\r\nHost: x\r\n", State::kNeedMore, Status::ok},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(300, 'a') + "\r\n\r\n", State::kError,
       Status::request_header_fields_too_large},
      {"GET /" + std::string(300, 'a') + " HTTP/1.1\r\n", State::kError,
       Status::request_header_fields_too_large},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 65\r\n\r\n", State::kError,
       Status::payload_too_large},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n41\r\n" +
           std::string(65, 'b') + "\r\n0\r\n\r\n",
       State::kError, Status::payload_too_large},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab", State::kNeedMore, Status::ok},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: x\r\n\r\n", State::kError,
       Status::bad_request},
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
       State::kError, Status::bad_request},  // request smuggling
      {"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n", State::kError,
       Status::bad_request},
      {"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", State::kError,
       Status::bad_request},
      {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", State::kError, Status::bad_request},
      {"GET / FTP/1.1\r\nHost: x\r\n\r\n", State::kError, Status::bad_request},
      {"G@T / HTTP/1.1\r\nHost: x\r\n\r\n", State::kError, Status::bad_request},
      {"GET  / HTTP/1.1\r\nHost: x\r\n\r\n", State::kError, Status::bad_request},
      {"GET / HTTP/1.1\r\nBad Header: x\r\nHost: x\r\n\r\n", State::kError, Status::bad_request},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: a" + std::string(1, '\0') + "b\r\n\r\n", State::kError,
       Status::bad_request},
      {"\r\n\r\n", State::kError, Status::bad_request},
  };
  for (const auto& c : cases) {
    Outcome whole = FeedWhole(c.input);
    EXPECT_EQ(whole.state, c.state) << c.input;
    EXPECT_EQ(whole.error, c.error) << c.input;
    Outcome octets = FeedOctets(c.input);
    EXPECT_EQ(octets.state, c.state) << c.input;
    EXPECT_EQ(octets.error, c.error) << c.input;
  }
}

}  // namespace
}  // namespace pushmail::http
