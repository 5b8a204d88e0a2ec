// Email/set (RFC 8621 4.6) on the /set machinery every type shares (standard_methods.h), and
// what Email/import shares with it (email_write.h). Writes go through the store's writer like
// IMAP's, so IMAP sessions and push streams hear of them at once. Creates commit first, in one
// batch, so that update and destroy may name them; whatever fails later fails for its own
// objects only, and the answer reports every object committed.
#include <algorithm>
#include <boost/json.hpp>
#include <ctime>

#include "base/strings.h"
#include "jmap/arguments.h"
#include "jmap/email_filter.h"
#include "jmap/email_write.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

Result<MailboxIds> ReadMailboxIds(MethodContext& c) {
  auto list = c.store.ListMailboxes(c.who.account);
  if (!list) return list.error();
  MailboxIds m;
  for (const auto& b : *list) m.ids.insert(b.id);
  return m;
}

std::optional<store::MailboxId> MailboxOf(const MethodContext& c, const MailboxIds& boxes,
                                          std::string_view id) {
  auto resolved = ResolveId(c, id);
  if (!resolved) return std::nullopt;
  auto row = store::ParseJmapId(*resolved, 'M');
  if (!row || !boxes.ids.count(*row)) return std::nullopt;
  return *row;
}

std::optional<std::vector<store::MailboxId>> ReadMailboxIdSet(const MethodContext& c,
                                                              const MailboxIds& boxes,
                                                              const json::value& v,
                                                              Failure& failure) {
  const json::object* o = v.if_object();
  if (!o) {
    failure = InvalidProperties({"mailboxIds"}, "mailboxIds must be an object");
    return std::nullopt;
  }
  std::vector<store::MailboxId> out;
  for (const auto& [id, value] : *o) {
    auto box = MailboxOf(c, boxes, id);
    if (!value.is_bool() || !value.get_bool() || !box) {
      failure = InvalidProperties({"mailboxIds"}, "no such mailbox: " + std::string(id));
      return std::nullopt;
    }
    out.push_back(*box);
  }
  return out;
}

std::optional<store::Keywords> ReadKeywordSet(const json::value& v, Failure& failure) {
  const json::object* o = v.if_object();
  if (!o) {
    failure = InvalidProperties({"keywords"}, "keywords must be an object");
    return std::nullopt;
  }
  store::Keywords out;
  for (const auto& [k, value] : *o) {
    if (!value.is_bool() || !value.get_bool() || !ValidKeyword(k)) {
      failure = InvalidProperties({"keywords"}, "not a keyword: " + std::string(k));
      return std::nullopt;
    }
    out.emplace_back(AsciiLower(k));
  }
  if (out.size() > store::kMaxKeywordsPerEmail) {
    failure = SetError("tooManyKeywords");
    return std::nullopt;
  }
  return out;
}

void StoreCreations(MethodContext& c,
                    std::vector<std::pair<std::string, store::Incoming>>& creations,
                    SetAnswer& answer) {
  if (creations.empty()) return;
  std::vector<store::Incoming> all;
  all.reserve(creations.size());
  for (auto& [cid, in] : creations) all.push_back(std::move(in));
  auto delivered = c.store.DeliverAll(std::move(all));
  if (!delivered) {
    for (const auto& [cid, in] : creations) {
      answer.NotCreated(cid, ServerFailSetError(c, delivered.error(), "cannot store the email"));
    }
    return;
  }
  for (size_t i = 0; i < creations.size() && i < delivered->size(); ++i) {
    const auto& d = (*delivered)[i];
    // The email is committed: a failure to read it back leaves blobId and size unknown, not the
    // creation undone.
    auto record = c.store.GetEmail(d.email);
    answer.Created(c, creations[i].first, store::EmailJmapId(d.email),
                   json::object{{"blobId", record ? record->blob_id : std::string()},
                                {"threadId", store::ThreadJmapId(d.thread)},
                                {"size", record ? record->size : 0}});
  }
}

