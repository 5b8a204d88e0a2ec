#pragma once
// Internal to the store: the steps that writes share, run inside the writer's transaction.
// Each one that changes a row also records it for the change log and the StateChange.

#include <string>

#include "mime/headers.h"
#include "store/blob_file.h"
#include "store/writer.h"

namespace pushmail::store {

// kNotFound unless `mailbox` belongs to `account`.
ErrorCode CheckMailbox(Txn& txn, AccountId account, MailboxId mailbox);
// Takes the next UID of `mailbox` and raises its HIGHESTMODSEQ to `modseq`.
Result<Uid> NextUid(Txn& txn, MailboxId mailbox, ModSeq modseq);
// Raises the HIGHESTMODSEQ of `mailbox` to `modseq` and records that its contents changed.
ErrorCode MailboxChanged(Txn& txn, AccountId account, MailboxId mailbox, ModSeq modseq);
// Puts `email` into `mailbox` at `uid`, which NextUid handed out at `modseq`.
ErrorCode AddMembership(Txn& txn, AccountId account, MailboxId mailbox, Uid uid, EmailId email,
                        const std::string& keywords, ModSeq modseq);
// Takes the message at `uid` out of `mailbox`, remembering the UID for QRESYNC. An email left
// in no mailbox is destroyed, with its thread when that was its last email.
ErrorCode RemoveMembership(Txn& txn, AccountId account, MailboxId mailbox, Uid uid, EmailId email,
                           ModSeq modseq);
// Bumps the account's modseq for a change to messages (Email, Mailbox counts, Thread).
Result<ModSeq> BumpMessages(Txn& txn, AccountId account);

// Hands out the account's next modseq the first time a write needs one.
class LazyModSeq {
 public:
  LazyModSeq(Txn& txn, AccountId account) : txn_(txn), account_(account) {}
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
  ModSeq modseq_ = 0;  // modseqs start at 1
};

// Records that local message `uid` of `mailbox` mirrors upstream message `upstream` (bridge.cc);
// fails when that upstream message was mirrored already.
ErrorCode RecordUpstream(Txn& txn, MailboxId mailbox, const UpstreamRef& upstream, Uid uid);

// "G" and the hex SHA-256 of `bytes`: the id of the blob that holds them.
std::string ContentBlobId(std::string_view bytes);
// Records where the blob's bytes are; an earlier copy of the same bytes wins (delivery.cc).
ErrorCode PutBlob(Txn& txn, const std::string& id, const BlobLocation& where);

// What emails rows hold besides the summary, for Email/query (jmap_store.cc).
struct EmailSearchKeys {
  std::optional<int64_t> sent_at;
  bool has_attachment = false;
  std::string from, to, subject;  // sort keys
};
EmailSearchKeys SearchKeysOf(const mime::Summary& summary);

}  // namespace pushmail::store
