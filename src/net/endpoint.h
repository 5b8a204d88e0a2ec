#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string_view>

#include "base/result.h"

namespace pushmail::net {

// Parses "HOST:PORT", "[V6]:PORT" or ":PORT" (all addresses). HOST must be a numeric address
// or "localhost"; PORT may be 0 (the kernel picks a free one).
Result<boost::asio::ip::tcp::endpoint> ParseEndpoint(std::string_view text);

// "127.0.0.1:2525" or "[::1]:2525".
std::string FormatEndpoint(const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace pushmail::net
