// Mailbox/set (RFC 8621 2.5) through the store's mailbox writes, so IMAP sessions and push
// streams see every change the moment it commits.
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/mailbox_view.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr size_t kMaxNameSize = 490;  // octets, advertised as maxSizeMailboxName

// The lower-case names of the IANA "IMAP Mailbox Name Attributes" that make sense as a role.
const std::vector<std::string_view> kRoles = {"all",       "archive", "drafts",    "flagged",
                                              "important", "inbox",   "junk",      "sent",
                                              "trash",     "snoozed", "scheduled", "memos"};

const std::vector<std::string_view> kSettable = {"name", "parentId", "role", "sortOrder",
                                                 "isSubscribed"};
// What only the server sets; an update may send them back unchanged (RFC 8620 5.3).
const std::vector<std::string_view> kServerSet = {"id",           "totalEmails",   "unreadEmails",
                                                  "totalThreads", "unreadThreads", "myRights"};
const std::vector<std::string_view> kCounts = {"totalEmails", "unreadEmails", "totalThreads",
                                               "unreadThreads"};

bool Has(const std::vector<std::string_view>& list, std::string_view name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

// A mailbox as the client wants it: the settable properties, checked.
struct Wanted {
  std::string name;
  std::optional<store::MailboxId> parent;
  std::string role;
  int64_t sort_order = 0;
  bool subscribed = true;
};

// Checks the settable properties of `o` (a whole object: omitted ones have their defaults)
// against the account's mailboxes. On failure returns the SetError.
std::optional<json::object> ReadWanted(MethodContext& c, const json::object& o,
                                       const Mailboxes& all, Wanted& out) {
  for (const auto& [key, value] : o) {
    if (std::find(kSettable.begin(), kSettable.end(), key) == kSettable.end()) {
      return SetError("invalidProperties", "cannot set " + std::string(key), {std::string(key)});
    }
  }
  const auto* name = o.if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty() ||
      name->get_string().size() > kMaxNameSize ||
      name->get_string().find('/') != json::string::npos ||
      std::any_of(name->get_string().begin(), name->get_string().end(),
                  [](char ch) { return static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f; })) {
    return SetError("invalidProperties",
                    "name must be 1 to 490 octets, without '/' or control characters", {"name"});
  }
  out.name = std::string(name->get_string());
  if (const auto* p = o.if_contains("parentId"); p && !p->is_null()) {
    auto id = p->is_string() ? ResolveId(c, p->get_string()) : std::nullopt;
    const MailboxView* parent = id ? all.Find(*id) : nullptr;
    if (!parent) return SetError("invalidProperties", "no such parent mailbox", {"parentId"});
    out.parent = parent->mailbox.id;
  }
  if (const auto* r = o.if_contains("role"); r && !r->is_null()) {
    if (!r->is_string() ||
        std::find(kRoles.begin(), kRoles.end(), r->get_string()) == kRoles.end()) {
      return SetError("invalidProperties", "unknown role", {"role"});
    }
    out.role = std::string(r->get_string());
  }
  if (const auto* s = o.if_contains("sortOrder"); s && !s->is_null()) {
    if (!s->is_int64() || s->get_int64() < 0 || s->get_int64() >= (int64_t{1} << 31)) {
      return SetError("invalidProperties", "sortOrder must be in 0..2^31-1", {"sortOrder"});
    }
    out.sort_order = s->get_int64();
  }
  if (const auto* s = o.if_contains("isSubscribed"); s && !s->is_null()) {
    if (!s->is_bool())
      return SetError("invalidProperties", "isSubscribed must be a boolean", {"isSubscribed"});
    out.subscribed = s->get_bool();
  }
  return std::nullopt;
}

// The store's full path for `w` ("Parent/Name").
std::string PathOf(const Wanted& w, const Mailboxes& all) {
  if (!w.parent) return w.name;
  return all.Find(*w.parent)->mailbox.name + "/" + w.name;
}

// Why a mailbox write failed, from a fresh look at the account (another client may have
// raced this one).
json::object Conflict(MethodContext& c, const Wanted& w, store::MailboxId self) {
  auto all = ReadMailboxes(c, false);
  if (all && !w.role.empty()) {
    for (const auto& v : all->list) {
      if (v.mailbox.role == w.role && v.mailbox.id != self) {
        return SetError("invalidProperties", "another mailbox has the role " + w.role, {"role"});
      }
    }
  }
  return SetError("invalidProperties", "a mailbox of that name exists there already", {"name"});
}

json::object StoreFailure(MethodContext& c, ErrorCode ec, const Wanted& w, store::MailboxId self) {
  if (ec == MakeError(Errc::kAlreadyExists)) return Conflict(c, w, self);
  if (ec == MakeError(Errc::kInvalidArgument)) {
    return SetError("invalidProperties", "the mailbox would be too deep or its path too long",
                    {"name", "parentId"});
  }
  if (ec == MakeError(Errc::kNotFound)) return SetError("notFound", "");
  return ServerFailSetError(c, ec, "cannot write the mailbox");
}

