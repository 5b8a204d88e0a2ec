#include <algorithm>
#include <set>

// What the bridge (src/bridge) keeps in the store: which upstream message each local message of
// a bridged account mirrors, and each mirrored mailbox's upstream UIDVALIDITY and HIGHESTMODSEQ.
#include "store/keywords.h"
#include "store/ops.h"
#include "store/readers.h"
#include "store/store.h"
#include "store/upstream_first.h"
#include "store/writer.h"

namespace pushmail::store {

ErrorCode RecordUpstream(Txn& txn, MailboxId mailbox, const UpstreamRef& upstream, Uid uid) {
  // A plain INSERT: a second copy of one upstream message breaks the primary key, and the
  // delivery that would have doubled it fails as a whole.
  auto& q = txn.Stmt(
      "INSERT INTO bridge_messages (mailbox_id, uidvalidity, upstream_uid, uid) "
      "VALUES (?, ?, ?, ?)");
  q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(upstream.uidvalidity));
  q.Bind(3, static_cast<int64_t>(upstream.uid)).Bind(4, static_cast<int64_t>(uid));
  return q.Run();
}

Result<UpstreamMailbox> Store::ReadUpstreamMailbox(MailboxId mailbox) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  ReadTransaction snapshot((*lease)->db());
  UpstreamMailbox out;
  auto& box = (*lease)->Prepare(
      "SELECT uidvalidity, highestmodseq FROM bridge_mailboxes WHERE mailbox_id = ?");
  box.Bind(1, mailbox);
  auto row = box.Step();
  if (!row) return row.error();
  if (!*row) return out;
  out.uidvalidity = static_cast<uint32_t>(box.Int(0));
  out.highest_modseq = box.Int(1);
  auto& max = (*lease)->Prepare(
      "SELECT coalesce(max(upstream_uid), 0) FROM bridge_messages "
      "WHERE mailbox_id = ? AND uidvalidity = ?");
  max.Bind(1, mailbox).Bind(2, static_cast<int64_t>(out.uidvalidity));
  row = max.Step();
  if (!row) return row.error();
  out.max_upstream_uid = static_cast<Uid>(max.Int(0));
  auto& q = (*lease)->Prepare(
      "SELECT b.upstream_uid, b.uid, me.keywords FROM bridge_messages b "
      "JOIN mailbox_emails me ON me.mailbox_id = b.mailbox_id AND me.uid = b.uid "
      "WHERE b.mailbox_id = ? AND b.uidvalidity = ? ORDER BY b.upstream_uid");
  q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(out.uidvalidity));
  for (;;) {
    row = q.Step();
    if (!row) return row.error();
    if (!*row) break;
    out.messages.push_back(
        {static_cast<Uid>(q.Int(0)), static_cast<Uid>(q.Int(1)), SplitKeywords(q.Text(2))});
  }
  return out;
}

ErrorCode Store::SetUpstreamMailbox(MailboxId mailbox, uint32_t uidvalidity,
                                    int64_t highest_modseq) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& forget =
        txn.Stmt("DELETE FROM bridge_messages WHERE mailbox_id = ? AND uidvalidity != ?");
    forget.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uidvalidity));
    if (auto ec = forget.Run()) return ec;
    auto& q = txn.Stmt(
        "INSERT INTO bridge_mailboxes (mailbox_id, uidvalidity, highestmodseq) VALUES (?, ?, ?) "
        "ON CONFLICT (mailbox_id) DO UPDATE SET uidvalidity = excluded.uidvalidity, "
        "highestmodseq = excluded.highestmodseq");
    q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uidvalidity)).Bind(3, highest_modseq);
    return q.Run();
  });
}

UpstreamWrites* Store::Intercept(AccountId account) {
  UpstreamWrites* up = upstream_.load();
  return up != nullptr && up->Intercepts(account) ? up : nullptr;
}

