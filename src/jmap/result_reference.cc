#include "jmap/result_reference.h"

#include <charconv>

#include "base/strings.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

// The next reference token of a pointer ("/a~1b" -> "a/b"), unescaped; nullopt when `rest`
// has a bad escape. `rest` starts after a "/" and is advanced past the token.
std::optional<std::string> NextToken(std::string_view& rest) {
  size_t end = rest.find('/');
  std::string_view raw = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  return UnescapeJsonPointerToken(raw);
}

std::optional<size_t> ArrayIndex(std::string_view token, size_t size) {
  if (token.empty() || (token.size() > 1 && token[0] == '0')) return std::nullopt;
  size_t index = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), index);
  if (ec != std::errc() || end != token.data() + token.size() || index >= size) {
    return std::nullopt;
  }
  return index;
}

std::optional<json::value> Evaluate(const json::value& at, std::string_view rest, int depth) {
  if (rest.empty()) return at;
  if (rest[0] != '/' || depth > 256) return std::nullopt;
  rest.remove_prefix(1);
  auto token = NextToken(rest);
  if (!token) return std::nullopt;
  if (const auto* o = at.if_object()) {
    const auto* next = o->if_contains(*token);
    if (!next) return std::nullopt;
    return Evaluate(*next, rest, depth + 1);
  }
  const auto* a = at.if_array();
  if (!a) return std::nullopt;
  if (*token != "*") {
    auto index = ArrayIndex(*token, a->size());
    if (!index) return std::nullopt;
    return Evaluate((*a)[*index], rest, depth + 1);
  }
  json::array out;
  for (const auto& item : *a) {
    auto v = Evaluate(item, rest, depth + 1);
    if (!v) return std::nullopt;
    if (v->is_array()) {
      for (auto& x : v->get_array()) out.push_back(std::move(x));
    } else {
      out.push_back(std::move(*v));
    }
  }
  return json::value(std::move(out));
}

MethodError InvalidReference(std::string description) {
  return {"invalidResultReference", std::move(description)};
}

std::optional<json::value> Resolve(const json::value& reference,
                                   const std::vector<Response>& earlier, MethodError& error) {
  const auto* r = reference.if_object();
  const json::value* of = r ? r->if_contains("resultOf") : nullptr;
  const json::value* name = r ? r->if_contains("name") : nullptr;
  const json::value* path = r ? r->if_contains("path") : nullptr;
  if (!of || !name || !path || !of->is_string() || !name->is_string() || !path->is_string()) {
    error = InvalidReference("a ResultReference needs string resultOf, name and path");
    return std::nullopt;
  }
  for (const auto& response : earlier) {
    if (response.call_id != of->get_string()) continue;
    if (response.name != name->get_string()) {
      error = InvalidReference("the response to '" + response.call_id + "' is not " +
                               std::string(name->get_string()));
      return std::nullopt;
    }
    json::value args(response.arguments);
    auto value = EvaluatePointer(args, path->get_string());
    if (!value) error = InvalidReference("the path selects nothing");
    return value;
  }
  error = InvalidReference("no earlier response has the call id '" + std::string(of->get_string()) +
                           "'");
  return std::nullopt;
}

}  // namespace

json::object MethodError::ToJson() const {
  json::object o{{"type", type}};
  if (!description.empty()) o["description"] = description;
  return o;
}

std::optional<json::value> EvaluatePointer(const json::value& root, std::string_view pointer) {
  return Evaluate(root, pointer, 0);
}

std::optional<MethodError> ResolveReferences(json::object& arguments,
                                             const std::vector<Response>& earlier) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : arguments) {
    if (key.starts_with("#")) keys.emplace_back(key);
  }
  for (const auto& key : keys) {
    std::string plain = key.substr(1);
    if (arguments.contains(plain)) {
      std::string both = "both '";
      both.append(plain).append("' and '").append(key).append("' are given");
      return MethodError{"invalidArguments", std::move(both)};
    }
    MethodError error;
    auto value = Resolve(arguments.at(key), earlier, error);
    if (!value) return error;
    arguments.erase(key);
    arguments[plain] = std::move(*value);
  }
  return std::nullopt;
}

}  // namespace pushmail::jmap
