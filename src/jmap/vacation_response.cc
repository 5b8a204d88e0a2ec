// VacationResponse/get and /set (RFC 8621 8): one object per account, id "singleton". The
// replies themselves are sent by delivery::AnswerVacations when mail arrives.
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr std::string_view kSingleton = "singleton";
const std::vector<std::string> kProperties = {"id",      "isEnabled", "fromDate", "toDate",
                                              "subject", "textBody",  "htmlBody"};

json::object ToJson(const store::VacationResponse& v) {
  auto date = [](const std::optional<int64_t>& d) {
    return d ? json::value(json::string(UtcDate(*d))) : json::value(nullptr);
  };
  auto text = [](const std::optional<std::string>& t) {
    return t ? json::value(json::string(*t)) : json::value(nullptr);
  };
  return {{"id", kSingleton},
          {"isEnabled", v.enabled},
          {"fromDate", date(v.from)},
          {"toDate", date(v.to)},
          {"subject", text(v.subject)},
          {"textBody", text(v.text_body)},
          {"htmlBody", text(v.html_body)}};
}

// The object after the patch, or the SetError.
std::optional<json::object> FromJson(const json::object& o, store::VacationResponse& out) {
  for (const auto& [key, value] : o) {
    std::string name(key);
    bool ok = false;
    if (key == "id") {
      ok = value == json::value(kSingleton);
    } else if (key == "isEnabled") {
      ok = value.is_bool();
      if (ok) out.enabled = value.get_bool();
    } else if (key == "fromDate" || key == "toDate") {
      auto when = value.is_string() ? ParseUtcDateTime(value.get_string()) : std::nullopt;
      ok = value.is_null() || when;
      (key == "fromDate" ? out.from : out.to) = when;
    } else if (key == "subject" || key == "textBody" || key == "htmlBody") {
      ok = value.is_null() || value.is_string();
      auto& slot = key == "subject"    ? out.subject
                   : key == "textBody" ? out.text_body
                                       : out.html_body;
      slot = value.is_string() ? std::optional<std::string>(value.get_string()) : std::nullopt;
    }
    if (!ok) return SetError("invalidProperties", "bad value for " + name, {name});
  }
  return std::nullopt;
}

}  // namespace

MethodResult VacationResponseGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  auto vacation = c.store.GetVacationResponse(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (!vacation) return {{}, ServerFail(c, vacation.error(), "cannot read it")};
  json::array list, not_found;
  bool wanted = !ids;
  for (const auto& id : ids.value_or(std::vector<std::string>{})) {
    if (id == kSingleton) {
      wanted = true;
    } else {
      not_found.emplace_back(id);
    }
  }
  if (wanted) {
    json::object full = ToJson(*vacation), o;
    for (const auto& p : properties) o[p] = full[p];
    list.push_back(std::move(o));
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(account->vacation_state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult VacationResponseSet(MethodContext& c, const json::object& args) {
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  SetArguments set;
  if (auto e = ReadSetArguments(c, args, account->vacation_state, set)) return {{}, e};
  SetAnswer answer;
  for (const auto& [id, o] : set.create) {
    answer.NotCreated(id, SetError("singleton", "there is exactly one VacationResponse"));
  }
  for (const auto& id : set.destroy) {
    answer.NotDestroyed(id, SetError("singleton", "there is exactly one VacationResponse"));
  }
  for (const auto& [id, patch] : set.update) {
    if (id != kSingleton) {
      answer.NotUpdated(id, SetError("notFound", "the only id is \"singleton\""));
      continue;
    }
    auto current = c.store.GetVacationResponse(c.who.account);
    if (!current) {
      answer.NotUpdated(id, ServerFailSetError(c, current.error(), "cannot read it"));
      continue;
    }
    json::object object = ToJson(*current);
    std::string why;
    if (!ApplyPatch(object, patch, why)) {
      answer.NotUpdated(id, SetError("invalidPatch", why));
      continue;
    }
    store::VacationResponse wanted;
    if (auto e = FromJson(object, wanted)) {
      answer.NotUpdated(id, std::move(*e));
      continue;
    }
    if (auto ec = c.store.SetVacationResponse(c.who.account, wanted)) {
      answer.NotUpdated(id, ServerFailSetError(c, ec, "cannot store it"));
      continue;
    }
    answer.Updated(id);
  }
  return {answer.Finish(c, account->vacation_state, store::DataType::kVacationResponse), {}};
}

}  // namespace pushmail::jmap
