// JMAP's view beyond IMAP's: thread reads and counts, leaving a mailbox, identities, the
// vacation response and email submissions.
#include <unordered_set>

#include "store/ops.h"
#include "store/readers.h"
#include "store/store.h"
#include "store/upstream_first.h"
#include "store/vacation_cache.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

constexpr const char* kIdentityColumns =
    "SELECT id, account_id, name, email, reply_to, bcc, text_signature, html_signature, "
    "may_delete FROM identities ";

Identity ReadIdentityRow(const sqlite::Statement& q) {
  return {q.Int(0),
          q.Int(1),
          std::string(q.Text(2)),
          std::string(q.Text(3)),
          std::string(q.Text(4)),
          std::string(q.Text(5)),
          std::string(q.Text(6)),
          std::string(q.Text(7)),
          q.Int(8) != 0};
}

constexpr const char* kSubmissionColumns =
    "SELECT id, account_id, identity_id, email_id, thread_id, envelope, send_at, undo_status, "
    "delivery_status FROM email_submissions ";

EmailSubmission ReadSubmissionRow(const sqlite::Statement& q) {
  return {q.Int(0),
          q.Int(1),
          q.Int(2),
          q.Int(3),
          q.Int(4),
          std::string(q.Text(5)),
          q.Int(6),
          std::string(q.Text(7)),
          std::string(q.Text(8))};
}

std::optional<int64_t> OptionalInt(const sqlite::Statement& q, int column) {
  return q.IsNull(column) ? std::nullopt : std::optional<int64_t>(q.Int(column));
}

std::optional<std::string> OptionalText(const sqlite::Statement& q, int column) {
  return q.IsNull(column) ? std::nullopt : std::optional<std::string>(q.Text(column));
}

void BindOptional(sqlite::Statement& q, int index, const std::optional<int64_t>& v) {
  if (v) {
    q.Bind(index, *v);
  } else {
    q.BindNull(index);
  }
}

void BindOptional(sqlite::Statement& q, int index, const std::optional<std::string>& v) {
  if (v) {
    q.Bind(index, *v);
  } else {
    q.BindNull(index);
  }
}

template <class Read>
auto AllRows(sqlite::Statement& q, Read read) -> Result<std::vector<decltype(read(q))>> {
  std::vector<decltype(read(q))> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(read(q));
  }
}

}  // namespace

Result<std::map<MailboxId, MailboxThreadCounts>> Store::CountThreads(AccountId account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT me.mailbox_id, e.thread_id, "
      "me.keywords NOT LIKE '% $seen %' AND me.keywords NOT LIKE '% $draft %', "
      "coalesce(m.role = 'trash', 0) FROM mailboxes m "
      "JOIN mailbox_emails me ON me.mailbox_id = m.id JOIN emails e ON e.id = me.email_id "
      "WHERE m.account_id = ?");
  q.Bind(1, account);
  struct Row {
    MailboxId mailbox;
    ThreadId thread;
    bool unread, trash;
  };
  auto rows = AllRows(q, [](const sqlite::Statement& s) {
    return Row{s.Int(0), s.Int(1), s.Int(2) != 0, s.Int(3) != 0};
  });
  if (!rows) return rows.error();
  // Threads with an unread email outside the trash, and with one in it (RFC 8621 2).
  std::unordered_set<ThreadId> unread_elsewhere, unread_in_trash;
  for (const Row& r : *rows) {
    if (r.unread) (r.trash ? unread_in_trash : unread_elsewhere).insert(r.thread);
  }
  std::map<MailboxId, std::unordered_set<ThreadId>> threads;
  std::map<MailboxId, MailboxThreadCounts> out;
  for (const Row& r : *rows) {
    MailboxThreadCounts& c = out[r.mailbox];
    ++c.emails;
    c.unread_emails += r.unread ? 1 : 0;
    if (!threads[r.mailbox].insert(r.thread).second) continue;
    ++c.threads;
    c.unread_threads +=
        static_cast<int64_t>((r.trash ? unread_in_trash : unread_elsewhere).count(r.thread));
  }
  return out;
}

Result<std::vector<EmailId>> Store::ReadThread(AccountId account, ThreadId thread) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT id FROM emails WHERE thread_id = ? AND account_id = ? ORDER BY received_at, id");
  q.Bind(1, thread).Bind(2, account);
  return AllRows(q, [](const sqlite::Statement& s) { return s.Int(0); });
}

