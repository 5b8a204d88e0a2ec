// What JMAP Email needs of the store beyond IMAP's view: uploads and blob reads with their
// access check, Email/query, and Email/set's writes, which use the same steps as IMAP STORE,
// COPY and EXPUNGE (ops.h), so IMAP sessions and push clients hear of them alike.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>

#include "base/strings.h"
#include "store/blob_file.h"
#include "store/keywords.h"
#include "store/ops.h"
#include "store/readers.h"
#include "store/search_index.h"
#include "store/store.h"
#include "store/upstream_first.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

// RFC 8621 4.4.2: the name of the first address, or its email when the name is empty.
std::string AddressKey(const std::vector<mime::Address>& list) {
  if (list.empty()) return {};
  return AsciiLower(list[0].name.empty() ? list[0].email : list[0].name);
}

void BindAll(sqlite::Statement& q, const CompiledQuery& compiled) {
  int i = 1;
  for (const auto& b : compiled.binds) {
    if (const auto* n = std::get_if<int64_t>(&b)) {
      q.Bind(i++, *n);
    } else {
      q.Bind(i++, std::get<std::string>(b));
    }
  }
}

struct Member {
  MailboxId mailbox = 0;
  Uid uid = 0;
  std::string keywords;
};

// The memberships of `email` when it belongs to `account`; none otherwise.
Result<std::vector<Member>> Memberships(Txn& txn, AccountId account, EmailId email) {
  auto& q = txn.Stmt(
      "SELECT me.mailbox_id, me.uid, me.keywords FROM mailbox_emails me "
      "JOIN emails e ON e.id = me.email_id WHERE me.email_id = ? AND e.account_id = ? "
      "ORDER BY me.mailbox_id");
  q.Bind(1, email).Bind(2, account);
  std::vector<Member> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q.Int(0), static_cast<Uid>(q.Int(1)), std::string(q.Text(2))});
  }
}

Result<EmailWriteError> ApplyUpdate(Txn& txn, AccountId account, const EmailUpdate& u,
                                    LazyModSeq& modseq) {
  auto members = Memberships(txn, account, u.email);
  if (!members) return members.error();
  if (members->empty()) return EmailWriteError::kNotFound;
  Keywords current;
  std::set<MailboxId> boxes;
  for (const auto& m : *members) {
    current = ApplyKeywords(current, KeywordOp::kAdd, SplitKeywords(m.keywords));
    boxes.insert(m.mailbox);
  }
  Keywords keywords = u.keywords
                          ? ApplyKeywords({}, KeywordOp::kReplace, *u.keywords)
                          : ApplyKeywords(ApplyKeywords(current, KeywordOp::kAdd, u.add_keywords),
                                          KeywordOp::kRemove, u.remove_keywords);
  if (keywords.size() > kMaxKeywordsPerEmail) return EmailWriteError::kTooManyKeywords;
  std::set<MailboxId> wanted = boxes;
  if (u.mailboxes) wanted = std::set<MailboxId>(u.mailboxes->begin(), u.mailboxes->end());
  for (MailboxId m : u.add_mailboxes) wanted.insert(m);
  for (MailboxId m : u.remove_mailboxes) wanted.erase(m);
  if (wanted.empty()) return EmailWriteError::kNoMailbox;
  for (MailboxId m : wanted) {
    if (boxes.count(m)) continue;
    ErrorCode ec = CheckMailbox(txn, account, m);
    if (ec == MakeError(Errc::kNotFound)) return EmailWriteError::kMailboxNotFound;
    if (ec) return ec;
  }
  std::string joined = JoinKeywords(keywords);
  for (const auto& m : *members) {
    if (!wanted.count(m.mailbox) || m.keywords == joined) continue;
    auto seq = modseq.Get();
    if (!seq) return seq.error();
    auto& q = txn.Stmt(
        "UPDATE mailbox_emails SET keywords = ?, modseq = ? WHERE mailbox_id = ? AND uid = ?");
    q.Bind(1, joined).Bind(2, *seq).Bind(3, m.mailbox).Bind(4, static_cast<int64_t>(m.uid));
    if (auto ec = q.Run()) return ec;
    if (auto ec = MailboxChanged(txn, account, m.mailbox, *seq)) return ec;
    if (auto ec = txn.Log(account, DataType::kEmail, u.email, ChangeOp::kUpdated, *seq)) {
      return ec;
    }
  }
  // Into the new mailboxes first, so that the email is never in none.
  for (MailboxId m : wanted) {
    if (boxes.count(m)) continue;
    auto seq = modseq.Get();
    if (!seq) return seq.error();
    auto uid = NextUid(txn, m, *seq);
    if (!uid) return uid.error();
    if (auto ec = AddMembership(txn, account, m, *uid, u.email, joined, *seq)) return ec;
    if (auto ec = txn.Log(account, DataType::kEmail, u.email, ChangeOp::kUpdated, *seq)) {
      return ec;
    }
  }
  for (const auto& m : *members) {
    if (wanted.count(m.mailbox)) continue;
    auto seq = modseq.Get();
    if (!seq) return seq.error();
    if (auto ec = RemoveMembership(txn, account, m.mailbox, m.uid, u.email, *seq)) return ec;
  }
  return EmailWriteError::kNone;
}

}  // namespace

