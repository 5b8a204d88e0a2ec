// EmailSubmission/get, /changes, /query and /queryChanges (RFC 8621 7.1-7.4). Sending is in
// submission_set.cc.
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"
#include "jmap/submission_view.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {
    "id",     "identityId", "emailId",        "threadId",   "envelope",
    "sendAt", "undoStatus", "deliveryStatus", "dsnBlobIds", "mdnBlobIds"};

json::value ParsedOrNull(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value(nullptr) : v;
}

std::optional<MethodError> CheckCondition(const json::object& o) {
  for (const auto& [key, value] : o) {
    if (key == "identityIds" || key == "emailIds" || key == "threadIds") {
      if (!value.is_array() || !std::all_of(value.get_array().begin(), value.get_array().end(),
                                            [](const json::value& id) { return id.is_string(); })) {
        return InvalidArguments(std::string(key) + " must be an array of ids");
      }
    } else if (key == "undoStatus") {
      if (!value.is_string()) return InvalidArguments("undoStatus must be a string");
    } else if (key == "before" || key == "after") {
      if (!value.is_string() || !ParseUtcDateTime(value.get_string())) {
        return InvalidArguments(std::string(key) + " must be a UTCDate");
      }
    } else {
      return MethodError{"unsupportedFilter", "cannot filter submissions by " + std::string(key)};
    }
  }
  return std::nullopt;
}

bool Matches(const store::EmailSubmission& s, const json::object& condition) {
  auto listed = [](const json::value& ids, const std::string& id) {
    const auto& a = ids.get_array();
    return std::find(a.begin(), a.end(), json::value(json::string(id))) != a.end();
  };
  for (const auto& [key, value] : condition) {
    bool ok = true;
    if (key == "identityIds") ok = listed(value, store::IdentityJmapId(s.identity));
    if (key == "emailIds") ok = listed(value, store::EmailJmapId(s.email));
    if (key == "threadIds") ok = listed(value, store::ThreadJmapId(s.thread));
    if (key == "undoStatus") ok = value.get_string() == s.undo_status;
    if (key == "before") ok = s.send_at < *ParseUtcDateTime(value.get_string());
    if (key == "after") ok = s.send_at >= *ParseUtcDateTime(value.get_string());
    if (!ok) return false;
  }
  return true;
}

bool Before(const store::EmailSubmission& a, const store::EmailSubmission& b,
            const std::vector<Comparator>& sort) {
  for (const auto& c : sort) {
    int64_t x = c.property == "emailId" ? a.email : c.property == "threadId" ? a.thread : a.send_at;
    int64_t y = c.property == "emailId" ? b.email : c.property == "threadId" ? b.thread : b.send_at;
    if (x != y) return c.ascending ? x < y : x > y;
  }
  return false;
}

struct Listed {
  store::ModSeq state = 0;
  std::vector<store::EmailSubmission> list;
};

Result<Listed> ReadSubmissions(MethodContext& c) {
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  auto list = c.store.ListSubmissions(c.who.account);
  if (!account) return account.error();
  if (!list) return list.error();
  return Listed{account->submission_state, std::move(*list)};
}

std::optional<std::vector<std::string>> QueryIds(const json::object& args, const Listed& all,
                                                 std::optional<MethodError>& error) {
  const json::value* filter = args.if_contains("filter");
  json::value none;
  if (!filter) filter = &none;
  if ((error = CheckFilter(*filter, CheckCondition))) return std::nullopt;
  std::vector<Comparator> sort;
  if ((error = ReadSort(args, {"emailId", "threadId", "sentAt"}, sort))) return std::nullopt;
  std::vector<const store::EmailSubmission*> order;
  for (const auto& s : all.list) {
    if (MatchFilter(*filter, [&](const json::object& cond) { return Matches(s, cond); })) {
      order.push_back(&s);
    }
  }
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto* a, const auto* b) { return Before(*a, *b, sort); });
  std::vector<std::string> ids;
  ids.reserve(order.size());
  for (const auto* s : order) ids.push_back(store::SubmissionJmapId(s->id));
  return ids;
}

}  // namespace

json::object SubmissionJson(const store::EmailSubmission& s) {
  return {{"id", store::SubmissionJmapId(s.id)},
          {"identityId", store::IdentityJmapId(s.identity)},
          {"emailId", store::EmailJmapId(s.email)},
          {"threadId", store::ThreadJmapId(s.thread)},
          {"envelope", ParsedOrNull(s.envelope)},
          {"sendAt", UtcDate(s.send_at)},
          {"undoStatus", s.undo_status},
          {"deliveryStatus", ParsedOrNull(s.delivery_status)},
          {"dsnBlobIds", json::array()},
          {"mdnBlobIds", json::array()}};
}

MethodResult SubmissionGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  auto all = ReadSubmissions(c);
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read submissions")};
  json::array list, not_found;
  auto add = [&](const store::EmailSubmission& s) {
    json::object full = SubmissionJson(s), o;
    for (const auto& p : properties) o[p] = full[p];
    list.push_back(std::move(o));
  };
  if (!ids) {
    for (const auto& s : all->list) add(s);
  }
  for (const auto& id : ids.value_or(std::vector<std::string>{})) {
    auto row = store::ParseJmapId(id, 'S');
    auto it = std::find_if(all->list.begin(), all->list.end(),
                           [&](const auto& s) { return row && s.id == *row; });
    if (it == all->list.end()) {
      not_found.emplace_back(id);
    } else {
      add(*it);
    }
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(all->state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult SubmissionChanges(MethodContext& c, const json::object& args) {
  return StandardChanges(c, args, store::DataType::kEmailSubmission, store::SubmissionJmapId);
}

MethodResult SubmissionQuery(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  auto all = ReadSubmissions(c);
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read submissions")};
  std::optional<MethodError> error;
  auto ids = QueryIds(args, *all, error);
  if (error) return {{}, error};
  return QueryAnswer(c, args, *ids, all->state);
}

MethodResult SubmissionQueryChanges(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  auto all = ReadSubmissions(c);
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read submissions")};
  std::optional<MethodError> error;
  auto ids = QueryIds(args, *all, error);
  if (error) return {{}, error};
  return QueryChangesAnswer(c, args, store::DataType::kEmailSubmission, store::SubmissionJmapId,
                            *ids, all->state);
}

}  // namespace pushmail::jmap
