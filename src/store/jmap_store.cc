// What JMAP Email needs of the store beyond IMAP's view: uploads and blob reads with their
// access check, Email/query, and Email/set's writes, which use the same steps as IMAP STORE,
// COPY and EXPUNGE (ops.h), so IMAP sessions and push clients hear of them alike.
#include <algorithm>
#include <boost/json/parse.hpp>
#include <set>

#include "store/blob_file.h"
#include "store/keywords.h"
#include "store/ops.h"
#include "store/readers.h"
#include "store/store.h"
#include "store/upstream_first.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// RFC 8621 4.4.2: the name of the first address, or its email when the name is empty.
std::string AddressKey(const std::vector<mime::Address>& list) {
  if (list.empty()) return {};
  return LowerAscii(list[0].name.empty() ? list[0].email : list[0].name);
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

// Hands out the account's next modseq the first time a write needs one.
class OnceModSeq {
 public:
  OnceModSeq(Txn& txn, AccountId account) : txn_(txn), account_(account) {}
  Result<ModSeq> Get() {
    if (modseq_ == 0) {
      auto m = BumpMessages(txn_, account_);
      if (!m) return m.error();
      modseq_ = *m;
    }
    return modseq_;
  }

 private:
  Txn& txn_;
  AccountId account_;
  ModSeq modseq_ = 0;
};

Result<EmailWriteError> ApplyUpdate(Txn& txn, AccountId account, const EmailUpdate& u,
                                    OnceModSeq& modseq) {
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

EmailSearchKeys SearchKeysOf(std::string_view message, const mime::Summary& summary) {
  EmailSearchKeys k;
  k.sent_at = summary.sent_at;
  k.has_attachment = summary.has_attachment;
  k.from = AddressKey(summary.from);
  k.to = AddressKey(summary.to);
  k.subject = BaseSubject(summary.subject);
  k.text = mime::ExtractSearchText(message, summary);
  return k;
}

Result<int64_t> IndexText(Txn& txn, const mime::SearchText& t) {
  auto& q = txn.Stmt(
      "INSERT INTO email_fts (subject, addr_from, addr_to, addr_cc, addr_bcc, body, headers) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  q.Bind(1, t.subject).Bind(2, t.from).Bind(3, t.to).Bind(4, t.cc).Bind(5, t.bcc);
  q.Bind(6, t.body).Bind(7, t.headers);
  if (auto ec = q.Run()) return ec;
  return txn.db().LastInsertRowId();
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
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& db = (*lease)->db();
  ReadTransaction snapshot(db);
  EmailQueryResult out;
  if (limit != 0) {
    CompiledQuery compiled = CompileEmailQuery(account, query, false, offset, limit);
    auto q = db.Prepare(compiled.sql);
    BindAll(q, compiled);
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      out.rows.push_back({q.Int(0), q.Int(1)});
    }
  }
  if (want_total) {
    CompiledQuery compiled = CompileEmailQuery(account, query, true);
    auto q = db.Prepare(compiled.sql);
    BindAll(q, compiled);
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
  if (auto* up = Intercept(account)) {
    if (auto ec = UpdateEmailsUpstream(*this, *up, account, updates)) return ec;
  }
  std::vector<EmailWriteError> out;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    out.clear();
    OnceModSeq modseq(txn, account);
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
    OnceModSeq modseq(txn, account);
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

Result<size_t> Store::IndexSearchBacklog(size_t max) {
  struct Pending {
    std::string blob;
    std::string summary_json;
    BlobLocation where;
    mime::SearchText text;
  };
  std::vector<Pending> pending;
  {
    auto lease = readers_->Acquire();
    if (!lease) return lease.error();
    auto& q = (*lease)->Prepare(
        "SELECT e.blob_id, e.summary, b.segment, b.offset, b.size FROM emails e "
        "JOIN blobs b ON b.id = e.blob_id WHERE e.search_doc IS NULL ORDER BY e.id LIMIT ?");
    q.Bind(1, static_cast<int64_t>(max));
    std::set<std::string> seen;
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      std::string blob(q.Text(0));
      if (!seen.insert(blob).second) continue;
      pending.push_back(
          {blob,
           std::string(q.Text(1)),
           BlobLocation{static_cast<uint32_t>(q.Int(2)), static_cast<uint64_t>(q.Int(3)),
                        static_cast<uint64_t>(q.Int(4))},
           {}});
    }
  }
  if (pending.empty()) return size_t{0};
  for (auto& p : pending) {
    auto bytes = blobs_->Read(p.where);
    if (!bytes) return bytes.error();
    boost::system::error_code ec;
    auto json = boost::json::parse(p.summary_json, ec);
    mime::Summary summary = ec ? mime::Parse(*bytes) : mime::FromJson(json);
    p.text = mime::ExtractSearchText(*bytes, summary);
  }
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    for (const auto& p : pending) {
      auto doc = IndexText(txn, p.text);
      if (!doc) return doc.error();
      auto& q =
          txn.Stmt("UPDATE emails SET search_doc = ? WHERE blob_id = ? AND search_doc IS NULL");
      q.Bind(1, *doc).Bind(2, p.blob);
      if (auto ec = q.Run()) return ec;
    }
    return {};
  });
  if (ec) return ec;
  return pending.size();
}

}  // namespace pushmail::store