Result<std::vector<Uid>> Store::RemoveMessages(AccountId account, MailboxId mailbox,
                                               const std::vector<Uid>& uids) {
  if (auto* up = Intercept(account)) {
    std::vector<Uid> gone;
    if (auto ec = RemoveMessagesUpstream(gone, *this, *up, account, mailbox, uids)) return ec;
    return gone;
  }
  std::vector<Uid> removed;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    removed.clear();
    if (auto ec = CheckMailbox(txn, account, mailbox)) return ec;
    std::optional<ModSeq> modseq;
    for (Uid uid : uids) {
      auto& q = txn.Stmt("SELECT email_id FROM mailbox_emails WHERE mailbox_id = ? AND uid = ?");
      q.Bind(1, mailbox).Bind(2, static_cast<int64_t>(uid));
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) continue;
      EmailId email = q.Int(0);
      q.Reset();
      if (!modseq) {
        auto m = BumpMessages(txn, account);
        if (!m) return m.error();
        modseq = *m;
      }
      if (auto ec = RemoveMembership(txn, account, mailbox, uid, email, *modseq)) return ec;
      removed.push_back(uid);
    }
    return {};
  });
  if (ec) return ec;
  return removed;
}

// --- Identities.

Result<std::vector<Identity>> Store::ListIdentities(AccountId account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(std::string(kIdentityColumns) + "WHERE account_id = ? ORDER BY id");
  q.Bind(1, account);
  return AllRows(q, ReadIdentityRow);
}

Result<Identity> Store::CreateIdentity(const Identity& identity) {
  Identity made = identity;
  made.may_delete = true;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto modseq = txn.Bump(identity.account, Bit(DataType::kIdentity));
    if (!modseq) return modseq.error();
    auto& q = txn.Stmt(
        "INSERT INTO identities (account_id, name, email, reply_to, bcc, text_signature, "
        "html_signature) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.Bind(1, identity.account).Bind(2, identity.name).Bind(3, identity.email);
    q.Bind(4, identity.reply_to).Bind(5, identity.bcc).Bind(6, identity.text_signature);
    q.Bind(7, identity.html_signature);
    if (auto ec = q.Run()) return ec;
    made.id = txn.db().LastInsertRowId();
    return txn.Log(identity.account, DataType::kIdentity, made.id, ChangeOp::kCreated, *modseq);
  });
  if (ec) return ec;
  return made;
}

ErrorCode Store::UpdateIdentity(const Identity& identity) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt(
        "UPDATE identities SET name = ?, reply_to = ?, bcc = ?, text_signature = ?, "
        "html_signature = ? WHERE id = ? AND account_id = ?");
    q.Bind(1, identity.name).Bind(2, identity.reply_to).Bind(3, identity.bcc);
    q.Bind(4, identity.text_signature).Bind(5, identity.html_signature);
    q.Bind(6, identity.id).Bind(7, identity.account);
    if (auto ec = q.Run()) return ec;
    if (txn.db().Changes() == 0) return MakeError(Errc::kNotFound);
    auto modseq = txn.Bump(identity.account, Bit(DataType::kIdentity));
    if (!modseq) return modseq.error();
    return txn.Log(identity.account, DataType::kIdentity, identity.id, ChangeOp::kUpdated, *modseq);
  });
}

ErrorCode Store::DeleteIdentity(AccountId account, IdentityId identity) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt("SELECT may_delete FROM identities WHERE id = ? AND account_id = ?");
    q.Bind(1, identity).Bind(2, account);
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return MakeError(Errc::kNotFound);
    if (q.Int(0) == 0) return MakeError(Errc::kInvalidArgument);
    q.Reset();
    auto& d = txn.Stmt("DELETE FROM identities WHERE id = ?");
    d.Bind(1, identity);
    if (auto ec = d.Run()) return ec;
    auto modseq = txn.Bump(account, Bit(DataType::kIdentity));
    if (!modseq) return modseq.error();
    return txn.Log(account, DataType::kIdentity, identity, ChangeOp::kDestroyed, *modseq);
  });
}

// --- The vacation response.

ErrorCode Store::LoadVacations() {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT account_id, from_date, to_date FROM vacation_responses WHERE enabled = 1");
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return {};
    VacationResponse v;
    v.enabled = true;
    v.from = OptionalInt(q, 1);
    v.to = OptionalInt(q, 2);
    vacations_->Set(q.Int(0), v);
  }
}

