#include "jmap/standard_methods.h"

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <unordered_set>

#include "base/strings.h"
#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr size_t kMaxChanges = 5000;  // per /changes answer, whatever the client asks
constexpr size_t kMaxQueryChanges = 10000;

// "maxChanges": a positive integer or null; `fallback` for null.
std::optional<size_t> ReadMaxChanges(const json::object& args, size_t fallback,
                                     std::optional<MethodError>& error) {
  const auto* m = args.if_contains("maxChanges");
  if (!m || m->is_null()) return std::nullopt;
  if (!m->is_int64() || m->get_int64() <= 0) {
    error = InvalidArguments("maxChanges must be a positive integer or null");
    return fallback;
  }
  return static_cast<size_t>(m->get_int64());
}

// An optional integer argument; `error` when present and not an integer (or negative when
// `unsigned_only`).
int64_t ReadInt(const json::object& args, std::string_view name, int64_t fallback,
                bool unsigned_only, std::optional<MethodError>& error) {
  const auto* v = args.if_contains(name);
  if (!v || v->is_null()) return fallback;
  if (!v->is_int64() || (unsigned_only && v->get_int64() < 0)) {
    error = InvalidArguments(std::string(name) + " must be " +
                             (unsigned_only ? "a non-negative integer" : "an integer"));
    return fallback;
  }
  return v->get_int64();
}

bool ReadBool(const json::object& args, std::string_view name, std::optional<MethodError>& error) {
  const auto* v = args.if_contains(name);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) error = InvalidArguments(std::string(name) + " must be a boolean");
  return v->is_bool() && v->get_bool();
}

std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    out.push_back(UnescapePointerToken(path.substr(start, slash - start)));
    if (slash == std::string_view::npos) return out;
    start = slash + 1;
  }
}

std::optional<MethodError> ReadIdMap(const MethodContext& c, const json::object& args,
                                     std::string_view name,
                                     std::vector<std::pair<std::string, json::object>>& out,
                                     bool resolve) {
  const auto* v = args.if_contains(name);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_object()) return InvalidArguments(std::string(name) + " must be an object or null");
  for (const auto& [key, value] : v->get_object()) {
    if (!value.is_object()) {
      return InvalidArguments(std::string(name) + " values must be objects");
    }
    std::string id(key);
    if (resolve) id = ResolveId(c, key).value_or(id);
    out.emplace_back(std::move(id), value.get_object());
  }
  return std::nullopt;
}

}  // namespace

MethodResult StandardChanges(MethodContext& c, const json::object& args, store::DataType type,
                             JmapIdOf id, store::Changes* out) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  const auto* since = args.if_contains("sinceState");
  if (!since || !since->is_string()) return {{}, InvalidArguments("sinceState must be a string")};
  std::optional<MethodError> error;
  size_t max =
      std::min(ReadMaxChanges(args, kMaxChanges, error).value_or(kMaxChanges), kMaxChanges);
  if (error) return {{}, error};
  auto state = ParseState(since->get_string());
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (!state || *state > store::StateOf(*account, type)) {
    return MethodResult::Error("cannotCalculateChanges", "unknown state");
  }
  auto changes = c.store.ChangesSince(c.who.account, type, *state, max);
  if (!changes && changes.error() == MakeError(Errc::kLimitExceeded)) {
    return MethodResult::Error("cannotCalculateChanges", "one change is larger than maxChanges");
  }
  if (!changes) return {{}, ServerFail(c, changes.error(), "cannot read the change log")};
  auto ids = [id](const std::vector<int64_t>& rows) {
    json::array list;
    for (auto row : rows) list.emplace_back(id(row));
    return list;
  };
  json::object answer{{"accountId", AccountJmapId(c.who.account)},
                      {"oldState", since->get_string()},
                      {"newState", StateString(changes->new_state)},
                      {"hasMoreChanges", changes->has_more},
                      {"created", ids(changes->created)},
                      {"updated", ids(changes->updated)},
                      {"destroyed", ids(changes->destroyed)}};
  if (out) *out = std::move(*changes);
  return {std::move(answer), {}};
}

// --- /set

