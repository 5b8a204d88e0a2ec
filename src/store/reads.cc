// Reads of mailboxes and messages for IMAP (and JMAP): one snapshot per answer.
#include "store/blob_file.h"
#include "store/keywords.h"
#include "store/readers.h"

namespace pushmail::store {
namespace {

constexpr const char* kMessageColumns =
    "SELECT me.uid, me.email_id, e.thread_id, me.modseq, e.size, e.received_at, me.keywords "
    "FROM mailbox_emails me JOIN emails e ON e.id = me.email_id ";

MailboxMessage ReadMessageRow(const sqlite::Statement& q) {
  return {static_cast<Uid>(q.Int(0)), q.Int(1), q.Int(2), q.Int(3), q.Int(4), q.Int(5),
          SplitKeywords(q.Text(6))};
}

Result<Mailbox> MailboxById(sqlite::Db& db, MailboxId mailbox) {
  auto q = db.Prepare(std::string(kMailboxColumns) + "WHERE id = ?");
  q.Bind(1, mailbox);
  return FirstRow(q, ReadMailboxRow);
}

ErrorCode CollectMessages(sqlite::Statement& q, std::vector<MailboxMessage>& out) {
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return {};
    out.push_back(ReadMessageRow(q));
  }
}

}  // namespace

Result<MailboxSnapshot> Store::ReadMailbox(MailboxId mailbox) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& db = (*lease)->db();
  ReadTransaction snapshot(db);
  MailboxSnapshot out;
  auto box = MailboxById(db, mailbox);
  if (!box) return box.error();
  out.mailbox = std::move(*box);
  auto& q =
      (*lease)->Prepare(std::string(kMessageColumns) + "WHERE me.mailbox_id = ? ORDER BY me.uid");
  q.Bind(1, mailbox);
  if (auto ec = CollectMessages(q, out.messages)) return ec;
  return out;
}

Result<std::vector<MailboxMessage>> Store::ReadMessages(MailboxId mailbox, Uid first, Uid last) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(std::string(kMessageColumns) +
                              "WHERE me.mailbox_id = ? AND me.uid BETWEEN ? AND ? ORDER BY me.uid");
  q.Bind(1, mailbox).Bind(2, first).Bind(3, last);
  std::vector<MailboxMessage> out;
  if (auto ec = CollectMessages(q, out)) return ec;
  return out;
}

Result<Store::MailboxDelta> Store::ReadMailboxChanges(MailboxId mailbox, ModSeq since) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& db = (*lease)->db();
  ReadTransaction snapshot(db);
  MailboxDelta out;
  auto box = MailboxById(db, mailbox);
  if (!box) return box.error();
  out.mailbox = std::move(*box);
  auto& q = (*lease)->Prepare(std::string(kMessageColumns) +
                              "WHERE me.mailbox_id = ? AND me.modseq > ? ORDER BY me.uid");
  q.Bind(1, mailbox).Bind(2, since);
  if (auto ec = CollectMessages(q, out.changed)) return ec;
  auto& x = (*lease)->Prepare(
      "SELECT uid FROM expunged WHERE mailbox_id = ? AND modseq > ? ORDER BY uid");
  x.Bind(1, mailbox).Bind(2, since);
  for (;;) {
    auto row = x.Step();
    if (!row) return row.error();
    if (!*row) break;
    out.expunged.push_back(static_cast<Uid>(x.Int(0)));
  }
  return out;
}

Result<MailboxCounts> Store::CountMailbox(MailboxId mailbox) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT count(*), coalesce(sum(me.keywords NOT LIKE '% $seen %'), 0), "
      "coalesce(sum(me.keywords LIKE '% $deleted %'), 0), coalesce(sum(e.size), 0) "
      "FROM mailbox_emails me JOIN emails e ON e.id = me.email_id WHERE me.mailbox_id = ?");
  q.Bind(1, mailbox);
  return FirstRow(q, [](const sqlite::Statement& s) {
    return MailboxCounts{s.Int(0), s.Int(1), s.Int(2), s.Int(3)};
  });
}

Result<EmailRecord> Store::GetEmail(EmailId email) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT id, account_id, thread_id, size, received_at, modseq, summary, blob_id FROM emails "
      "WHERE id = ?");
  q.Bind(1, email);
  return FirstRow(q, [](const sqlite::Statement& s) {
    return EmailRecord{s.Int(0),
                       s.Int(1),
                       s.Int(2),
                       s.Int(3),
                       s.Int(4),
                       s.Int(5),
                       std::string(s.Text(6)),
                       std::string(s.Text(7))};
  });
}

Result<std::vector<EmailPlacement>> Store::ReadPlacements(EmailId email) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT mailbox_id, uid, modseq, keywords FROM mailbox_emails WHERE email_id = ? "
      "ORDER BY mailbox_id");
  q.Bind(1, email);
  std::vector<EmailPlacement> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back({q.Int(0), static_cast<Uid>(q.Int(1)), q.Int(2), SplitKeywords(q.Text(3))});
  }
}

Result<std::string> Store::ReadEmailBytes(EmailId email) {
  BlobLocation where;
  {
    auto lease = readers_->Acquire();
    if (!lease) return lease.error();
    auto& q = (*lease)->Prepare(
        "SELECT b.segment, b.offset, b.size FROM emails e JOIN blobs b ON b.id = e.blob_id "
        "WHERE e.id = ?");
    q.Bind(1, email);
    auto found = FirstRow(q, [](const sqlite::Statement& s) {
      return BlobLocation{static_cast<uint32_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1)),
                          static_cast<uint64_t>(s.Int(2))};
    });
    if (!found) return found.error();
    where = *found;
  }
  return blobs_->Read(where);
}

}  // namespace pushmail::store
