#include "net/endpoint.h"

#include <charconv>

namespace pushmail::net {

namespace ip = boost::asio::ip;

Result<ip::tcp::endpoint> ParseEndpoint(std::string_view text) {
  size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return MakeError(Errc::kInvalidArgument);
  std::string_view host = text.substr(0, colon);
  std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535) {
    return MakeError(Errc::kInvalidArgument);
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  ip::address address;
  if (host.empty()) {
    address = ip::address_v6::any();
  } else if (host == "localhost") {
    address = ip::address_v4::loopback();
  } else {
    boost::system::error_code parse_error;
    address = ip::make_address(std::string(host), parse_error);
    if (parse_error) return MakeError(Errc::kInvalidArgument);
  }
  return ip::tcp::endpoint(address, static_cast<uint16_t>(port));
}

std::string FormatEndpoint(const ip::tcp::endpoint& endpoint) {
  std::string host = endpoint.address().to_string();
  if (endpoint.address().is_v6()) host = "[" + host + "]";
  return host + ":" + std::to_string(endpoint.port());
}

}  // namespace pushmail::net