std::optional<MethodError> ReadSetArguments(const MethodContext& c, const json::object& args,
                                            store::ModSeq state, SetArguments& out) {
  if (auto e = CheckAccount(c, args)) return e;
  if (const auto* s = args.if_contains("ifInState"); s && !s->is_null()) {
    if (!s->is_string()) return InvalidArguments("ifInState must be a string or null");
    out.if_in_state = std::string(s->get_string());
  }
  if (auto e = ReadIdMap(c, args, "create", out.create, false)) return e;
  if (auto e = ReadIdMap(c, args, "update", out.update, true)) return e;
  if (const auto* d = args.if_contains("destroy"); d && !d->is_null()) {
    if (!d->is_array()) return InvalidArguments("destroy must be an array or null");
    for (const auto& id : d->get_array()) {
      if (!id.is_string()) return InvalidArguments("destroy must hold ids");
      out.destroy.push_back(ResolveId(c, id.get_string()).value_or(std::string(id.get_string())));
    }
  }
  if (out.create.size() + out.update.size() + out.destroy.size() > c.limits.max_objects_in_set) {
    return MethodError{"requestTooLarge", "more objects than maxObjectsInSet"};
  }
  if (out.if_in_state && *out.if_in_state != StateString(state)) {
    return MethodError{"stateMismatch", "the state is " + StateString(state)};
  }
  return std::nullopt;
}

void ResolveCreationIds(const MethodContext& c, SetArguments& set) {
  auto resolve = [&c](std::string& id) {
    if (id.starts_with('#')) id = ResolveId(c, id).value_or(id);
  };
  for (auto& [id, patch] : set.update) resolve(id);
  for (auto& id : set.destroy) resolve(id);
}

json::object SetError(std::string_view type, std::string_view description,
                      const std::vector<std::string>& properties) {
  json::object e{{"type", type}};
  if (!description.empty()) e["description"] = description;
  if (!properties.empty()) {
    json::array list;
    for (auto& p : properties) list.emplace_back(p);
    e["properties"] = std::move(list);
  }
  return e;
}

void SetAnswer::Created(MethodContext& c, const std::string& creation_id, const std::string& id,
                        json::object properties) {
  properties["id"] = id;
  created_[creation_id] = std::move(properties);
  c.created_ids[creation_id] = id;
}

bool SetAnswer::WasDestroyed(std::string_view id) const {
  return std::find(destroyed_.begin(), destroyed_.end(), json::value(json::string(id))) !=
         destroyed_.end();
}

json::object SetAnswer::Finish(const MethodContext& c, store::ModSeq old_state,
                               store::ModSeq new_state) const {
  auto or_null = [](const auto& v) { return v.empty() ? json::value(nullptr) : json::value(v); };
  return {{"accountId", AccountJmapId(c.who.account)},
          {"oldState", StateString(old_state)},
          {"newState", StateString(new_state)},
          {"created", or_null(created_)},
          {"updated", or_null(updated_)},
          {"destroyed", or_null(destroyed_)},
          {"notCreated", or_null(not_created_)},
          {"notUpdated", or_null(not_updated_)},
          {"notDestroyed", or_null(not_destroyed_)}};
}

json::object SetAnswer::Finish(MethodContext& c, store::ModSeq old_state,
                               store::DataType type) const {
  auto account = c.store.GetAccount(c.who.account);
  if (!account) {
    ServerFail(c, account.error(), "cannot read the new state");  // logged and counted
    return Finish(c, old_state, old_state);
  }
  return Finish(c, old_state, store::StateOf(*account, type));
}

std::string UnescapePointerToken(std::string_view token) {
  return UnescapeJsonPointerToken(token).value_or(std::string(token));
}

bool ApplyPatch(json::object& object, const json::object& patch, std::string& error) {
  std::vector<std::string> paths;
  for (const auto& [key, value] : patch) paths.emplace_back(key);
  for (const auto& a : paths) {
    for (const auto& b : paths) {
      if (a != b && b.starts_with(a + "/")) {
        error = "patch path '";
        error += a;
        error += "' is a prefix of '";
        error += b;
        error += "'";
        return false;
      }
    }
  }
  for (const auto& [key, value] : patch) {
    auto segments = Segments(key);
    json::object* target = &object;
    for (size_t i = 0; i + 1 < segments.size(); ++i) {
      auto* next = target->if_contains(segments[i]);
      if (!next || !next->is_object()) {
        error = "patch path '" + std::string(key) + "' does not lead into an object";
        return false;
      }
      target = &next->get_object();
    }
    if (segments.size() > 1 && value.is_null()) {
      target->erase(segments.back());
    } else {
      (*target)[segments.back()] = value;
    }
  }
  return true;
}