namespace {

// Moves and copies one email upstream so that it sits in `wanted` (not empty) and nowhere else.
// A mailbox it leaves gives up its copy by a move when one is to be made, else by a delete.
ErrorCode PlaceUpstream(UpstreamWrites& up, AccountId account,
                        const std::vector<EmailPlacement>& placements,
                        const std::set<MailboxId>& wanted) {
  std::vector<MailboxId> added;
  std::vector<EmailPlacement> leaving;
  std::set<MailboxId> held;
  for (const auto& p : placements) {
    held.insert(p.mailbox);
    if (!wanted.count(p.mailbox)) leaving.push_back(p);
  }
  for (MailboxId m : wanted) {
    if (!held.count(m)) added.push_back(m);
  }
  if (!added.empty()) {
    const EmailPlacement& source = leaving.empty() ? placements.front() : leaving.front();
    CopyResult ignored;
    for (size_t i = 1; i < added.size(); ++i) {
      if (auto ec =
              up.CopyMessages(account, source.mailbox, {source.uid}, added[i], false, ignored)) {
        return ec;
      }
    }
    bool move = !leaving.empty();
    if (auto ec = up.CopyMessages(account, source.mailbox, {source.uid}, added[0], move, ignored)) {
      return ec;
    }
    if (move) leaving.erase(leaving.begin());
  }
  for (const auto& p : leaving) {
    if (auto ec = up.RemoveMessages(account, p.mailbox, {p.uid})) return ec;
  }
  return {};
}

}  // namespace

ErrorCode UpdateEmailsUpstream(std::vector<EmailWriteError>& out, Store& store, UpstreamWrites& up,
                               AccountId account, const std::vector<EmailUpdate>& updates) {
  out.assign(updates.size(), EmailWriteError::kNone);
  auto mailboxes = store.ListMailboxes(account);
  if (!mailboxes) return mailboxes.error();
  for (size_t i = 0; i < updates.size(); ++i) {
    const EmailUpdate& u = updates[i];
    auto placements = store.ReadPlacements(u.email);
    if (!placements) return placements.error();
    if (placements->empty()) {
      out[i] = EmailWriteError::kNotFound;
      continue;
    }
    // The same checks as the local write (ApplyUpdate), before anything goes upstream.
    std::set<MailboxId> wanted;
    Keywords current;
    for (const auto& p : *placements) {
      wanted.insert(p.mailbox);
      current = ApplyKeywords(current, KeywordOp::kAdd, p.keywords);
    }
    Keywords keywords = u.keywords
                            ? ApplyKeywords({}, KeywordOp::kReplace, *u.keywords)
                            : ApplyKeywords(ApplyKeywords(current, KeywordOp::kAdd, u.add_keywords),
                                            KeywordOp::kRemove, u.remove_keywords);
    if (u.mailboxes) wanted = std::set<MailboxId>(u.mailboxes->begin(), u.mailboxes->end());
    for (MailboxId m : u.add_mailboxes) wanted.insert(m);
    for (MailboxId m : u.remove_mailboxes) wanted.erase(m);
    bool known = std::all_of(wanted.begin(), wanted.end(), [&](MailboxId m) {
      return std::any_of(mailboxes->begin(), mailboxes->end(),
                         [m](const Mailbox& b) { return b.id == m; });
    });
    if (keywords.size() > kMaxKeywordsPerEmail) out[i] = EmailWriteError::kTooManyKeywords;
    if (!known) out[i] = EmailWriteError::kMailboxNotFound;
    if (wanted.empty()) out[i] = EmailWriteError::kNoMailbox;
    if (out[i] != EmailWriteError::kNone) continue;
    // Keywords first, so that the copies upstream makes carry them.
    for (const auto& p : *placements) {
      if (keywords == p.keywords) continue;
      if (auto ec = up.StoreKeywords(account, p.mailbox, {p.uid}, KeywordOp::kReplace, keywords)) {
        return ec;
      }
    }
    if (auto ec = PlaceUpstream(up, account, *placements, wanted)) return ec;
  }
  return {};
}

ErrorCode DestroyEmailsUpstream(std::vector<bool>& gone, Store& store, UpstreamWrites& up,
                                AccountId account, const std::vector<EmailId>& emails) {
  gone.assign(emails.size(), false);
  for (size_t i = 0; i < emails.size(); ++i) {
    auto placements = store.ReadPlacements(emails[i]);
    if (!placements) return placements.error();
    for (const auto& p : *placements) {
      if (auto ec = up.RemoveMessages(account, p.mailbox, {p.uid})) return ec;
    }
    gone[i] = !placements->empty();
  }
  return {};
}

