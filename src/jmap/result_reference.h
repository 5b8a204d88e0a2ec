#pragma once
// Back-references between method calls of one request (RFC 8620 3.7): an argument "#name"
// holding a ResultReference {resultOf, name, path} is replaced by the value `path` (a JSON
// Pointer with "*" for "every item") selects in the earlier response. Pure; any thread.

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushmail::jmap {

// A method-level error (RFC 8620 3.6.2): ["error", {"type": ..., "description": ...}, id].
struct MethodError {
  std::string type;  // e.g. "invalidArguments"
  std::string description;
  boost::json::object ToJson() const;
};

// A method response: [name, arguments, call id].
struct Response {
  std::string name;
  boost::json::object arguments;
  std::string call_id;
};

// Evaluates `pointer` against `root` (RFC 6901, plus "*" on an array: the rest of the pointer
// applies to each item, and array results are flattened into one array). nullopt when the
// pointer is malformed or selects nothing.
std::optional<boost::json::value> EvaluatePointer(const boost::json::value& root,
                                                  std::string_view pointer);

// Replaces every "#name" argument of `arguments` with the value its reference selects in
// `earlier` (the responses so far, oldest first). On failure `arguments` may be partly
// resolved and the error is invalidResultReference (or invalidArguments when both "name" and
// "#name" are given).
std::optional<MethodError> ResolveReferences(boost::json::object& arguments,
                                             const std::vector<Response>& earlier);

}  // namespace pushmail::jmap