std::vector<std::string> PatchedProperties(const json::object& patch) {
  std::vector<std::string> out;
  for (const auto& [key, value] : patch) {
    std::string first = Segments(key).front();
    if (std::find(out.begin(), out.end(), first) == out.end()) out.push_back(std::move(first));
  }
  return out;
}

// --- /query

std::optional<MethodError> ReadSort(const json::object& args,
                                    const std::vector<std::string>& supported,
                                    std::vector<Comparator>& out) {
  const auto* sort = args.if_contains("sort");
  if (!sort || sort->is_null()) return std::nullopt;
  if (!sort->is_array()) return InvalidArguments("sort must be an array or null");
  for (const auto& v : sort->get_array()) {
    const auto* o = v.if_object();
    const auto* property = o ? o->if_contains("property") : nullptr;
    if (!property || !property->is_string()) {
      return InvalidArguments("each comparator needs a property");
    }
    Comparator c{std::string(property->get_string())};
    if (std::find(supported.begin(), supported.end(), c.property) == supported.end()) {
      return MethodError{"unsupportedSort", "cannot sort by " + c.property};
    }
    if (const auto* a = o->if_contains("isAscending"); a && !a->is_null()) {
      if (!a->is_bool()) return InvalidArguments("isAscending must be a boolean");
      c.ascending = a->get_bool();
    }
    if (const auto* col = o->if_contains("collation"); col && !col->is_null()) {
      if (!col->is_string() ||
          (col->get_string() != "i;ascii-casemap" && col->get_string() != "i;octet")) {
        return MethodError{"unsupportedSort", "unknown collation"};
      }
      c.collation = std::string(col->get_string());
    }
    out.push_back(std::move(c));
  }
  return std::nullopt;
}

int CompareStrings(std::string_view a, std::string_view b, std::string_view collation) {
  if (collation == "i;octet") return a.compare(b);
  auto lower = [](char ch) { return ch >= 'A' && ch <= 'Z' ? static_cast<char>(ch + 32) : ch; };
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    char x = lower(a[i]), y = lower(b[i]);
    if (x != y) return static_cast<unsigned char>(x) < static_cast<unsigned char>(y) ? -1 : 1;
  }
  return a.size() == b.size() ? 0 : (a.size() < b.size() ? -1 : 1);
}

std::optional<MethodError> CheckFilter(const json::value& filter, const ConditionCheck& check) {
  if (filter.is_null()) return std::nullopt;
  const auto* o = filter.if_object();
  if (!o) return InvalidArguments("a filter must be an object");
  const auto* op = o->if_contains("operator");
  if (!op) return check(*o);
  const auto* conditions = o->if_contains("conditions");
  if (!op->is_string() ||
      (op->get_string() != "AND" && op->get_string() != "OR" && op->get_string() != "NOT")) {
    return MethodError{"unsupportedFilter", "operator must be AND, OR or NOT"};
  }
  if (!conditions || !conditions->is_array() || o->size() != 2) {
    return InvalidArguments("a FilterOperator has an operator and conditions only");
  }
  for (const auto& sub : conditions->get_array()) {
    if (sub.is_null()) return InvalidArguments("a condition cannot be null");
    if (auto e = CheckFilter(sub, check)) return e;
  }
  return std::nullopt;
}

bool MatchFilter(const json::value& filter, const ConditionMatch& match) {
  if (filter.is_null()) return true;
  const auto& o = filter.get_object();
  const auto* op = o.if_contains("operator");
  if (!op) return match(o);
  const auto& conditions = o.at("conditions").get_array();
  auto each = [&](const json::value& f) { return MatchFilter(f, match); };
  if (op->get_string() == "AND") return std::all_of(conditions.begin(), conditions.end(), each);
  if (op->get_string() == "OR") return std::any_of(conditions.begin(), conditions.end(), each);
  return std::none_of(conditions.begin(), conditions.end(), each);
}

