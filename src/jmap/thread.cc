// Thread/get and Thread/changes (RFC 8621 3).
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

MethodResult ThreadGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, {"id", "emailIds"}, error);
  if (error) return {{}, error};
  // Every thread of an account is not a sensible answer: clients learn ids from emails.
  if (!ids) return MethodResult::Error("requestTooLarge", "give the ids of the threads to get");
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  json::array list, not_found;
  for (const auto& id : *ids) {
    auto row = store::ParseJmapId(id, 'T');
    auto emails = row ? c.store.ReadThread(c.who.account, *row)
                      : Result<std::vector<store::EmailId>>(std::vector<store::EmailId>{});
    if (!emails) return {{}, ServerFail(c, emails.error(), "cannot read a thread")};
    if (emails->empty()) {  // unknown, gone, or another account's
      not_found.emplace_back(id);
      continue;
    }
    json::object o{{"id", id}};
    if (std::find(properties.begin(), properties.end(), "emailIds") != properties.end()) {
      json::array email_ids;
      for (auto e : *emails) email_ids.emplace_back(store::EmailJmapId(e));
      o["emailIds"] = std::move(email_ids);
    }
    list.push_back(std::move(o));
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(account->thread_state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult ThreadChanges(MethodContext& c, const json::object& args) {
  return StandardChanges(c, args, store::DataType::kThread, store::ThreadJmapId);
}

}  // namespace pushmail::jmap
