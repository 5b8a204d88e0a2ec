#include <algorithm>

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

ErrorCode UpdateEmailsUpstream(Store& store, UpstreamWrites& up, AccountId account,
                               const std::vector<EmailUpdate>& updates) {
  for (const auto& u : updates) {
    if (u.mailboxes || !u.add_mailboxes.empty() || !u.remove_mailboxes.empty()) {
      return MakeError(Errc::kUnavailable);  // moves of bridged emails: not yet
    }
    auto placements = store.ReadPlacements(u.email);
    if (!placements) return placements.error();
    for (const auto& p : *placements) {
      Keywords after =
          u.keywords ? ApplyKeywords({}, KeywordOp::kReplace, *u.keywords)
                     : ApplyKeywords(ApplyKeywords(p.keywords, KeywordOp::kAdd, u.add_keywords),
                                     KeywordOp::kRemove, u.remove_keywords);
      if (after == p.keywords || after.size() > kMaxKeywordsPerEmail) continue;
      if (auto ec = up.StoreKeywords(account, p.mailbox, {p.uid}, KeywordOp::kReplace, after)) {
        return ec;
      }
    }
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