EmailSearchKeys SearchKeysOf(const mime::Summary& summary) {
  EmailSearchKeys k;
  k.sent_at = summary.sent_at;
  k.has_attachment = summary.has_attachment;
  k.from = AddressKey(summary.from);
  k.to = AddressKey(summary.to);
  k.subject = BaseSubject(summary.subject);
  return k;
}

Result<UploadedBlob> Store::PutUpload(AccountId account, std::string_view bytes,
                                      std::string_view type, int64_t now) {
  UploadedBlob out{ContentBlobId(bytes), static_cast<int64_t>(bytes.size())};
  bool stored = false;
  {
    auto lease = readers_->Acquire();
    if (!lease) return lease.error();
    auto& q = (*lease)->Prepare("SELECT 1 FROM blobs WHERE id = ?");
    q.Bind(1, out.blob_id);
    auto row = q.Step();
    if (!row) return row.error();
    stored = *row;  // blobs are never removed: no need to write the bytes again
  }
  std::optional<BlobLocation> where;
  if (!stored) {
    auto appended = blobs_->Append(bytes);
    if (!appended) return appended.error();
    where = *appended;
  }
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    if (where) {
      if (auto ec = PutBlob(txn, out.blob_id, *where)) return ec;
    }
    auto& expire = txn.Stmt("DELETE FROM uploads WHERE created_at < ?");
    expire.Bind(1, now - kUploadTtlSeconds);
    if (auto ec = expire.Run()) return ec;
    auto& q =
        txn.Stmt("INSERT INTO uploads (account_id, blob_id, type, created_at) VALUES (?, ?, ?, ?)");
    q.Bind(1, account).Bind(2, out.blob_id).Bind(3, type).Bind(4, now);
    return q.Run();
  });
  if (ec) return ec;
  return out;
}

Result<std::string> Store::ReadBlob(AccountId account, std::string_view blob_id, int64_t now) {
  BlobLocation where;
  {
    auto lease = readers_->Acquire();
    if (!lease) return lease.error();
    auto& q = (*lease)->Prepare(
        "SELECT b.segment, b.offset, b.size FROM blobs b WHERE b.id = ? AND ("
        "EXISTS (SELECT 1 FROM emails e WHERE e.blob_id = b.id AND e.account_id = ?) OR "
        "EXISTS (SELECT 1 FROM uploads u WHERE u.account_id = ? AND u.blob_id = b.id "
        "AND u.created_at >= ?))");
    q.Bind(1, blob_id).Bind(2, account).Bind(3, account).Bind(4, now - kUploadTtlSeconds);
    auto found = FirstRow(q, [](const sqlite::Statement& s) {
      return BlobLocation{static_cast<uint32_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
                          static_cast<uint64_t>(s.Int(2))};
    });
    if (!found) return found.error();
    where = *found;
  }
  return blobs_->Read(where);
}