MethodResult QueryAnswer(const MethodContext& c, const json::object& args,
                         const std::vector<std::string>& ids, store::ModSeq state) {
  std::optional<MethodError> error;
  int64_t position = ReadInt(args, "position", 0, false, error);
  int64_t anchor_offset = ReadInt(args, "anchorOffset", 0, false, error);
  int64_t limit = ReadInt(args, "limit", -1, true, error);
  bool total = ReadBool(args, "calculateTotal", error);
  if (error) return {{}, error};
  auto count = static_cast<int64_t>(ids.size());
  int64_t start = position;
  if (const auto* anchor = args.if_contains("anchor"); anchor && !anchor->is_null()) {
    if (!anchor->is_string()) return {{}, InvalidArguments("anchor must be an id or null")};
    auto it = std::find(ids.begin(), ids.end(), std::string_view(anchor->get_string()));
    if (it == ids.end())
      return MethodResult::Error("anchorNotFound", "the anchor is not in the results");
    start = std::max<int64_t>(0, (it - ids.begin()) + anchor_offset);
  } else if (start < 0) {
    start = std::max<int64_t>(0, count + start);
  }
  int64_t cap = c.limits.max_objects_in_get;
  bool capped = limit < 0 || limit > cap;
  int64_t take = capped ? cap : limit;
  json::array page;
  for (int64_t i = start; i < count && i < start + take; ++i) page.emplace_back(ids[i]);
  json::object out{{"accountId", AccountJmapId(c.who.account)},
                   {"queryState", StateString(state)},
                   {"canCalculateChanges", true},
                   {"position", start},
                   {"ids", std::move(page)}};
  if (total) out["total"] = count;
  if (capped && count - start > cap) out["limit"] = cap;
  return {std::move(out), {}};
}

MethodResult QueryChangesAnswer(MethodContext& c, const json::object& args, store::DataType type,
                                JmapIdOf id, const std::vector<std::string>& ids,
                                store::ModSeq state) {
  const auto* since = args.if_contains("sinceQueryState");
  if (!since || !since->is_string()) {
    return {{}, InvalidArguments("sinceQueryState must be a string")};
  }
  std::optional<MethodError> error;
  auto max = ReadMaxChanges(args, kMaxQueryChanges, error);
  bool total = ReadBool(args, "calculateTotal", error);
  if (error) return {{}, error};
  auto old_state = ParseState(since->get_string());
  if (!old_state || *old_state > state) {
    return MethodResult::Error("cannotCalculateChanges", "unknown query state");
  }
  size_t limit = std::min(max.value_or(kMaxQueryChanges), kMaxQueryChanges);
  auto changes = c.store.ChangesSince(c.who.account, type, *old_state, limit);
  if (!changes && changes.error() != MakeError(Errc::kLimitExceeded)) {
    return {{}, ServerFail(c, changes.error(), "cannot read the change log")};
  }
  if (!changes || changes->has_more) {
    if (max) return MethodResult::Error("tooManyChanges", "more changes than maxChanges");
    return MethodResult::Error("cannotCalculateChanges", "too many changes");
  }
  std::unordered_set<std::string> touched;
  json::array removed, added;
  for (const auto* rows : {&changes->updated, &changes->destroyed}) {
    for (auto row : *rows) removed.emplace_back(id(row));
  }
  for (const auto* rows : {&changes->created, &changes->updated}) {
    for (auto row : *rows) touched.insert(id(row));
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (touched.count(ids[i])) {
      added.push_back(json::object{{"id", ids[i]}, {"index", static_cast<int64_t>(i)}});
    }
  }
  if (max && removed.size() + added.size() > *max) {
    return MethodResult::Error("tooManyChanges", "more changes than maxChanges");
  }
  json::object out{{"accountId", AccountJmapId(c.who.account)},
                   {"oldQueryState", since->get_string()},
                   {"newQueryState", StateString(state)},
                   {"removed", std::move(removed)},
                   {"added", std::move(added)}};
  if (total) out["total"] = static_cast<int64_t>(ids.size());
  return {std::move(out), {}};
}

// --- Values

bool IsEmailAddressList(const json::value& v) {
  if (!v.is_array()) return false;
  for (const auto& a : v.get_array()) {
    const auto* o = a.if_object();
    if (!o || !o->contains("email") || !o->at("email").is_string()) return false;
    for (const auto& [key, value] : *o) {
      if (key == "name" && !value.is_string() && !value.is_null()) return false;
      if (key != "name" && key != "email") return false;
    }
  }
  return true;
}

}  // namespace pushmail::jmap