namespace {

// --- Update.

// What one email's patch asks the store for; the SetError when it cannot be.
Failure ReadUpdate(const MethodContext& c, const MailboxIds& boxes, const json::object& patch,
                   store::EmailUpdate& u) {
  Failure failure;
  bool whole_keywords = false, whole_mailboxes = false, some_keywords = false,
       some_mailboxes = false;
  std::vector<std::string> immutable;
  for (const auto& [key, value] : patch) {
    if (key == "keywords") {
      whole_keywords = true;
      auto k = ReadKeywordSet(value, failure);
      if (!k) return failure;
      u.keywords = std::move(*k);
    } else if (key == "mailboxIds") {
      whole_mailboxes = true;
      auto m = ReadMailboxIdSet(c, boxes, value, failure);
      if (!m) return failure;
      u.mailboxes = std::move(*m);
    } else if (key.starts_with("keywords/")) {
      some_keywords = true;
      std::string k = UnescapePointerToken(key.substr(9));
      if (!ValidKeyword(k) || !(value.is_null() || (value.is_bool() && value.get_bool()))) {
        return InvalidProperties({std::string(key)});
      }
      (value.is_null() ? u.remove_keywords : u.add_keywords).push_back(AsciiLower(k));
    } else if (key.starts_with("mailboxIds/")) {
      some_mailboxes = true;
      std::string id = UnescapePointerToken(key.substr(11));
      auto box = MailboxOf(c, boxes, id);
      if (value.is_bool() && value.get_bool()) {
        if (!box) return InvalidProperties({std::string(key)}, "no such mailbox");
        u.add_mailboxes.push_back(*box);
      } else if (value.is_null()) {
        if (box) u.remove_mailboxes.push_back(*box);
      } else {
        return InvalidProperties({std::string(key)});
      }
    } else {
      immutable.emplace_back(key);  // everything else of an Email is (RFC 8621 4.6)
    }
  }
  if (!immutable.empty()) return InvalidProperties(immutable, "these cannot be changed");
  if ((whole_keywords && some_keywords) || (whole_mailboxes && some_mailboxes)) {
    return SetError("invalidPatch", "a property and a path inside it in one patch");
  }
  return std::nullopt;
}

json::object UpdateError(store::EmailWriteError e) {
  switch (e) {
    case store::EmailWriteError::kNotFound:
      return SetError("notFound");
    case store::EmailWriteError::kTooManyKeywords:
      return SetError("tooManyKeywords");
    default:
      return InvalidProperties({"mailboxIds"}, "an email needs a mailbox");
  }
}

void Create(MethodContext& c, const MailboxIds& boxes, const SetArguments& set, SetAnswer& answer) {
  std::vector<std::pair<std::string, store::Incoming>> creations;
  for (const auto& [cid, o] : set.create) {
    store::Incoming in;
    if (Failure f = ReadCreate(c, boxes, o, in)) {
      answer.NotCreated(cid, std::move(*f));
    } else {
      creations.emplace_back(cid, std::move(in));
    }
  }
  StoreCreations(c, creations, answer);
}

void Update(MethodContext& c, const MailboxIds& boxes, const SetArguments& set, SetAnswer& answer) {
  std::vector<store::EmailUpdate> updates;
  std::vector<std::string> names;
  for (const auto& [id, patch] : set.update) {
    auto row = store::ParseJmapId(id, 'E');
    if (!row) {
      answer.NotUpdated(id, SetError("notFound"));
      continue;
    }
    store::EmailUpdate u;
    u.email = *row;
    if (Failure f = ReadUpdate(c, boxes, patch, u)) {
      answer.NotUpdated(id, std::move(*f));
      continue;
    }
    updates.push_back(std::move(u));
    names.push_back(id);
  }
  if (updates.empty()) return;
  auto results = c.store.UpdateEmails(c.who.account, updates);
  for (size_t i = 0; i < names.size(); ++i) {
    if (!results) {
      answer.NotUpdated(names[i], ServerFailSetError(c, results.error(), "cannot update emails"));
    } else if ((*results)[i] == store::EmailWriteError::kNone) {
      answer.Updated(names[i]);
    } else {
      answer.NotUpdated(names[i], UpdateError((*results)[i]));
    }
  }
}

void Destroy(MethodContext& c, const SetArguments& set, SetAnswer& answer) {
  std::vector<store::EmailId> rows;
  std::vector<std::string> names;
  for (const auto& id : set.destroy) {
    auto row = store::ParseJmapId(id, 'E');
    if (!row) {
      answer.NotDestroyed(id, SetError("notFound"));
      continue;
    }
    rows.push_back(*row);
    names.push_back(id);
  }
  if (rows.empty()) return;
  auto results = c.store.DestroyEmails(c.who.account, rows);
  for (size_t i = 0; i < names.size(); ++i) {
    if (!results) {
      answer.NotDestroyed(names[i],
                          ServerFailSetError(c, results.error(), "cannot destroy emails"));
    } else if ((*results)[i] == store::EmailWriteError::kNone) {
      answer.Destroyed(names[i]);
    } else {
      answer.NotDestroyed(names[i], SetError("notFound"));
    }
  }
}

}  // namespace

MethodResult EmailSet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  SetArguments set;
  if (auto e = ReadSetArguments(c, args, account->email_state, set)) return {{}, e};
  auto boxes = ReadMailboxIds(c);
  if (!boxes) return {{}, ServerFail(c, boxes.error(), "cannot read mailboxes")};
  SetAnswer answer;
  Create(c, *boxes, set, answer);
  ResolveCreationIds(c, set);
  Update(c, *boxes, set, answer);
  Destroy(c, set, answer);
  return {answer.Finish(c, account->email_state, store::DataType::kEmail), {}};
}

}  // namespace pushmail::jmap
