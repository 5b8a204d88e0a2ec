#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::bridge {

// An upstream address: imap://HOST:PORT or imaps://HOST:PORT.
struct UpstreamUrl {
  std::string host;
  uint16_t port = 0;
  bool tls = false;
};
// kInvalidArgument for anything but imap:// or imaps:// with a host and a port (1..65535).
Result<UpstreamUrl> ParseUpstreamUrl(std::string_view url);

}  // namespace pushmail::bridge
