#pragma once
// Internal to the store: the writes of a bridged account sent upstream first (bridge.cc). Each
// returns once upstream confirmed and the bridge mirrored the change, or the error that stops
// the local write.

#include <optional>
#include <vector>

#include "store/store.h"

namespace pushmail::store {

// Email/set updates: keywords go upstream per membership, then mailbox changes as upstream
// copies, moves and deletes. `out` gets one result per update, as Store::UpdateEmails.
ErrorCode UpdateEmailsUpstream(std::vector<EmailWriteError>& out, Store& store, UpstreamWrites& up,
                               AccountId account, const std::vector<EmailUpdate>& updates);
// Email/set destroy: every membership of each email is deleted upstream. `gone` gets, per
// email, whether it was there and is now deleted (the mirror has removed it locally already).
ErrorCode DestroyEmailsUpstream(std::vector<bool>& gone, Store& store, UpstreamWrites& up,
                                AccountId account, const std::vector<EmailId>& emails);
// Removes `uids` of `mailbox` upstream; `gone` gets those of them that were there.
ErrorCode RemoveMessagesUpstream(std::vector<Uid>& gone, Store& store, UpstreamWrites& up,
                                 AccountId account, MailboxId mailbox,
                                 const std::vector<Uid>& uids);
// APPEND, JMAP creates: each message is appended upstream to its mailbox and each of its
// more_mailboxes (each becomes an upstream message of its own). `out` gets one entry per message,
// for its first mailbox. Not all or nothing: upstream has no multi-message transaction.
ErrorCode AppendUpstream(std::vector<Delivered>& out, Store& store, UpstreamWrites& up,
                         const std::vector<Incoming>& messages);
// Mailbox writes: upstream first, then what the mirror made. CreateMailboxUpstream also sets
// the role, sort order and subscription of `patch` locally (upstream does not keep them).
Result<Mailbox> CreateMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                      std::string_view name, const MailboxPatch& patch);
// Refuses INBOX and a mailbox with children, as the local delete does.
ErrorCode DeleteMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                MailboxId mailbox);
// Renames upstream when `new_name` is not the mailbox's name already.
ErrorCode RenameMailboxUpstream(Store& store, UpstreamWrites& up, AccountId account,
                                MailboxId mailbox, std::string_view new_name);
// IMAP EXPUNGE: the messages with $deleted (of `uids` when given) are deleted upstream.
ErrorCode ExpungeUpstream(Store& store, UpstreamWrites& up, AccountId account, MailboxId mailbox,
                          const std::optional<std::vector<Uid>>& uids);

}  // namespace pushmail::store