Result<VacationResponse> Store::GetVacationResponse(AccountId account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT enabled, from_date, to_date, subject, text_body, html_body FROM vacation_responses "
      "WHERE account_id = ?");
  q.Bind(1, account);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return VacationResponse{};
  return VacationResponse{q.Int(0) != 0,      OptionalInt(q, 1),  OptionalInt(q, 2),
                          OptionalText(q, 3), OptionalText(q, 4), OptionalText(q, 5)};
}

ErrorCode Store::SetVacationResponse(AccountId account, const VacationResponse& v) {
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto modseq = txn.Bump(account, Bit(DataType::kVacationResponse));
    if (!modseq) return modseq.error();
    auto& q = txn.Stmt(
        "INSERT OR REPLACE INTO vacation_responses (account_id, enabled, from_date, to_date, "
        "subject, text_body, html_body) VALUES (?, ?, ?, ?, ?, ?, ?)");
    q.Bind(1, account).Bind(2, v.enabled ? 1 : 0);
    BindOptional(q, 3, v.from);
    BindOptional(q, 4, v.to);
    BindOptional(q, 5, v.subject);
    BindOptional(q, 6, v.text_body);
    BindOptional(q, 7, v.html_body);
    if (auto ec = q.Run()) return ec;
    auto& d = txn.Stmt("DELETE FROM vacation_replies WHERE account_id = ?");
    d.Bind(1, account);
    return d.Run();
  });
  if (!ec) vacations_->Set(account, v);
  return ec;
}

bool Store::VacationActive(AccountId account, int64_t when) {
  return vacations_->Active(account, when);
}

Result<bool> Store::ClaimVacationReply(AccountId account, std::string_view sender, int64_t now,
                                       int64_t period) {
  bool claimed = false;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt(
        "INSERT INTO vacation_replies (account_id, sender, replied_at) VALUES (?, ?, ?) "
        "ON CONFLICT (account_id, sender) DO UPDATE SET replied_at = excluded.replied_at "
        "WHERE replied_at <= excluded.replied_at - ?");
    q.Bind(1, account).Bind(2, sender).Bind(3, now).Bind(4, period);
    if (auto ec = q.Run()) return ec;
    claimed = txn.db().Changes() > 0;
    return {};
  });
  if (ec) return Result<bool>(boost::system::in_place_error, ec);
  return claimed;
}

// --- Email submissions.

Result<EmailSubmission> Store::CreateSubmission(const EmailSubmission& s) {
  EmailSubmission made = s;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto modseq = txn.Bump(s.account, Bit(DataType::kEmailSubmission));
    if (!modseq) return modseq.error();
    auto& q = txn.Stmt(
        "INSERT INTO email_submissions (account_id, identity_id, email_id, thread_id, envelope, "
        "send_at, undo_status, delivery_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
    q.Bind(1, s.account).Bind(2, s.identity).Bind(3, s.email).Bind(4, s.thread);
    q.Bind(5, s.envelope).Bind(6, s.send_at).Bind(7, s.undo_status).Bind(8, s.delivery_status);
    if (auto ec = q.Run()) return ec;
    made.id = txn.db().LastInsertRowId();
    return txn.Log(s.account, DataType::kEmailSubmission, made.id, ChangeOp::kCreated, *modseq);
  });
  if (ec) return ec;
  return made;
}

Result<std::vector<EmailSubmission>> Store::ListSubmissions(AccountId account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(std::string(kSubmissionColumns) +
                              "WHERE account_id = ? ORDER BY send_at, id");
  q.Bind(1, account);
  return AllRows(q, ReadSubmissionRow);
}

ErrorCode Store::DeleteSubmission(AccountId account, SubmissionId submission) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& d = txn.Stmt("DELETE FROM email_submissions WHERE id = ? AND account_id = ?");
    d.Bind(1, submission).Bind(2, account);
    if (auto ec = d.Run()) return ec;
    if (txn.db().Changes() == 0) return MakeError(Errc::kNotFound);
    auto modseq = txn.Bump(account, Bit(DataType::kEmailSubmission));
    if (!modseq) return modseq.error();
    return txn.Log(account, DataType::kEmailSubmission, submission, ChangeOp::kDestroyed, *modseq);
  });
}

}  // namespace pushmail::store