Result<EmailQueryResult> Store::QueryEmails(AccountId account, const EmailQuery& query,
                                            int64_t offset, int64_t limit, bool want_total) {
  CompiledQuery rows = CompileEmailQuery(account, query, false, offset, limit);
  CompiledQuery count = CompileEmailQuery(account, query, true);
  if (rows.full_text) {
    // The index trails the commits by moments: what is committed now must be found.
    if (auto ec = search_->CatchUp()) return ec;
  }
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& db = (*lease)->db();
  ReadTransaction snapshot(db);
  EmailQueryResult out;
  if (limit != 0) {
    auto q = db.Prepare(rows.sql);
    BindAll(q, rows);
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      out.rows.push_back({q.Int(0), q.Int(1)});
    }
  }
  if (want_total) {
    auto q = db.Prepare(count.sql);
    BindAll(q, count);
    auto total = FirstRow(q, [](const sqlite::Statement& s) { return s.Int(0); });
    if (!total) return total.error();
    out.total = *total;
  }
  return out;
}

Result<std::vector<EmailQueryRow>> Store::ThreadEmails(AccountId account,
                                                       const std::vector<ThreadId>& threads) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT id, thread_id FROM emails WHERE thread_id = ? AND account_id = ? ORDER BY id");
  std::vector<EmailQueryRow> out;
  for (ThreadId t : threads) {
    q.Reset();
    q.Bind(1, t).Bind(2, account);
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      out.push_back({q.Int(0), q.Int(1)});
    }
  }
  return out;
}

Result<std::vector<EmailWriteError>> Store::UpdateEmails(AccountId account,
                                                         const std::vector<EmailUpdate>& updates) {
  std::vector<EmailWriteError> out;
  if (auto* up = Intercept(account)) {
    // The bridge mirrored upstream's result already: nothing is left to write locally.
    if (auto ec = UpdateEmailsUpstream(out, *this, *up, account, updates)) return ec;
    return out;
  }
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    out.clear();
    LazyModSeq modseq(txn, account);
    for (const auto& u : updates) {
      auto r = ApplyUpdate(txn, account, u, modseq);
      if (!r) return r.error();
      out.push_back(*r);
    }
    return {};
  });
  if (ec) return ec;
  return out;
}

Result<std::vector<EmailWriteError>> Store::DestroyEmails(AccountId account,
                                                          const std::vector<EmailId>& emails) {
  if (auto* up = Intercept(account)) {
    std::vector<bool> gone;
    if (auto ec = DestroyEmailsUpstream(gone, *this, *up, account, emails)) return ec;
    std::vector<EmailWriteError> out(gone.size(), EmailWriteError::kNotFound);
    for (size_t i = 0; i < gone.size(); ++i) {
      if (gone[i]) out[i] = EmailWriteError::kNone;
    }
    return out;
  }
  std::vector<EmailWriteError> out;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    out.clear();
    LazyModSeq modseq(txn, account);
    for (EmailId email : emails) {
      auto members = Memberships(txn, account, email);
      if (!members) return members.error();
      if (members->empty()) {
        out.push_back(EmailWriteError::kNotFound);
        continue;
      }
      auto seq = modseq.Get();
      if (!seq) return seq.error();
      for (const auto& m : *members) {
        if (auto ec = RemoveMembership(txn, account, m.mailbox, m.uid, email, *seq)) return ec;
      }
      out.push_back(EmailWriteError::kNone);
    }
    return {};
  });
  if (ec) return ec;
  return out;
}

}  // namespace pushmail::store
