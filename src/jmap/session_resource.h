#pragma once
// The JMAP session resource (RFC 8620 2) served at /.well-known/jmap. Pure.

#include <boost/json/object.hpp>
#include <string>

#include "base/config.h"
#include "jmap/api.h"

namespace pushmail::jmap {

// Paths of the endpoints the session resource advertises (RFC 6570 templates where needed).
inline constexpr std::string_view kApiPath = "/jmap/api";
inline constexpr std::string_view kEventSourcePath = "/jmap/eventsource/";
inline constexpr std::string_view kDownloadPath = "/jmap/download/";
inline constexpr std::string_view kUploadPath = "/jmap/upload/";

// `base` is the origin the URLs are made absolute with ("https://host:port"); empty leaves them
// relative to the session resource's own origin. A `vapid_key` (base64url) is advertised as
// urn:ietf:params:jmap:webpush-vapid's applicationServerKey (RFC 9749). An
// `event_source_token` (a signed EventSource token) is put in eventSourceUrl's query, so that
// a browser's EventSource, which sends no Authorization, may use the URL as it is.
boost::json::object SessionResource(const Principal& who, const HttpLimits& limits,
                                    const std::string& base, std::string_view vapid_key = {},
                                    std::string_view event_source_token = {});

}  // namespace pushmail::jmap
