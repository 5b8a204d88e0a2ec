#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushmail::store {

using AccountId = int64_t;
using MailboxId = int64_t;
using EmailId = int64_t;
using ThreadId = int64_t;
using Uid = uint32_t;
using ModSeq = int64_t;
using IdentityId = int64_t;
using SubmissionId = int64_t;
using PushSubscriptionId = int64_t;

// The kinds of object the change log records; the values are stored, never renumber.
enum class DataType : uint8_t {
  kMailbox = 1,
  kEmail = 2,
  kThread = 3,
  kIdentity = 4,
  kEmailSubmission = 5,
  kVacationResponse = 6,
};
// kCountsUpdated: only the object's counts changed (a mailbox's messages came or went, or their
// keywords changed), which JMAP Mailbox/changes reports as "updatedProperties".
enum class ChangeOp : uint8_t { kCreated = 1, kUpdated = 2, kDestroyed = 3, kCountsUpdated = 4 };

// A bit set of DataTypes.
using DataTypes = uint8_t;
constexpr DataTypes Bit(DataType t) { return static_cast<DataTypes>(1u << static_cast<int>(t)); }

// JMAP ids (RFC 8620 1.2) for store rows: a letter and the row number. Row numbers are never
// reused (AUTOINCREMENT), so neither are ids.
std::string MailboxJmapId(MailboxId id);  // "M12"
std::string EmailJmapId(EmailId id);      // "E345"
std::string ThreadJmapId(ThreadId id);    // "T67"

std::string IdentityJmapId(IdentityId id);                  // "I8"
std::string SubmissionJmapId(SubmissionId id);              // "S9"
std::string PushSubscriptionJmapId(PushSubscriptionId id);  // "P4"
// The row number of a JMAP id with `prefix`, or nullopt when `id` is not one of ours.
std::optional<int64_t> ParseJmapId(std::string_view id, char prefix);

// The special-use mailboxes every account has (RFC 8621 2, RFC 6154).
inline constexpr std::string_view kDefaultMailboxes[][2] = {
    {"INBOX", "inbox"}, {"Sent", "sent"}, {"Drafts", "drafts"},
    {"Trash", "trash"}, {"Junk", "junk"}, {"Archive", "archive"},
};

struct Account {
  AccountId id = 0;
  std::string login;
  int64_t created_at = 0;
  ModSeq modseq = 0;  // the last modseq handed out for this account
  ModSeq email_state = 0;
  ModSeq mailbox_state = 0;
  ModSeq thread_state = 0;
  uint64_t push_seq = 0;
  ModSeq identity_state = 0;
  ModSeq submission_state = 0;
  ModSeq vacation_state = 0;
};

struct Mailbox {
  MailboxId id = 0;
  AccountId account = 0;
  std::string name;
  std::optional<MailboxId> parent;
  std::string role;  // "inbox", "sent", ... or empty
  int64_t sort_order = 0;
  bool subscribed = true;
  uint32_t uidvalidity = 0;
  Uid uidnext = 1;
  ModSeq highest_modseq = 0;
};

// Published after each commit, one per account the commit touched. Everything in it is
// already durable.
struct StateChange {
  AccountId account = 0;
  uint64_t push_seq = 0;  // +1 per commit that touched the account: a gap means a missed push
  ModSeq modseq = 0;
  ModSeq email_state = 0;
  ModSeq mailbox_state = 0;
  ModSeq thread_state = 0;
  DataTypes changed = 0;             // which types this commit changed
  std::vector<MailboxId> mailboxes;  // mailboxes whose contents or counts changed
  ModSeq identity_state = 0;
  ModSeq submission_state = 0;
  ModSeq vacation_state = 0;
  // When the commit returned, for the commit -> push latency; not stored.
  std::chrono::steady_clock::time_point committed_at = {};
};

// The state (modseq of the last change) of `type` in `account`.
ModSeq StateOf(const Account& account, DataType type);
// The account's current states as a StateChange that changed nothing (a push stream's first
// event).
StateChange CurrentStates(const Account& account);

// What one delivery left in one account.
struct Delivered {
  AccountId account = 0;
  EmailId email = 0;
  ThreadId thread = 0;
  MailboxId mailbox = 0;
  Uid uid = 0;
  ModSeq modseq = 0;
};

// The answer to "what changed since modseq X" for one data type (JMAP Foo/changes).
struct Changes {
  ModSeq old_state = 0;
  ModSeq new_state = 0;  // up to where this answer goes; == the type's state unless has_more
  bool has_more = false;
  std::vector<int64_t> created, updated, destroyed;  // row ids
  bool counts_only = false;  // every object in `updated` changed only in its counts
};

// Keywords are JMAP keywords (RFC 8621 4.1.1): lower case, "$seen", "$flagged", "$answered",
// "$draft", "$deleted" (IMAP's \Deleted), or any other atom. A set, kept sorted.
using Keywords = std::vector<std::string>;

// One message as a mailbox lists it: the IMAP view of a membership row.
struct MailboxMessage {
  Uid uid = 0;
  EmailId email = 0;
  ThreadId thread = 0;
  ModSeq modseq = 0;  // last change of this membership (keywords) or of its creation
  int64_t size = 0;
  int64_t received_at = 0;
  Keywords keywords;
};

// Where one email sits: one entry per mailbox holding it (JMAP mailboxIds and keywords).
struct EmailPlacement {
  MailboxId mailbox = 0;
  Uid uid = 0;
  ModSeq modseq = 0;
  Keywords keywords;
};

