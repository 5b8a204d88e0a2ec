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

// "G" and the hex SHA-256 of `bytes`: the id of an upload's blob, the same for the same bytes.
std::string ContentBlobId(std::string_view bytes);
// The id of a delivered message's blob, one per delivery (shared by its recipients): "G", 16 hex
// digits of the time it is made (microseconds since the epoch, never the same twice in this
// process) and the first 48 hex digits of the SHA-256 of `bytes`. The same length and alphabet
// as a ContentBlobId, but ids made one after another sort one after another, so the blobs
// table and the emails' blob index grow at their end: keyed by a hash, each delivery wrote two
// B-tree pages somewhere in the middle of each, and the WAL and checkpoints carried twice the
// bytes (docs/benchmarks.md).
std::string DeliveryBlobId(std::string_view bytes);
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
