#pragma once
// The push resource URL of a subscription (RFC 8030 5): where the server POSTs its pushes.

#include <optional>
#include <string>
#include <string_view>

namespace pushmail::webpush {

inline constexpr size_t kMaxUrlSize = 2048;

struct PushUrl {
  bool tls = true;
  std::string host;    // a name or an address, without brackets
  std::string port;    // "443" or "80" unless the URL says
  std::string target;  // path and query, for the request line
  std::string origin;  // scheme://host[:port]: VAPID's audience
};

// Parses an absolute https URL, or an http one whose host is a loopback address literal
// (127.0.0.0/8 or [::1]: for tests and local push services only). No user info, no fragment,
// at most kMaxUrlSize octets. nullopt, with the reason in `why`, for anything else.
std::optional<PushUrl> ParsePushUrl(std::string_view text, std::string* why);

}  // namespace pushmail::webpush
