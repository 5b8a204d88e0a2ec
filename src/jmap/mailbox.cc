// Mailbox/get, /changes, /query and /queryChanges (RFC 8621 2.1-2.4).
#include <boost/json.hpp>
#include <map>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/mailbox_view.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {
    "id",           "name",         "parentId",      "role",     "sortOrder",   "totalEmails",
    "unreadEmails", "totalThreads", "unreadThreads", "myRights", "isSubscribed"};

json::object Rights(const store::Mailbox& m) {
  json::object r;
  for (const char* right : {"mayReadItems", "mayAddItems", "mayRemoveItems", "maySetSeen",
                            "maySetKeywords", "mayCreateChild", "maySubmit"}) {
    r[right] = true;
  }
  r["mayRename"] = !IsInbox(m);
  r["mayDelete"] = !IsInbox(m);
  return r;
}

// --- Mailbox/query

std::optional<MethodError> CheckCondition(const json::object& o) {
  for (const auto& [key, value] : o) {
    bool ok = key == "parentId" || key == "role"             ? value.is_string() || value.is_null()
              : key == "name"                                ? value.is_string()
              : key == "hasAnyRole" || key == "isSubscribed" ? value.is_bool()
                                                             : false;
    if (key != "parentId" && key != "role" && key != "name" && key != "hasAnyRole" &&
        key != "isSubscribed") {
      return MethodError{"unsupportedFilter", "cannot filter mailboxes by " + std::string(key)};
    }
    if (!ok) return InvalidArguments("bad value for filter property " + std::string(key));
  }
  return std::nullopt;
}

bool ContainsFolded(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return true;
  for (size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (CompareStrings(haystack.substr(i, needle.size()), needle, "") == 0) return true;
  }
  return false;
}

bool Matches(const store::Mailbox& m, const json::object& condition) {
  for (const auto& [key, value] : condition) {
    bool ok = true;
    if (key == "parentId") {
      ok = value.is_null() ? !m.parent
                           : m.parent && store::MailboxJmapId(*m.parent) == value.get_string();
    } else if (key == "name") {
      ok = ContainsFolded(LeafName(m.name), value.get_string());
    } else if (key == "role") {
      ok = value.is_null() ? m.role.empty() : m.role == value.get_string();
    } else if (key == "hasAnyRole") {
      ok = m.role.empty() != value.get_bool();
    } else if (key == "isSubscribed") {
      ok = m.subscribed == value.get_bool();
    }
    if (!ok) return false;
  }
  return true;
}

bool Before(const store::Mailbox& a, const store::Mailbox& b, const std::vector<Comparator>& sort) {
  for (const auto& c : sort) {
    int order = c.property == "sortOrder"
                    ? (a.sort_order < b.sort_order   ? -1
                       : a.sort_order > b.sort_order ? 1
                                                     : 0)
                    : CompareStrings(LeafName(a.name), LeafName(b.name), c.collation);
    if (order != 0) return c.ascending ? order < 0 : order > 0;
  }
  return false;
}

// Parents before children, siblings in `sorted` order (RFC 8621 2.3 sortAsTree).
std::vector<const store::Mailbox*> AsTree(const std::vector<const store::Mailbox*>& sorted) {
  std::map<store::MailboxId, std::vector<const store::Mailbox*>> children;
  std::vector<const store::Mailbox*> roots, out;
  std::map<store::MailboxId, bool> present;
  for (const auto* m : sorted) present[m->id] = true;
  for (const auto* m : sorted) {
    if (m->parent && present.count(*m->parent)) {
      children[*m->parent].push_back(m);
    } else {
      roots.push_back(m);
    }
  }
  std::function<void(const store::Mailbox*)> visit = [&](const store::Mailbox* m) {
    out.push_back(m);
    for (const auto* child : children[m->id]) visit(child);
  };
  for (const auto* r : roots) visit(r);
  return out;
}

bool ReadFlag(const json::object& args, std::string_view name, std::optional<MethodError>& e) {
  const auto* v = args.if_contains(name);
  if (!v || v->is_null()) return false;
  if (!v->is_bool()) e = InvalidArguments(std::string(name) + " must be a boolean");
  return v->is_bool() && v->get_bool();
}

// The ids Mailbox/query's filter and sort select, in order.
std::optional<std::vector<std::string>> QueryIds(const json::object& args, const Mailboxes& all,
                                                 std::optional<MethodError>& error) {
  const json::value* filter = args.if_contains("filter");
  json::value none;
  if (!filter) filter = &none;
  if ((error = CheckFilter(*filter, CheckCondition))) return std::nullopt;
  std::vector<Comparator> sort;
  if ((error = ReadSort(args, {"sortOrder", "name"}, sort))) return std::nullopt;
  bool as_tree = ReadFlag(args, "sortAsTree", error);
  bool filter_as_tree = ReadFlag(args, "filterAsTree", error);
  if (error) return std::nullopt;
  std::vector<const store::Mailbox*> order;
  for (const auto& v : all.list) order.push_back(&v.mailbox);
  std::stable_sort(order.begin(), order.end(),
                   [&](const auto* a, const auto* b) { return Before(*a, *b, sort); });
  if (as_tree) order = AsTree(order);
  auto matches = [&](const store::Mailbox& m) {
    return MatchFilter(*filter, [&](const json::object& c) { return Matches(m, c); });
  };
  std::vector<std::string> ids;
  for (const auto* m : order) {
    bool in = matches(*m);
    // filterAsTree: every ancestor must match too.
    for (auto parent = m->parent; in && filter_as_tree && parent;) {
      const MailboxView* p = all.Find(*parent);
      if (!p) break;
      in = matches(p->mailbox);
      parent = p->mailbox.parent;
    }
    if (in) ids.push_back(store::MailboxJmapId(m->id));
  }
  return ids;
}

}  // namespace

