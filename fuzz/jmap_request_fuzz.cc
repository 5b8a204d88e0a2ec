// Fuzzes the JMAP request parser and back-reference resolution: the input is parsed as a
// request; each call's "#" arguments are resolved against the earlier calls' arguments as if
// they were responses (the shape a server echo produces), and every string argument is also
// tried as a JSON Pointer and as an event source query. Invariants trap on violation.
#include <boost/json.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "jmap/push.h"
#include "jmap/request.h"
#include "jmap/result_reference.h"

namespace jmap = pushmail::jmap;
namespace json = boost::json;

namespace {

constexpr unsigned kMaxCalls = 16;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void CheckError(const jmap::RequestError& e) {
  Check(e.type.starts_with("urn:ietf:params:jmap:error:"));
  Check(e.status == 400);
  Check((e.type == "urn:ietf:params:jmap:error:limit") == !e.limit.empty());
  json::object problem = e.ToJson();
  Check(problem.at("type").as_string() == e.type);
}

void FuzzStrings(const json::object& args, const json::value& doc) {
  for (const auto& [key, value] : args) {
    if (!value.is_string()) continue;
    std::string_view text = value.get_string();
    auto selected = jmap::EvaluatePointer(doc, text);
    if (text.empty()) Check(selected && *selected == doc);
    auto options =
        jmap::ParseEventSourceQuery(text, std::chrono::seconds(5), std::chrono::seconds(600));
    if (options && options->ping.count() != 0) {
      Check(options->ping.count() >= 5 && options->ping.count() <= 600);
    }
  }
}

void FuzzCalls(const jmap::Request& request) {
  std::vector<jmap::Response> earlier;
  for (const auto& call : request.calls) {
    json::object args = call.arguments;
    auto error = jmap::ResolveReferences(args, earlier);
    if (error) {
      Check(error->type == "invalidResultReference" || error->type == "invalidArguments");
    } else {
      for (const auto& [key, value] : args) Check(!key.starts_with("#"));
    }
    FuzzStrings(call.arguments, json::value(call.arguments));
    earlier.push_back({call.name, std::move(args), call.call_id});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  jmap::RequestLimits limits;
  limits.max_size_request = 1 << 16;
  limits.max_calls_in_request = kMaxCalls;
  limits.max_depth = 32;
  const std::vector<std::string_view> known = {jmap::kCoreCapability, jmap::kMailCapability};
  auto parsed = jmap::ParseRequest(input, limits, known);
  if (auto* e = std::get_if<jmap::RequestError>(&parsed)) {
    CheckError(*e);
    return 0;
  }
  const auto& request = std::get<jmap::Request>(parsed);
  Check(request.calls.size() <= kMaxCalls);
  for (const auto& c : request.capabilities) {
    Check(c == jmap::kCoreCapability || c == jmap::kMailCapability);
  }
  FuzzCalls(request);
  return 0;
}