ErrorCode RemoveMessagesUpstream(std::vector<Uid>& gone, Store& store, UpstreamWrites& up,
                                 AccountId account, MailboxId mailbox,
                                 const std::vector<Uid>& uids) {
  auto snapshot = store.ReadMailbox(mailbox);
  if (!snapshot) return snapshot.error();
  gone.clear();
  for (const auto& m : snapshot->messages) {
    if (std::find(uids.begin(), uids.end(), m.uid) != uids.end()) gone.push_back(m.uid);
  }
  if (gone.empty()) return {};
  return up.RemoveMessages(account, mailbox, gone);
}

ErrorCode AppendUpstream(std::vector<Delivered>& out, Store& store, UpstreamWrites& up,
                         const std::vector<Incoming>& messages) {
  out.clear();
  for (const auto& in : messages) {
    std::vector<MailboxId> targets{*in.mailbox};
    targets.insert(targets.end(), in.more_mailboxes.begin(), in.more_mailboxes.end());
    for (size_t i = 0; i < targets.size(); ++i) {
      Delivered d;
      if (auto ec = up.AppendMessage(in.recipients.front(), targets[i], in, d)) return ec;
      if (i > 0) continue;
      auto mirrored = store.ReadMessages(d.mailbox, d.uid, d.uid);
      if (!mirrored) return mirrored.error();
      if (mirrored->empty()) return MakeError(Errc::kNotFound);  // expunged upstream already
      d.account = in.recipients.front();
      d.email = mirrored->front().email;
      d.thread = mirrored->front().thread;
      d.modseq = mirrored->front().modseq;
      out.push_back(d);
    }
  }
  return {};
}

Result<Mailbox> CreateMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                      std::string_view name, const MailboxPatch& patch) {
  if (store.FindMailbox(account, name)) return MakeError(Errc::kAlreadyExists);
  if (auto ec = up.CreateMailbox(account, name)) return ec;
  auto made = store.FindMailbox(account, name);
  if (!made) return made.error();
  MailboxPatch local = patch;
  local.name.reset();
  if (!local.role && !local.sort_order && !local.subscribed) return made;
  if (auto ec = store.UpdateMailbox(account, made->id, local)) return ec;
  return store.FindMailbox(account, name);
}

ErrorCode DeleteMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                MailboxId mailbox) {
  auto all = store.ListMailboxes(account);
  if (!all) return all.error();
  auto self =
      std::find_if(all->begin(), all->end(), [&](const Mailbox& m) { return m.id == mailbox; });
  if (self == all->end()) return MakeError(Errc::kNotFound);
  bool parent =
      std::any_of(all->begin(), all->end(), [&](const Mailbox& m) { return m.parent == mailbox; });
  if (self->name == "INBOX" || parent) return MakeError(Errc::kInvalidArgument);
  return up.DeleteMailbox(account, mailbox);
}

ErrorCode RenameMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                MailboxId mailbox, std::string_view new_name) {
  auto all = store.ListMailboxes(account);
  if (!all) return all.error();
  auto self =
      std::find_if(all->begin(), all->end(), [&](const Mailbox& m) { return m.id == mailbox; });
  if (self == all->end()) return MakeError(Errc::kNotFound);
  if (self->name == new_name) return {};
  if (self->name == "INBOX") return MakeError(Errc::kInvalidArgument);  // RFC 9051 6.3.6: a move
  if (store.FindMailbox(account, new_name)) return MakeError(Errc::kAlreadyExists);
  return up.RenameMailbox(account, mailbox, new_name);
}

ErrorCode ExpungeUpstream(Store& store, UpstreamWrites& up, AccountId account, MailboxId mailbox,
                          const std::optional<std::vector<Uid>>& uids) {
  auto snapshot = store.ReadMailbox(mailbox);
  if (!snapshot) return snapshot.error();
  std::vector<Uid> doomed;
  for (const auto& m : snapshot->messages) {
    bool deleted = std::binary_search(m.keywords.begin(), m.keywords.end(), "$deleted");
    bool asked = !uids || std::find(uids->begin(), uids->end(), m.uid) != uids->end();
    if (deleted && asked) doomed.push_back(m.uid);
  }
  if (doomed.empty()) return {};
  return up.RemoveMessages(account, mailbox, doomed);
}

}  // namespace pushmail::store
