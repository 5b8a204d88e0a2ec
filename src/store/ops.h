#pragma once
// Internal to the store: the steps that writes share, run inside the writer's transaction.
// Each one that changes a row also records it for the change log and the StateChange.

#include <string>

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

}  // namespace pushmail::store
