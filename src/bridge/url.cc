#include "bridge/url.h"

#include <charconv>

namespace pushmail::bridge {

Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url) {
  UpstreamUrl out;
  if (url.starts_with("imaps://")) {
    out.tls = true;
    url.remove_prefix(8);
  } else if (url.starts_with("imap://")) {
    url.remove_prefix(7);
  } else {
    return MakeError(Errc::kInvalidArgument);
  }
  if (!url.empty() && url.back() == '/') url.remove_suffix(1);
  size_t colon = url.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return MakeError(Errc::kInvalidArgument);
  std::string_view host = url.substr(0, colon), port = url.substr(colon + 1);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned p = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), p);
  if (ec != std::errc() || end != port.data() + port.size() || p == 0 || p > 65535 ||
      host.empty() || host.find_first_of("/@ ") != std::string_view::npos) {
    return MakeError(Errc::kInvalidArgument);
  }
  out.host = std::string(host);
  out.port = static_cast<uint16_t>(p);
  return out;
}

}  // namespace pushmail::bridge
