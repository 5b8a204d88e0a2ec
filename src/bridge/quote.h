#pragma once
// Strings the bridge sends upstream (RFC 9051 4.3): quoted when they can be, else a
// non-synchronizing literal (RFC 7888), which the whole command is written with at once.

#include <string>
#include <string_view>

namespace pushmail::bridge {

// True when `s` can be a quoted string: no CR, LF, NUL or 8-bit octets.
bool IsQuotable(std::string_view s);
// `s` as a quoted string, or as "{n+}\r\n" and its octets when it is not quotable.
std::string Quote(std::string_view s);

}  // namespace pushmail::bridge
