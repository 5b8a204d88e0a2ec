#include "webpush/protocol/push_url.h"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>

namespace pushmail::webpush {

std::optional<PushUrl> ParsePushUrl(std::string_view text, std::string* why) {
  auto fail = [why](const char* reason) -> std::optional<PushUrl> {
    if (why) *why = reason;
    return std::nullopt;
  };
  if (text.size() > kMaxUrlSize) return fail("the URL is too long");
  auto url = boost::urls::parse_absolute_uri(text);
  if (!url) return fail("not an absolute URL");
  // Boost.URL 1.81 reads "http://127.0.0.1z80/p" as host 127.0.0.1 and path "z80/p": the
  // authority must be exactly what the text has between "//" and the path.
  size_t start = text.find("//") + 2;
  size_t end = std::min(text.find_first_of("/?", start), text.size());
  if (text.substr(start, end - start) != url->encoded_authority()) return fail("bad host");
  PushUrl out;
  std::string scheme(url->scheme());
  if (scheme != "https" && scheme != "http") return fail("the URL must be https");
  out.tls = scheme == "https";
  if (url->has_userinfo()) return fail("the URL must not carry credentials");
  if (url->host_type() == boost::urls::host_type::ipvfuture ||
      url->host_type() == boost::urls::host_type::none) {
    return fail("the URL has no host");
  }
  out.host = url->host_type() == boost::urls::host_type::ipv6 ? url->host_address()
                                                              : url->encoded_host().decode();
  if (out.host.empty()) return fail("the URL has no host");
  if (!out.tls) {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(out.host, ec);
    if (ec || !address.is_loopback()) return fail("http is allowed for loopback addresses only");
  }
  if (url->has_port()) {
    if (url->port_number() == 0) return fail("bad port");
    out.port = std::to_string(url->port_number());
  } else {
    out.port = out.tls ? "443" : "80";
  }
  out.target = std::string(url->encoded_path());
  if (out.target.empty()) out.target = "/";
  if (url->has_query()) out.target += "?" + std::string(url->encoded_query());
  out.origin = scheme + "://" + std::string(url->encoded_host_and_port());
  return out;
}

}  // namespace pushmail::webpush
