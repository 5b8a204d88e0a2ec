#include "jmap/request.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr std::string_view kErrorPrefix = "urn:ietf:params:jmap:error:";

RequestError Make(std::string_view name, std::string detail) {
  return {std::string(kErrorPrefix) + std::string(name), 400, std::move(detail), {}};
}

// ["name", {arguments}, "call id"]
std::optional<Invocation> ReadInvocation(const json::value& v) {
  const auto* a = v.if_array();
  if (!a || a->size() != 3 || !(*a)[0].is_string() || !(*a)[1].is_object() ||
      !(*a)[2].is_string()) {
    return std::nullopt;
  }
  return Invocation{std::string((*a)[0].get_string()), (*a)[1].get_object(),
                    std::string((*a)[2].get_string())};
}

std::optional<RequestError> ReadUsing(const json::value* v, Request& out,
                                      const std::vector<std::string_view>& known) {
  if (!v || !v->is_array()) return NotRequest("'using' must be an array of capabilities");
  for (const auto& c : v->get_array()) {
    if (!c.is_string()) return NotRequest("'using' must be an array of strings");
    std::string_view name = c.get_string();
    bool supported = false;
    for (auto k : known) supported = supported || k == name;
    if (!supported) return UnknownCapability(name);
    out.capabilities.emplace_back(name);
  }
  return std::nullopt;
}

std::optional<RequestError> ReadCreatedIds(const json::value* v, Request& out) {
  if (!v) return std::nullopt;
  if (!v->is_object()) return NotRequest("'createdIds' must be an object");
  for (const auto& [key, id] : v->get_object()) {
    if (!id.is_string()) return NotRequest("'createdIds' values must be strings");
  }
  out.created_ids = v->get_object();
  return std::nullopt;
}

}  // namespace

json::object RequestError::ToJson() const {
  json::object o{{"type", type}, {"status", status}, {"detail", detail}};
  if (!limit.empty()) o["limit"] = limit;
  return o;
}

RequestError NotJson(std::string detail) { return Make("notJSON", std::move(detail)); }
RequestError NotRequest(std::string detail) { return Make("notRequest", std::move(detail)); }
RequestError UnknownCapability(std::string_view capability) {
  return Make("unknownCapability",
              "the server does not support the capability '" + std::string(capability) + "'");
}
RequestError LimitError(std::string_view limit, std::string detail) {
  RequestError e = Make("limit", std::move(detail));
  e.limit = std::string(limit);
  return e;
}

std::variant<Request, RequestError> ParseRequest(std::string_view body, const RequestLimits& limits,
                                                 const std::vector<std::string_view>& known) {
  if (body.size() > limits.max_size_request) {
    return LimitError("maxSizeRequest", "the request is larger than maxSizeRequest");
  }
  json::parse_options options;
  options.max_depth = limits.max_depth;
  boost::system::error_code ec;
  json::value root = json::parse(body, ec, {}, options);
  if (ec) return NotJson("the body is not valid I-JSON: " + ec.message());
  const auto* top = root.if_object();
  if (!top) return NotRequest("the body must be a JSON object");
  Request out;
  if (auto e = ReadUsing(top->if_contains("using"), out, known)) return *e;
  const auto* calls = top->if_contains("methodCalls");
  if (!calls || !calls->is_array()) return NotRequest("'methodCalls' must be an array");
  if (calls->get_array().size() > limits.max_calls_in_request) {
    return LimitError("maxCallsInRequest", "more method calls than maxCallsInRequest");
  }
  for (const auto& c : calls->get_array()) {
    auto invocation = ReadInvocation(c);
    if (!invocation) {
      return NotRequest("each method call must be [name, arguments object, call id]");
    }
    out.calls.push_back(std::move(*invocation));
  }
  if (auto e = ReadCreatedIds(top->if_contains("createdIds"), out)) return *e;
  return out;
}

}  // namespace pushmail::jmap
