// Writes to messages already stored: keywords, expunge, copy and move.
#include <algorithm>
#include <unordered_set>

#include "store/keywords.h"
#include "store/ops.h"
#include "store/store.h"
#include "store/upstream_first.h"

namespace pushmail::store {
namespace {

struct Membership {
  EmailId email = 0;
  std::string keywords;
  ModSeq modseq = 0;
};

// The row of `uid` in `mailbox`, or nullopt when there is none (expunged meanwhile).
Result<std::optional<Membership>> FindMembership(Txn& txn, MailboxId mailbox, Uid uid) {
  auto& q = txn.Stmt(
      "SELECT email_id, keywords, modseq FROM mailbox_emails WHERE mailbox_id = ? AND uid = ?");
  q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uid));
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<Membership>();
  return std::optional<Membership>(Membership{q.Int(0), std::string(q.Text(1)), q.Int(2)});
}

ErrorCode SetKeywords(Txn& txn, AccountId account, MailboxId mailbox, Uid uid, EmailId email,
                      const Keywords& keywords, ModSeq modseq) {
  auto& q = txn.Stmt(
      "UPDATE mailbox_emails SET keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?");
  q.Bind(1, JoinKeywords(keywords)).Bind(2, modseq).Bind(3, mailbox);
  q.Bind(4, static_cast<int64_t>(uid));
  if (auto ec = q.Run()) return ec;
  return txn.Log(account, DataType::kEmail, email, ChangeOp::kUpdated, modseq);
}

// An email already in `to` gets a second email row sharing its blob: a mailbox holds an email
// once (JMAP mailboxIds is a set), but IMAP COPY may ask for a duplicate.
Result<EmailId> EmailFor(Txn& txn, AccountId account, MailboxId to, EmailId email, ModSeq modseq) {
  auto& q = txn.Stmt("SELECT 1 FROM mailbox_emails WHERE mailbox_id = ? AND email_id = ?");
  q.Bind(1, to).Bind(2, email);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return email;
  auto& dup = txn.Stmt(
      "INSERT INTO emails (account_id, blob_id, thread_id, size, received_at, message_id, "
      "summary, modseq, sent_at, has_attachment, from_sort, to_sort, subject_sort) "
      "SELECT account_id, blob_id, thread_id, size, received_at, message_id, summary, ?, "
      "sent_at, has_attachment, from_sort, to_sort, subject_sort "
      "FROM emails WHERE id = ? RETURNING id, thread_id");
  dup.Bind(1, modseq).Bind(2, email);
  auto made = dup.Step();
  if (!made) return made.error();
  if (!*made) return MakeError(Errc::kNotFound);
  EmailId copy = dup.Int(0);
  ThreadId thread = dup.Int(1);
  if (auto ec = dup.Run()) return ec;
  if (auto ec = txn.Log(account, DataType::kEmail, copy, ChangeOp::kCreated, modseq)) return ec;
  if (auto ec = txn.Log(account, DataType::kThread, thread, ChangeOp::kUpdated, modseq)) {
    return ec;
  }
  return copy;
}

Result<uint32_t> Uidvalidity(Txn& txn, MailboxId mailbox) {
  auto& q = txn.Stmt("SELECT uidvalidity FROM mailboxes WHERE id = ?");
  q.Bind(1, mailbox);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  return static_cast<uint32_t>(q.Int(0));
}

}  // namespace

// Shared with RenameMailbox (INBOX's messages move to the new mailbox).
ErrorCode CopyInTxn(Txn& txn, AccountId account, MailboxId from, const std::vector<Uid>& uids,
                    MailboxId to, bool move, CopyResult& out) {
  if (auto ec = CheckMailbox(txn, account, from)) return ec;
  if (auto ec = CheckMailbox(txn, account, to)) return ec;
  auto uidvalidity = Uidvalidity(txn, to);
  if (!uidvalidity) return uidvalidity.error();
  out.uidvalidity = *uidvalidity;
  LazyModSeq modseq(txn, account);
  for (Uid uid : uids) {
    auto m = FindMembership(txn, from, uid);
    if (!m) return m.error();
    if (!*m) continue;
    auto seq = modseq.Get();
    if (!seq) return seq.error();
    if (move) {
      // Out first, so that a move within one mailbox is a plain re-numbering.
      auto& d = txn.Stmt("DELETE FROM mailbox_emails WHERE mailbox_id = ? AND uid = ?");
      d.Bind(1, from).Bind(2, static_cast<int64_t>(uid));
      if (auto ec = d.Run()) return ec;
    }
    auto email = EmailFor(txn, account, to, (*m)->email, *seq);
    if (!email) return email.error();
    auto new_uid = NextUid(txn, to, *seq);
    if (!new_uid) return new_uid.error();
    if (auto ec = AddMembership(txn, account, to, *new_uid, *email, (*m)->keywords, *seq)) {
      return ec;
    }
    if (move) {
      // The row is gone already; RemoveMembership records the expunge and the email's fate.
      if (auto ec = RemoveMembership(txn, account, from, uid, (*m)->email, *seq)) return ec;
    } else if (auto ec = txn.Log(account, DataType::kEmail, *email, ChangeOp::kUpdated, *seq)) {
      return ec;
    }
    out.source.push_back(uid);
    out.destination.push_back(*new_uid);
  }
  return {};
}