// --- Shared with mailbox_set.cc (mailbox_view.h).

const MailboxView* Mailboxes::Find(std::string_view jmap_id) const {
  auto row = store::ParseJmapId(jmap_id, 'M');
  return row ? Find(*row) : nullptr;
}

const MailboxView* Mailboxes::Find(store::MailboxId id) const {
  for (const auto& v : list) {
    if (v.mailbox.id == id) return &v;
  }
  return nullptr;
}

bool Mailboxes::HasChild(store::MailboxId id) const {
  return std::any_of(list.begin(), list.end(),
                     [id](const MailboxView& v) { return v.mailbox.parent == id; });
}

Result<Mailboxes> ReadMailboxes(MethodContext& c, bool with_counts) {
  // The state first: data read after it is at least as new, so a client that asks for changes
  // since this state sees everything again rather than missing something.
  auto account = c.store.GetAccount(c.who.account);
  auto boxes = c.store.ListMailboxes(c.who.account);
  auto counts = with_counts ? c.store.CountThreads(c.who.account)
                            : Result<std::map<store::MailboxId, store::MailboxThreadCounts>>();
  if (!account) return account.error();
  if (!boxes) return boxes.error();
  if (!counts) return counts.error();
  Mailboxes out{account->mailbox_state, {}};
  for (auto& m : *boxes) {
    auto it = counts->find(m.id);
    out.list.push_back(
        {std::move(m), it == counts->end() ? store::MailboxThreadCounts{} : it->second});
  }
  return out;
}

std::string_view LeafName(std::string_view path) {
  size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

bool IsInbox(const store::Mailbox& m) { return m.name == "INBOX"; }

json::value MailboxProperty(const MailboxView& v, std::string_view name) {
  const store::Mailbox& m = v.mailbox;
  if (name == "id") return json::string(store::MailboxJmapId(m.id));
  if (name == "name") return json::string(LeafName(m.name));
  if (name == "parentId") {
    return m.parent ? json::value(json::string(store::MailboxJmapId(*m.parent))) : nullptr;
  }
  if (name == "role") return m.role.empty() ? json::value(nullptr) : json::string(m.role);
  if (name == "sortOrder") return m.sort_order;
  if (name == "totalEmails") return v.counts.emails;
  if (name == "unreadEmails") return v.counts.unread_emails;
  if (name == "totalThreads") return v.counts.threads;
  if (name == "unreadThreads") return v.counts.unread_threads;
  if (name == "myRights") return Rights(m);
  return m.subscribed;  // isSubscribed
}

// --- Methods.

MethodResult MailboxGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  auto all = ReadMailboxes(c);
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read mailboxes")};
  json::array list;
  std::vector<std::string> found;
  for (const auto& v : all->list) {
    std::string id = store::MailboxJmapId(v.mailbox.id);
    if (ids && std::find(ids->begin(), ids->end(), id) == ids->end()) continue;
    json::object o;
    for (const auto& p : properties) o[p] = MailboxProperty(v, p);
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
                       {"state", StateString(all->state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult MailboxChanges(MethodContext& c, const json::object& args) {
  store::Changes changes;
  auto result = StandardChanges(c, args, store::DataType::kMailbox, store::MailboxJmapId, &changes);
  if (result.error) return result;
  // RFC 8621 2.2: when only counts changed, say which, so the client fetches only those.
  json::value counts = nullptr;
  if (!changes.updated.empty() && changes.counts_only) {
    counts = json::array{"totalEmails", "unreadEmails", "totalThreads", "unreadThreads"};
  }
  result.arguments["updatedProperties"] = std::move(counts);
  return result;
}

MethodResult MailboxQuery(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  auto all = ReadMailboxes(c, false);  // no filter or sort uses counts
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read mailboxes")};
  std::optional<MethodError> error;
  auto ids = QueryIds(args, *all, error);
  if (error) return {{}, error};
  return QueryAnswer(c, args, *ids, all->state);
}

MethodResult MailboxQueryChanges(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  auto all = ReadMailboxes(c, false);  // no filter or sort uses counts
  if (!all) return {{}, ServerFail(c, all.error(), "cannot read mailboxes")};
  std::optional<MethodError> error;
  auto ids = QueryIds(args, *all, error);
  if (error) return {{}, error};
  return QueryChangesAnswer(c, args, store::DataType::kMailbox, store::MailboxJmapId, *ids,
                            all->state);
}

}  // namespace pushmail::jmap
