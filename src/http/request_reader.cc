#include "http/request_reader.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>

#include "base/strings.h"

namespace pushmail::http {

namespace {

beast_http::status StatusFor(const boost::system::error_code& ec) {
  if (ec == beast_http::error::header_limit) {
    return beast_http::status::request_header_fields_too_large;
  }
  if (ec == beast_http::error::body_limit) return beast_http::status::payload_too_large;
  return beast_http::status::bad_request;
}

}  // namespace

RequestReader::RequestReader(size_t max_header, size_t max_body) {
  parser_.header_limit(static_cast<std::uint32_t>(std::min<size_t>(max_header, UINT32_MAX)));
  parser_.body_limit(max_body);
  parser_.eager(true);
}

void RequestReader::AllowBodyFor(std::string_view prefix, size_t max_body) {
  other_prefix_ = prefix;
  other_max_body_ = max_body;
}

RequestReader::Step RequestReader::Feed(std::string_view data) {
  Step step;
  // The body limit must be set before the header is done (Beast checks Content-Length then),
  // and the request line comes first.
  if (!limit_chosen_ && !other_prefix_.empty() && data.find('\n') != std::string_view::npos) {
    limit_chosen_ = true;
    size_t first = data.find(' ');
    if (first != std::string_view::npos && data.substr(first + 1).starts_with(other_prefix_)) {
      parser_.body_limit(other_max_body_);
    }
  }
  while (step.used < data.size()) {
    boost::system::error_code ec;
    size_t n =
        parser_.put(boost::asio::buffer(data.data() + step.used, data.size() - step.used), ec);
    step.used += n;
    if (ec == beast_http::error::need_more) return step;
    if (ec) {
      step.state = State::kError;
      step.error = StatusFor(ec);
      return step;
    }
    if (parser_.is_done()) break;
    if (n == 0) return step;
  }
  if (!parser_.is_done()) return step;
  const auto& request = parser_.get();
  // RFC 9112 3.2: a server MUST answer 400 to an HTTP/1.1 request without Host.
  if (request.version() >= 11 && request.find(beast_http::field::host) == request.end()) {
    step.state = State::kError;
    step.error = beast_http::status::bad_request;
    return step;
  }
  step.state = State::kDone;
  return step;
}

bool RequestReader::ExpectsContinue() const {
  if (!parser_.is_header_done() || parser_.is_done()) return false;
  auto it = parser_.get().find(beast_http::field::expect);
  return it != parser_.get().end() && EqualsIgnoreCase(it->value(), "100-continue");
}

std::string_view RequestReader::Target() const {
  if (!parser_.is_header_done()) return {};
  auto t = parser_.get().target();
  return {t.data(), t.size()};
}

}  // namespace pushmail::http