// A mailbox and its messages, read in one snapshot.
struct MailboxSnapshot {
  Mailbox mailbox;
  std::vector<MailboxMessage> messages;  // by UID
};

// A mailbox's counts (IMAP STATUS, JMAP Mailbox/get).
struct MailboxCounts {
  int64_t messages = 0;
  int64_t unseen = 0;
  int64_t deleted = 0;
  int64_t size = 0;  // octets of all its messages
};

// An email with what readers need to serve it.
struct EmailRecord {
  EmailId id = 0;
  AccountId account = 0;
  ThreadId thread = 0;
  int64_t size = 0;
  int64_t received_at = 0;
  ModSeq modseq = 0;
  std::string summary_json;  // mime::ToJson of the parsed message
  std::string blob_id;       // "G" and 64 hex digits (ops.h: DeliveryBlobId, ContentBlobId)
};

// How a keyword update applies (IMAP STORE FLAGS / +FLAGS / -FLAGS).
enum class KeywordOp { kReplace, kAdd, kRemove };

// The outcome of a keyword update for the messages it selected.
struct KeywordUpdate {
  std::vector<MailboxMessage> changed;  // with their new keywords and modseq
  std::vector<Uid> unchanged;           // selected, already as asked: no new modseq
  std::vector<Uid> modified;            // refused: changed after `unchanged_since` (RFC 7162)
};

// Where copies (or moved messages) landed: source and destination UIDs pair up.
struct CopyResult {
  uint32_t uidvalidity = 0;  // of the destination
  std::vector<Uid> source, destination;
};

// A mailbox's counts as JMAP Mailbox/get shows them (RFC 8621 2). Unread means neither $seen
// nor $draft. A thread counts as unread in a mailbox when it has an email there and an unread
// email anywhere, except that emails only in the trash count for the trash alone and emails not
// in the trash do not count for it.
struct MailboxThreadCounts {
  int64_t emails = 0;
  int64_t unread_emails = 0;
  int64_t threads = 0;
  int64_t unread_threads = 0;
};

// What JMAP Mailbox/set changes besides the contents; a field left unset stays as it is.
struct MailboxPatch {
  std::optional<std::string> name;  // a new full path: renames as Store::RenameMailbox does
  std::optional<std::string> role;  // "" for none
  std::optional<int64_t> sort_order;
  std::optional<bool> subscribed;
};

// A sender identity (JMAP Identity, RFC 8621 6). reply_to and bcc hold JMAP EmailAddress[] as
// JSON text, empty for null.
struct Identity {
  IdentityId id = 0;
  AccountId account = 0;
  std::string name;
  std::string email;
  std::string reply_to;
  std::string bcc;
  std::string text_signature;
  std::string html_signature;
  bool may_delete = true;  // false for the identity every account is made with
};

// An account's vacation response (JMAP VacationResponse, RFC 8621 8). Dates are Unix seconds.
struct VacationResponse {
  bool enabled = false;
  std::optional<int64_t> from, to;
  std::optional<std::string> subject, text_body, html_body;
  // Whether a message received at `when` gets the response: from <= when < to.
  bool ActiveAt(int64_t when) const {
    return enabled && (!from || when >= *from) && (!to || when < *to);
  }
};

// A message sent with JMAP (EmailSubmission, RFC 8621 7). envelope and delivery_status are the
// JMAP Envelope and deliveryStatus objects as JSON text.
struct EmailSubmission {
  SubmissionId id = 0;
  AccountId account = 0;
  IdentityId identity = 0;
  EmailId email = 0;
  ThreadId thread = 0;
  std::string envelope;
  int64_t send_at = 0;
  std::string undo_status = "final";
  std::string delivery_status;
};

// A Web Push subscription (JMAP PushSubscription, RFC 8620 7.2) of one login's account.
struct PushSubscription {
  PushSubscriptionId id = 0;
  AccountId account = 0;
  std::string device_client_id;
  std::string url;
  std::string p256dh;  // base64url as the client gave it; empty: pushes are not encrypted
  std::string auth;
  std::string verification_code;   // what the server sent in its PushVerification
  bool verified = false;           // the client has set that code: StateChanges may go out
  std::optional<int64_t> expires;  // Unix seconds
  std::optional<std::vector<std::string>> types;  // data type names; nullopt: all
};

// One stored message as export sees it.
struct StoredMessage {
  EmailId email = 0;
  MailboxId mailbox = 0;
  Uid uid = 0;
  int64_t received_at = 0;
  std::string_view bytes;  // valid during the callback only
};

// --- Bridged accounts (src/bridge).

// The upstream message a local one mirrors.
struct UpstreamRef {
  uint32_t uidvalidity = 0;
  Uid uid = 0;
};
// A local message that mirrors upstream message `upstream_uid`.
struct UpstreamMessage {
  Uid upstream_uid = 0;
  Uid uid = 0;  // local
  Keywords keywords;
};
// What the store knows of the upstream mailbox a local one mirrors.
struct UpstreamMailbox {
  uint32_t uidvalidity = 0;  // 0: never synced
  int64_t highest_modseq = 0;
  Uid max_upstream_uid = 0;               // the largest ever mirrored under `uidvalidity`
  std::vector<UpstreamMessage> messages;  // those still in the mailbox, by upstream UID
};

}  // namespace pushmail::store
