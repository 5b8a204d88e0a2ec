#pragma once
// Reads one HTTP/1.1 request from bytes as they arrive, with Beast's parser and our limits.
// Pure: the session feeds it what net::Stream::ReadSome returned (net::Stream is not an Asio
// AsyncStream, so beast::http::async_read does not apply).

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string_view>

namespace pushmail::http {

namespace beast_http = boost::beast::http;
using Request = beast_http::request<beast_http::string_body>;

class RequestReader {
 public:
  // `max_header`: request line and fields, octets (more: 431); `max_body`: octets (more: 413).
  RequestReader(size_t max_header, size_t max_body);
  // Requests whose target starts with `prefix` may have bodies of `max_body` octets instead
  // (uploads). Call before the first Feed.
  void AllowBodyFor(std::string_view prefix, size_t max_body);

  enum class State { kNeedMore, kDone, kError };
  struct Step {
    State state = State::kNeedMore;
    size_t used = 0;  // octets of the input consumed; the rest belongs to what follows
    beast_http::status error = beast_http::status::ok;  // with kError: 400, 413 or 431
  };
  // Feeds the octets received so far and not yet used. A header is used only once it is whole,
  // so the caller keeps unused octets and feeds them again with more.
  Step Feed(std::string_view data);

  // The header is in and asks for "100 Continue" before the body is sent.
  bool ExpectsContinue() const;
  // The request line's target once the header is in (for errors that depend on the endpoint).
  std::string_view Target() const;
  // After kDone: the request. The reader is spent.
  Request Release() { return parser_.release(); }

 private:
  beast_http::request_parser<beast_http::string_body> parser_;
  std::string_view other_prefix_;
  size_t other_max_body_ = 0;
  bool limit_chosen_ = false;  // the request line has been seen
};

}  // namespace pushmail::http