// The role taken by another mailbox than `self`.
bool RoleTaken(const Mailboxes& all, const std::string& role, store::MailboxId self) {
  return !role.empty() && std::any_of(all.list.begin(), all.list.end(), [&](const auto& v) {
    return v.mailbox.role == role && v.mailbox.id != self;
  });
}

// Whether creation `o` names as parent a creation of this call not made yet.
bool WaitsForParent(MethodContext& c, const json::object& o, const SetArguments& set) {
  const auto* p = o.if_contains("parentId");
  if (!p || !p->is_string() || !p->get_string().starts_with('#')) return false;
  std::string_view ref = p->get_string();
  ref.remove_prefix(1);
  if (c.created_ids.contains(ref)) return false;
  return std::any_of(set.create.begin(), set.create.end(),
                     [&](const auto& entry) { return entry.first == ref; });
}

void CreateOne(MethodContext& c, const std::string& creation_id, const json::object& o,
               SetAnswer& answer) {
  auto all = ReadMailboxes(c, false);
  if (!all) {
    return answer.NotCreated(creation_id,
                             ServerFailSetError(c, all.error(), "cannot read mailboxes"));
  }
  Wanted w;
  if (auto e = ReadWanted(c, o, *all, w)) return answer.NotCreated(creation_id, std::move(*e));
  if (RoleTaken(*all, w.role, 0)) {
    return answer.NotCreated(creation_id, Conflict(c, w, 0));
  }
  store::MailboxPatch patch{{}, w.role, w.sort_order, w.subscribed};
  auto made = c.store.CreateMailbox(c.who.account, PathOf(w, *all), patch);
  if (!made) return answer.NotCreated(creation_id, StoreFailure(c, made.error(), w, 0));
  json::object props{{"totalEmails", 0},
                     {"unreadEmails", 0},
                     {"totalThreads", 0},
                     {"unreadThreads", 0},
                     {"myRights", MailboxProperty({*made, {}}, "myRights")}};
  for (std::string_view key : kSettable) {
    if (!o.contains(key)) props[key] = MailboxProperty({*made, {}}, key);
  }
  answer.Created(c, creation_id, store::MailboxJmapId(made->id), std::move(props));
}

void Create(MethodContext& c, const SetArguments& set, SetAnswer& answer) {
  // Parents made in the same call come first, whatever order the client gave.
  std::vector<const std::pair<std::string, json::object>*> pending;
  for (const auto& entry : set.create) pending.push_back(&entry);
  while (!pending.empty()) {
    std::vector<const std::pair<std::string, json::object>*> later;
    for (const auto* entry : pending) {
      if (WaitsForParent(c, entry->second, set)) {
        later.push_back(entry);
      } else {
        CreateOne(c, entry->first, entry->second, answer);
      }
    }
    if (later.size() == pending.size()) {
      for (const auto* entry : later) {
        answer.NotCreated(entry->first,
                          SetError("invalidProperties", "the parent is not created", {"parentId"}));
      }
      break;
    }
    pending = std::move(later);
  }
}

// `patch` without the server-set properties it gives their current value (RFC 8620 5.3 allows
// them). Every other property it may not set goes to `refused`.
json::object SettablePatch(const MailboxView& v, const json::object& patch,
                           std::vector<std::string>& refused) {
  json::object out;
  for (const auto& [path, value] : patch) {
    json::object one{{path, value}};
    std::string property = PatchedProperties(one).at(0);
    if (Has(kSettable, property)) {
      out[path] = value;
      continue;
    }
    if (Has(kServerSet, property)) {
      json::object current{{property, MailboxProperty(v, property)}};
      json::object patched = current;
      std::string why;
      if (ApplyPatch(patched, one, why) && patched == current) continue;
    }
    if (std::find(refused.begin(), refused.end(), property) == refused.end()) {
      refused.push_back(std::move(property));
    }
  }
  return out;
}

// Whether `patch` names a count: only then are the mailboxes read with their counts.
bool PatchesCounts(const json::object& patch) {
  for (const auto& p : PatchedProperties(patch)) {
    if (Has(kCounts, p)) return true;
  }
  return false;
}

