#include "store/ops.h"

namespace pushmail::store {

ErrorCode CheckMailbox(Txn& txn, AccountId account, MailboxId mailbox) {
  auto& q = txn.Stmt("SELECT 1 FROM mailboxes WHERE id = ? AND account_id = ?");
  q.Bind(1, mailbox).Bind(2, account);
  auto row = q.Step();
  if (!row) return row.error();
  return *row ? ErrorCode() : MakeError(Errc::kNotFound);
}

Result<Uid> NextUid(Txn& txn, MailboxId mailbox, ModSeq modseq) {
  return txn.NextUid(mailbox, modseq);
}

ErrorCode MailboxChanged(Txn& txn, AccountId account, MailboxId mailbox, ModSeq modseq) {
  if (auto ec = txn.RaiseModSeq(mailbox, modseq)) return ec;
  txn.Touch(account, mailbox);
  return txn.Log(account, DataType::kMailbox, mailbox, ChangeOp::kCountsUpdated, modseq);
}

ErrorCode AddMembership(Txn& txn, AccountId account, MailboxId mailbox, Uid uid, EmailId email,
                        const std::string& keywords, ModSeq modseq) {
  auto& q = txn.Stmt(
      "INSERT INTO mailbox_emails (mailbox_id, uid, email_id, keywords, modseq) "
      "VALUES (?, ?, ?, ?, ?)");
  q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uid)).Bind(3, email).Bind(4, keywords);
  q.Bind(5, modseq);
  if (auto ec = q.Run()) return ec;
  txn.Touch(account, mailbox);  // NextUid raised its HIGHESTMODSEQ already
  return txn.Log(account, DataType::kMailbox, mailbox, ChangeOp::kCountsUpdated, modseq);
}

namespace {

// Destroys an email that is in no mailbox any more, and its thread when it was the last one.
ErrorCode DestroyEmail(Txn& txn, AccountId account, EmailId email, ModSeq modseq) {
  auto& e = txn.Stmt("DELETE FROM emails WHERE id = ? RETURNING thread_id");
  e.Bind(1, email);
  auto row = e.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  ThreadId thread = e.Int(0);
  if (auto ec = e.Run()) return ec;
  if (auto ec = txn.Log(account, DataType::kEmail, email, ChangeOp::kDestroyed, modseq)) {
    return ec;
  }
  auto& left = txn.Stmt("SELECT 1 FROM emails WHERE thread_id = ? LIMIT 1");
  left.Bind(1, thread);
  auto more = left.Step();
  if (!more) return more.error();
  if (*more) return txn.Log(account, DataType::kThread, thread, ChangeOp::kUpdated, modseq);
  auto& t = txn.Stmt("DELETE FROM threads WHERE id = ?");
  t.Bind(1, thread);
  if (auto ec = t.Run()) return ec;
  return txn.Log(account, DataType::kThread, thread, ChangeOp::kDestroyed, modseq);
}

}  // namespace

ErrorCode RemoveMembership(Txn& txn, AccountId account, MailboxId mailbox, Uid uid, EmailId email,
                           ModSeq modseq) {
  auto& d = txn.Stmt("DELETE FROM mailbox_emails WHERE mailbox_id = ? AND uid = ?");
  d.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uid));
  if (auto ec = d.Run()) return ec;
  auto& x = txn.Stmt("INSERT OR REPLACE INTO expunged (mailbox_id, uid, modseq) VALUES (?, ?, ?)");
  x.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uid)).Bind(3, modseq);
  if (auto ec = x.Run()) return ec;
  if (auto ec = MailboxChanged(txn, account, mailbox, modseq)) return ec;
  auto& still = txn.Stmt("SELECT 1 FROM mailbox_emails WHERE email_id = ? LIMIT 1");
  still.Bind(1, email);
  auto row = still.Step();
  if (!row) return row.error();
  if (*row) return txn.Log(account, DataType::kEmail, email, ChangeOp::kUpdated, modseq);
  return DestroyEmail(txn, account, email, modseq);
}

Result<ModSeq> BumpMessages(Txn& txn, AccountId account) {
  return txn.Bump(account,
                  Bit(DataType::kEmail) | Bit(DataType::kMailbox) | Bit(DataType::kThread));
}

}  // namespace pushmail::store
