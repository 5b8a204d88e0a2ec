// Mailbox/get (RFC 8621 2.1).
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {
    "id",           "name",         "parentId",      "role",     "sortOrder",   "totalEmails",
    "unreadEmails", "totalThreads", "unreadThreads", "myRights", "isSubscribed"};

json::object Rights() {
  json::object r;
  for (const char* right :
       {"mayReadItems", "mayAddItems", "mayRemoveItems", "maySetSeen", "maySetKeywords",
        "mayCreateChild", "mayRename", "mayDelete", "maySubmit"}) {
    r[right] = true;
  }
  return r;
}

// The JMAP name is the last level of the store's path ("Work/2026" -> "2026").
std::string_view LeafName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

json::value Property(const store::Mailbox& m, const store::MailboxCounts& counts,
                     std::string_view name) {
  if (name == "id") return json::string(store::MailboxJmapId(m.id));
  if (name == "name") return json::string(LeafName(m.name));
  if (name == "parentId") {
    return m.parent ? json::value(json::string(store::MailboxJmapId(*m.parent))) : nullptr;
  }
  if (name == "role") return m.role.empty() ? json::value(nullptr) : json::string(m.role);
  if (name == "sortOrder") return m.sort_order;
  if (name == "totalEmails") return counts.messages;
  if (name == "unreadEmails") return counts.unseen;
  // Threads are counted as emails until the store counts threads per mailbox.
  if (name == "totalThreads") return counts.messages;
  if (name == "unreadThreads") return counts.unseen;
  if (name == "myRights") return Rights();
  return m.subscribed;  // isSubscribed
}

}  // namespace

MethodResult MailboxGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  // The state first: data read after it is at least as new, so a client that asks for changes
  // since this state sees everything again rather than missing something.
  auto account = c.store.GetAccount(c.who.account);
  auto boxes = c.store.ListMailboxes(c.who.account);
  if (!account || !boxes) return MethodResult::Error("serverFail", "cannot read mailboxes");
  json::array list;
  std::vector<std::string> found;
  for (const auto& m : *boxes) {
    std::string id = store::MailboxJmapId(m.id);
    if (ids && std::find(ids->begin(), ids->end(), id) == ids->end()) continue;
    auto counts = c.store.CountMailbox(m.id);
    if (!counts) return MethodResult::Error("serverFail", "cannot count a mailbox");
    json::object o;
    for (const auto& p : properties) o[p] = Property(m, *counts, p);
    list.push_back(std::move(o));
    found.push_back(std::move(id));
  }
  json::array not_found;
  if (ids) {
    for (const auto& id : *ids) {
      if (std::find(found.begin(), found.end(), id) == found.end()) not_found.emplace_back(id);
    }
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(account->mailbox_state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

}  // namespace pushmail::jmap