void UpdateOne(MethodContext& c, const std::string& id, const json::object& given_patch,
               SetAnswer& answer) {
  auto all = ReadMailboxes(c, PatchesCounts(given_patch));
  if (!all) {
    return answer.NotUpdated(id, ServerFailSetError(c, all.error(), "cannot read mailboxes"));
  }
  const MailboxView* v = all->Find(id);
  if (!v) return answer.NotUpdated(id, SetError("notFound", ""));
  const store::Mailbox& m = v->mailbox;
  std::vector<std::string> refused;
  json::object patch = SettablePatch(*v, given_patch, refused);
  if (!refused.empty()) {
    return answer.NotUpdated(id, InvalidProperties(refused, "only the server sets these"));
  }
  json::object current;
  for (std::string_view key : kSettable) current[key] = MailboxProperty(*v, key);
  std::string why;
  json::object wanted_json = current;
  if (!ApplyPatch(wanted_json, patch, why)) {
    return answer.NotUpdated(id, SetError("invalidPatch", why));
  }
  Wanted w;
  if (auto e = ReadWanted(c, wanted_json, *all, w)) return answer.NotUpdated(id, std::move(*e));
  bool moved = w.name != LeafName(m.name) || w.parent != m.parent;
  if (IsInbox(m) && (moved || w.role != m.role)) {
    return answer.NotUpdated(id, SetError("forbidden", "INBOX keeps its name, place and role"));
  }
  for (auto p = w.parent; p;) {  // not under itself
    if (*p == m.id) {
      return answer.NotUpdated(
          id, SetError("invalidProperties", "a mailbox cannot be its own ancestor", {"parentId"}));
    }
    p = all->Find(*p)->mailbox.parent;
  }
  if (RoleTaken(*all, w.role, m.id)) return answer.NotUpdated(id, Conflict(c, w, m.id));
  store::MailboxPatch change;
  if (moved) change.name = PathOf(w, *all);
  if (w.role != m.role) change.role = w.role;
  if (w.sort_order != m.sort_order) change.sort_order = w.sort_order;
  if (w.subscribed != m.subscribed) change.subscribed = w.subscribed;
  if (auto ec = c.store.UpdateMailbox(c.who.account, m.id, change)) {
    return answer.NotUpdated(id, StoreFailure(c, ec, w, m.id));
  }
  answer.Updated(id);
}

void DestroyOne(MethodContext& c, const std::string& id, bool remove_emails, SetAnswer& answer) {
  auto all = ReadMailboxes(c, false);
  if (!all) {
    return answer.NotDestroyed(id, ServerFailSetError(c, all.error(), "cannot read mailboxes"));
  }
  const MailboxView* v = all->Find(id);
  if (!v) return answer.NotDestroyed(id, SetError("notFound", ""));
  if (IsInbox(v->mailbox)) {
    return answer.NotDestroyed(id, SetError("forbidden", "INBOX cannot be destroyed"));
  }
  if (all->HasChild(v->mailbox.id)) {
    return answer.NotDestroyed(id, SetError("mailboxHasChild", "destroy its children first"));
  }
  auto counts = c.store.CountMailbox(v->mailbox.id);
  if (!counts) {
    return answer.NotDestroyed(id,
                               ServerFailSetError(c, counts.error(), "cannot count its emails"));
  }
  if (!remove_emails && counts->messages > 0) {
    return answer.NotDestroyed(
        id, SetError("mailboxHasEmail", "it holds emails (see onDestroyRemoveEmails)"));
  }
  if (auto ec = c.store.DeleteMailbox(c.who.account, v->mailbox.id)) {
    if (ec == MakeError(Errc::kNotFound)) return answer.NotDestroyed(id, SetError("notFound", ""));
    // The store refuses a mailbox that has children (one was made meanwhile).
    if (ec == MakeError(Errc::kInvalidArgument)) {
      return answer.NotDestroyed(id, SetError("mailboxHasChild", "destroy its children first"));
    }
    return answer.NotDestroyed(id, ServerFailSetError(c, ec, "cannot delete the mailbox"));
  }
  answer.Destroyed(id);
}

}  // namespace

MethodResult MailboxSet(MethodContext& c, const json::object& args) {
  auto before = ReadMailboxes(c, false);
  if (!before) return {{}, ServerFail(c, before.error(), "cannot read mailboxes")};
  SetArguments set;
  if (auto e = ReadSetArguments(c, args, before->state, set)) return {{}, e};
  bool remove_emails = false;
  if (const auto* r = args.if_contains("onDestroyRemoveEmails"); r && !r->is_null()) {
    if (!r->is_bool()) return {{}, InvalidArguments("onDestroyRemoveEmails must be a boolean")};
    remove_emails = r->get_bool();
  }
  SetAnswer answer;
  Create(c, set, answer);
  for (const auto& [id, patch] : set.update) UpdateOne(c, id, patch, answer);
  // Children before their parents, so a client may destroy a whole subtree in one call.
  std::vector<std::pair<size_t, std::string>> doomed;
  for (const auto& id : set.destroy) {
    const MailboxView* v = before->Find(id);
    size_t depth = v ? std::count(v->mailbox.name.begin(), v->mailbox.name.end(), '/') : 0;
    doomed.emplace_back(depth, id);
  }
  std::stable_sort(doomed.begin(), doomed.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  for (const auto& [depth, id] : doomed) DestroyOne(c, id, remove_emails, answer);
  return {answer.Finish(c, before->state, store::DataType::kMailbox), {}};
}

}  // namespace pushmail::jmap
