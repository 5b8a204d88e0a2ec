#include "jmap/arguments.h"

#include <algorithm>
#include <boost/json/serialize.hpp>

#include "jmap/ids.h"

namespace pushmail::jmap {

namespace json = boost::json;

std::optional<MethodError> CheckAccount(const MethodContext& c, const json::object& args) {
  const auto* id = args.if_contains("accountId");
  if (!id || !id->is_string()) return InvalidArguments("accountId must be a string");
  if (id->get_string() != AccountJmapId(c.who.account)) {
    return MethodError{"accountNotFound", "no such account"};
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> ReadIds(const MethodContext& c, const json::object& args,
                                                std::optional<MethodError>& error) {
  const auto* ids = args.if_contains("ids");
  if (!ids || ids->is_null()) return std::nullopt;
  if (!ids->is_array()) {
    error = InvalidArguments("ids must be an array or null");
    return std::nullopt;
  }
  if (ids->get_array().size() > c.limits.max_objects_in_get) {
    error = MethodError{"requestTooLarge", "more ids than maxObjectsInGet"};
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& id : ids->get_array()) {
    if (!id.is_string()) {
      error = InvalidArguments("ids must be strings");
      return std::nullopt;
    }
    // "#creationId" names what an earlier call of the request created (RFC 8620 5.3).
    const auto* created = id.get_string().starts_with('#')
                              ? c.created_ids.if_contains(id.get_string().subview(1))
                              : nullptr;
    out.emplace_back(created && created->is_string() ? created->get_string() : id.get_string());
  }
  return out;
}

std::vector<std::string> ReadProperties(const json::object& args,
                                        const std::vector<std::string>& all,
                                        std::optional<MethodError>& error) {
  const auto* p = args.if_contains("properties");
  if (!p || p->is_null()) return all;
  if (!p->is_array()) {
    error = InvalidArguments("properties must be an array or null");
    return {};
  }
  std::vector<std::string> out = {"id"};
  for (const auto& v : p->get_array()) {
    if (!v.is_string() || std::find(all.begin(), all.end(), v.get_string()) == all.end()) {
      error = InvalidArguments("unknown property " + json::serialize(v));
      return {};
    }
    if (std::find(out.begin(), out.end(), v.get_string()) == out.end()) {
      out.emplace_back(v.get_string());
    }
  }
  return out;
}

std::optional<std::string> ResolveId(const MethodContext& c, std::string_view id) {
  if (!id.starts_with('#')) return std::string(id);
  const auto* found = c.created_ids.if_contains(id.substr(1));
  if (!found || !found->is_string()) return std::nullopt;
  return std::string(found->get_string());
}

std::optional<int64_t> ReadInt(const json::object& args, std::string_view key, int64_t fallback,
                               int64_t min, int64_t max, std::optional<MethodError>& error) {
  const auto* v = args.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64() && !v->is_uint64()) {
    error = InvalidArguments(std::string(key) + " must be an integer");
    return std::nullopt;
  }
  if (v->is_uint64() || v->get_int64() < min || v->get_int64() > max) {
    error = InvalidArguments(std::string(key) + " is out of range");
    return std::nullopt;
  }
  return v->get_int64();
}

bool ReadBool(const json::object& args, std::string_view key, bool fallback,
              std::optional<MethodError>& error) {
  const auto* v = args.if_contains(key);
  if (!v || v->is_null()) return fallback;
  if (!v->is_bool()) {
    error = InvalidArguments(std::string(key) + " must be a boolean");
    return fallback;
  }
  return v->get_bool();
}

}  // namespace pushmail::jmap
