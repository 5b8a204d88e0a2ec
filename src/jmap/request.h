#pragma once
// The JMAP request object (RFC 8620 3.3) and request-level errors (3.6.1). Pure: no I/O, no
// store. Any thread may call these.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pushmail::jmap {

inline constexpr std::string_view kCoreCapability = "urn:ietf:params:jmap:core";
inline constexpr std::string_view kMailCapability = "urn:ietf:params:jmap:mail";
inline constexpr std::string_view kSubmissionCapability = "urn:ietf:params:jmap:submission";
inline constexpr std::string_view kVacationCapability = "urn:ietf:params:jmap:vacationresponse";
// RFC 9749: the session resource carries the server's VAPID key (applicationServerKey).
inline constexpr std::string_view kWebPushVapidCapability = "urn:ietf:params:jmap:webpush-vapid";

// One method call: [name, arguments, call id].
struct Invocation {
  std::string name;
  boost::json::object arguments;
  std::string call_id;
};

struct Request {
  std::vector<std::string> capabilities;  // "using"
  std::vector<Invocation> calls;
  std::optional<boost::json::object> created_ids;  // client ids to server ids, when given
};

// A request-level error, written as RFC 7807 problem details with the given HTTP status.
struct RequestError {
  std::string type;  // the full URN, e.g. "urn:ietf:params:jmap:error:notJSON"
  int status = 400;
  std::string detail;
  std::string limit;  // for ...:limit, the name of the limit that was passed
  boost::json::object ToJson() const;
};

RequestError NotJson(std::string detail);
RequestError NotRequest(std::string detail);
RequestError UnknownCapability(std::string_view capability);
RequestError LimitError(std::string_view limit, std::string detail);

struct RequestLimits {
  size_t max_size_request = 10u << 20;
  unsigned max_calls_in_request = 64;
  unsigned max_depth = 64;  // JSON nesting
};

// Parses the body of a POST to the API endpoint. `known` lists the capabilities the server
// supports; one the request uses outside it is unknownCapability. Never throws.
std::variant<Request, RequestError> ParseRequest(std::string_view body, const RequestLimits& limits,
                                                 const std::vector<std::string_view>& known);

}  // namespace pushmail::jmap
