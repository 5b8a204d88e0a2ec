#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace pushmail {

using Clock = std::chrono::system_clock;
using SteadyClock = std::chrono::steady_clock;

// Seconds since the Unix epoch, the unit the store keeps dates in.
int64_t UnixNow();

// An RFC 5322 date-time in UTC, e.g. "Mon, 23 Nov 2026 05:58:16 +0000".
std::string Rfc5322Date(int64_t unix_seconds);

}  // namespace pushmail