Result<KeywordUpdate> Store::UpdateKeywords(AccountId account, MailboxId mailbox,
                                            const std::vector<Uid>& uids, KeywordOp op,
                                            const Keywords& keywords,
                                            std::optional<ModSeq> unchanged_since) {
  if (auto* up = Intercept(account)) {
    if (auto ec = up->StoreKeywords(account, mailbox, uids, op, keywords)) return ec;
  }
  KeywordUpdate out;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    out = {};
    if (auto ec = CheckMailbox(txn, account, mailbox)) return ec;
    LazyModSeq modseq(txn, account);
    for (Uid uid : uids) {
      auto m = FindMembership(txn, mailbox, uid);
      if (!m) return m.error();
      if (!*m) continue;
      if (unchanged_since && (*m)->modseq > *unchanged_since) {
        out.modified.push_back(uid);
        continue;
      }
      Keywords before = SplitKeywords((*m)->keywords);
      Keywords after = ApplyKeywords(before, op, keywords);
      if (after == before) {
        out.unchanged.push_back(uid);
        continue;
      }
      auto seq = modseq.Get();
      if (!seq) return seq.error();
      if (auto ec = SetKeywords(txn, account, mailbox, uid, (*m)->email, after, *seq)) return ec;
      out.changed.push_back({uid, (*m)->email, 0, *seq, 0, 0, std::move(after)});
    }
    if (out.changed.empty()) return {};
    return MailboxChanged(txn, account, mailbox, out.changed.back().modseq);
  });
  if (ec) return ec;
  return out;
}

Result<std::vector<Uid>> Store::Expunge(AccountId account, MailboxId mailbox,
                                        const std::optional<std::vector<Uid>>& uids) {
  if (auto* up = Intercept(account)) {
    // The mirror removes them locally; the IMAP session hears of it as of any other removal.
    if (auto ec = ExpungeUpstream(*this, *up, account, mailbox, uids)) return ec;
  }
  std::vector<Uid> expunged;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    expunged.clear();
    if (auto ec = CheckMailbox(txn, account, mailbox)) return ec;
    std::unordered_set<Uid> only;
    if (uids) only.insert(uids->begin(), uids->end());
    std::vector<std::pair<Uid, EmailId>> doomed;
    auto& q = txn.Stmt(
        "SELECT uid, email_id FROM mailbox_emails WHERE mailbox_id = ? "
        "AND keywords LIKE '% $deleted %' ORDER BY uid");
    q.Bind(1, mailbox);
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      auto uid = static_cast<Uid>(q.Int(0));
      if (!uids || only.count(uid)) doomed.emplace_back(uid, q.Int(1));
    }
    q.Reset();
    if (doomed.empty()) return {};
    auto modseq = BumpMessages(txn, account);
    if (!modseq) return modseq.error();
    for (auto [uid, email] : doomed) {
      if (auto ec = RemoveMembership(txn, account, mailbox, uid, email, *modseq)) return ec;
      expunged.push_back(uid);
    }
    return {};
  });
  if (ec) return ec;
  return expunged;
}

Result<CopyResult> Store::Copy(AccountId account, MailboxId from, const std::vector<Uid>& uids,
                               MailboxId to, bool move) {
  CopyResult out;
  if (auto* up = Intercept(account)) {
    // The mirror makes the copies (and removes what moved); nothing is left to write locally.
    if (auto ec = up->CopyMessages(account, from, uids, to, move, out)) return ec;
    return out;
  }
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    out = {};
    return CopyInTxn(txn, account, from, uids, to, move, out);
  });
  if (ec) return ec;
  return out;
}

}  // namespace pushmail::store
