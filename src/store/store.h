#pragma once
// The durable store: accounts, mailboxes, emails, blobs and the per-account change log, in one
// SQLite database in WAL mode.
//
// Writes go through one writer thread that applies them in batches: a batch is one
// transaction and one fsync, so concurrent deliveries share the cost of durability (group
// commit). A write's callback runs only after its batch is on disk, and the commit listener
// hears of a batch before any of its callbacks run. Reads run on the calling thread with a
// connection of their own and never block the writer.
//
// Every method may be called from any thread. Methods that return a value block on the disk
// (and Authenticate on Argon2id): call them from a blocking pool, never from a network worker.
//
// Writes fail with StoreErrc::kDiskFull while the disk is full (nothing is written; the same
// write works once there is space) and with StoreErrc::kReadOnly for good once a sync or a
// write failed in a way that may have lost bytes (error.h): then nothing more is acknowledged
// until the process restarts. Reads go on working in both cases.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "mime/mime.h"
#include "store/credential_cache.h"
#include "store/email_query.h"
#include "store/error.h"
#include "store/faults.h"
#include "store/mbox.h"
#include "store/password.h"
#include "store/types.h"

namespace pushmail::store {

using CommitListener = std::function<void(const std::vector<StateChange>&)>;

struct StoreOptions {
  std::string path;  // the database file; its folder must exist and also holds blobs/
  unsigned max_batch = 2048;
  DiskFaults* faults = nullptr;  // tests only: makes the disk fail (faults.h)
  // Password checks (credential_cache.h): how long credentials that passed skip Argon2id (0:
  // never), and how many Argon2id may run at once (0: one per CPU).
  std::chrono::seconds credential_cache{300};
  unsigned max_hashing = 0;
};

struct StoreStats {
  uint64_t commits = 0;  // transactions, i.e. fsyncs
  uint64_t writes = 0;   // operations applied in them
  // Where the writer's time went, in microseconds.
  uint64_t apply_us = 0;     // running the writes' SQL
  uint64_t sync_us = 0;      // waiting for the blob fdatasync after the SQL was done
  uint64_t commit_us = 0;    // COMMIT, i.e. writing and syncing the WAL
  int64_t indexed_upto = 0;  // the email id up to which the full-text index has every email
  bool read_only = false;    // latched after a failed sync or I/O error (error.h)
  uint64_t disk_full = 0;    // writes refused because the disk was full
};

// One message to deliver into one or more local accounts. Its bytes become one blob shared by
// every recipient.
struct Incoming {
  std::string message;  // exact bytes, trace headers included
  // The id of a blob that holds `message` already (Email/import of an upload): the emails refer
  // to it, and the bytes are not written again. Empty: a blob of its own (DeliveryBlobId).
  std::string stored_blob;
  mime::Summary summary;
  int64_t received_at = 0;
  std::vector<AccountId> recipients;
  std::string mailbox_role = "inbox";  // where it lands in each account
  // Instead of mailbox_role: this mailbox (of the only recipient). APPEND and drafts use it.
  std::optional<MailboxId> mailbox;
  Keywords keywords;                      // set on the new memberships
  std::vector<MailboxId> more_mailboxes;  // with `mailbox`: these too (JMAP mailboxIds)
  // A bridged account's copy of an upstream message (bridge.cc): recorded in the same commit,
  // and a second delivery of the same upstream message fails the whole delivery.
  std::optional<UpstreamRef> upstream;
};

// --- JMAP Email writes (jmap_store.cc).

// One Email/set update: keywords and mailboxes replaced, or changed by a patch, against what the
// email has when the write applies.
struct EmailUpdate {
  EmailId email = 0;
  std::optional<Keywords> keywords;
  Keywords add_keywords, remove_keywords;
  std::optional<std::vector<MailboxId>> mailboxes;
  std::vector<MailboxId> add_mailboxes, remove_mailboxes;
};
// Why one update or destroy did not apply (an SQL failure fails the whole write instead).
enum class EmailWriteError { kNone, kNotFound, kMailboxNotFound, kNoMailbox, kTooManyKeywords };
inline constexpr size_t kMaxKeywordsPerEmail = 100;
struct UploadedBlob {
  std::string blob_id;
  int64_t size = 0;
};
inline constexpr int64_t kUploadTtlSeconds = int64_t{24} * 3600;  // RFC 8620 6.1: at least an hour

class Writer;
class Health;
class BlobFile;
class SearchIndex;
class CredentialCache;

// The writes of a bridged account go to its upstream IMAP server first and reach the store only
// as the bridge mirrors upstream's answer (src/bridge implements this). The store calls it at the
// top of the writes below, from the writer's caller (a blocking pool thread).
class UpstreamWrites {
 public:
  virtual ~UpstreamWrites() = default;
  // Whether a write to `account` must go upstream first: it is bridged, and the calling thread
  // is not the bridge mirroring upstream. Never blocks.
  virtual bool Intercepts(AccountId account) = 0;
  // Changes the keywords of `uids` of `mailbox` upstream and waits until upstream confirmed and
  // the bridge mirrored the change. Blocks; an error when upstream is unreachable or refuses.
  virtual ErrorCode StoreKeywords(AccountId account, MailboxId mailbox,
                                  const std::vector<Uid>& uids, KeywordOp op,
                                  const Keywords& keywords) = 0;
  // Deletes `uids` of `mailbox` upstream (\Deleted, UID EXPUNGE), then as StoreKeywords.
  virtual ErrorCode RemoveMessages(AccountId account, MailboxId mailbox,
                                   const std::vector<Uid>& uids) = 0;
  // Copies `uids` of `from` into `to` upstream (with `move`, moves them), then waits until the
  // bridge mirrored both mailboxes: the copies arrive in `to` as upstream's own new messages.
  // `out` gets the pairs of source and mirrored destination UIDs (none when upstream does not
  // say which UIDs it gave, i.e. without UIDPLUS) and `to`'s UIDVALIDITY. Blocks, as above.
  virtual ErrorCode CopyMessages(AccountId account, MailboxId from, const std::vector<Uid>& uids,
                                 MailboxId to, bool move, CopyResult& out) = 0;
  // Appends `message` (its bytes, keywords and received_at) to `mailbox` upstream, then waits
  // until the bridge mirrored it. `out` gets the mailbox and UID of the mirrored message.
  // Blocks, as above.
  virtual ErrorCode AppendMessage(AccountId account, MailboxId mailbox, const Incoming& message,
                                  Delivered& out) = 0;
  // Creates, renames or deletes a mailbox (names are local: "/" between levels) upstream, then
  // waits until the bridge listed upstream's mailboxes again and made the local ones match.
  // Blocks, as above.
  virtual ErrorCode CreateMailbox(AccountId account, std::string_view name) = 0;
  virtual ErrorCode RenameMailbox(AccountId account, MailboxId mailbox,
                                  std::string_view new_name) = 0;
  virtual ErrorCode DeleteMailbox(AccountId account, MailboxId mailbox) = 0;
};

class Store {
 public:
  // Opens or creates the store and migrates its schema. Fails when the file cannot be opened
  // or its schema is newer than this binary.
  static Result<std::unique_ptr<Store>> Open(const StoreOptions& options);
  // Applies every write already queued, then stops the writer.
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Called on the writer thread after each commit, before the batch's writes are
  // acknowledged. It must not block: hand the events off (the hub posts them to workers).
  // Set it before the first write.
  void SetCommitListener(CommitListener listener);

  // Delivers `incoming`; `done` runs on the writer thread once it is durable, with one entry
  // per distinct recipient. Fails as a whole: either every recipient has it or none does.
  void Deliver(Incoming incoming, std::function<void(Result<std::vector<Delivered>>)> done);
  Result<std::vector<Delivered>> DeliverSync(Incoming incoming);
  // Delivers every message of `messages` in one transaction, or none of them (IMAP
  // MULTIAPPEND). The entries come in message order, each message's in recipient order.
  Result<std::vector<Delivered>> DeliverAll(std::vector<Incoming> messages);

  // Creates an account whose login is also its first address, with the default mailboxes.
  // kAlreadyExists when the login is taken.
  Result<AccountId> CreateAccount(std::string_view login, std::string_view password,
                                  HashCost cost = HashCost::kInteractive);
  // Creates several accounts with one password (each with its own salt) in one transaction:
  // all or none. kAlreadyExists names nothing; `taken` then gets the first login in use.
  Result<std::vector<AccountId>> CreateAccounts(const std::vector<std::string>& logins,
                                                std::string_view password, HashCost cost,
                                                std::string* taken = nullptr);
  ErrorCode DeleteAccount(std::string_view login);
  ErrorCode SetPassword(std::string_view login, std::string_view password,
                        HashCost cost = HashCost::kInteractive);

  Result<Account> FindAccount(std::string_view login);
  Result<Account> GetAccount(AccountId id);
  Result<std::vector<Account>> ListAccounts();
  // The account that receives mail for `address` (case-insensitive), or kNotFound. A found
  // address is remembered for kRecipientTtl, for CachedRecipient.
  Result<AccountId> FindRecipient(std::string_view address);
  // FindRecipient's answer when it is remembered, without touching the disk: never blocks, so
  // a network worker may call it. Only found addresses are remembered (a new account is seen at
  // once); a deletion by another process is seen within kRecipientTtl, and mail accepted for a
  // just-deleted account fails at commit (temporarily), never lands elsewhere.
  std::optional<AccountId> CachedRecipient(std::string_view address);
  static constexpr std::chrono::seconds kRecipientTtl{10};
  // The account when `password` is right; kNotFound for an unknown login or a wrong password
  // alike. Slow by design (Argon2id), unless the store's credential cache remembers these
  // credentials verified against the account's current password hash; a burst of checks of
  // the same credentials shares one hash (credential_cache.h). Every protocol's login comes
  // here.
  Result<AccountId> Authenticate(std::string_view login, std::string_view password);
  // Argon2id runs so far, for tests and figures.
  uint64_t PasswordHashesRun() const;

  // --- Bearer tokens (RFC 6750). A token is 256 random bits; only its SHA-256 is stored.
  // Changing the password or deleting the account revokes them all.

  // A new token for `account`, valid until `expires_at` (Unix seconds). Also drops expired ones.
  Result<std::string> CreateToken(AccountId account, int64_t expires_at);
  // The account of a valid, unexpired token; kNotFound otherwise (malformed ones too).
  Result<AccountId> FindToken(std::string_view token);
  // kNotFound when the token was not valid.
  ErrorCode RevokeToken(std::string_view token);

  Result<std::vector<Mailbox>> ListMailboxes(AccountId account);
  Result<Mailbox> FindMailbox(AccountId account, std::string_view name);
  // What changed for `type` after `since`, at most `max_changes` objects.
  Result<Changes> ChangesSince(AccountId account, DataType type, ModSeq since, size_t max_changes);
  // Calls `fn` for each message of `account` (of one mailbox when given) in mailbox, UID order.
  ErrorCode ForEachMessage(AccountId account, std::optional<MailboxId> mailbox,
                           const std::function<void(const StoredMessage&)>& fn);

  // --- Mailboxes. Names are full hierarchy paths with "/" between levels ("Work/2026"); a
  // mailbox's parent is the mailbox named by the path before its last "/", when it exists.

  // Creates a mailbox. kAlreadyExists when the name is taken; kInvalidArgument for an empty
  // name or one with an empty level.
  Result<Mailbox> CreateMailbox(AccountId account, std::string_view name);
  // Deletes a mailbox and the memberships in it (emails in no other mailbox go with them).
  // kInvalidArgument for INBOX and for a mailbox with children (RFC 9051 6.3.5 leaves that to
  // the server; refusing keeps the hierarchy whole).
  ErrorCode DeleteMailbox(AccountId account, MailboxId mailbox);
  // Renames a mailbox and every mailbox under it. Renaming INBOX moves its messages to a new
  // mailbox of that name and leaves INBOX empty (RFC 9051 6.3.6).
  ErrorCode RenameMailbox(AccountId account, MailboxId mailbox, std::string_view new_name);
  ErrorCode SetSubscribed(AccountId account, MailboxId mailbox, bool subscribed);
  // CreateMailbox and, in the same commit, the role, sort order and subscription of `patch`
  // (its name is ignored). kAlreadyExists also when another mailbox has the role.
  Result<Mailbox> CreateMailbox(AccountId account, std::string_view name,
                                const MailboxPatch& patch);
  // Renames (as RenameMailbox) and sets the role, sort order and subscription in one commit.
  ErrorCode UpdateMailbox(AccountId account, MailboxId mailbox, const MailboxPatch& patch);

  // --- Messages in a mailbox (the IMAP view). Writes bump the account's modseq once, set the
  // mailbox's HIGHESTMODSEQ, record the change log and publish like deliveries.

  // The mailbox and all its messages from one snapshot.
  Result<MailboxSnapshot> ReadMailbox(MailboxId mailbox);
  // The messages of `mailbox` with UIDs first..last, by UID.
  Result<std::vector<MailboxMessage>> ReadMessages(MailboxId mailbox, Uid first, Uid last);
  // Messages whose membership changed (new or new keywords) after `since`, and the UIDs
  // expunged after `since`, from one snapshot, with the mailbox as it is now.
  struct MailboxDelta {
    Mailbox mailbox;
    std::vector<MailboxMessage> changed;  // by UID
    std::vector<Uid> expunged;            // sorted
  };
  Result<MailboxDelta> ReadMailboxChanges(MailboxId mailbox, ModSeq since);
  Result<MailboxCounts> CountMailbox(MailboxId mailbox);
  Result<EmailRecord> GetEmail(EmailId email);
  // The mailboxes that hold `email`, by mailbox id; empty when the email is gone or unknown.
  Result<std::vector<EmailPlacement>> ReadPlacements(EmailId email);
  // The exact stored bytes of an email.
  Result<std::string> ReadEmailBytes(EmailId email);

  // Changes the keywords of the messages of `mailbox` with `uids`. With `unchanged_since`,
  // a message whose modseq is above it is left alone and listed as modified (RFC 7162 3.1.3).
  Result<KeywordUpdate> UpdateKeywords(AccountId account, MailboxId mailbox,
                                       const std::vector<Uid>& uids, KeywordOp op,
                                       const Keywords& keywords,
                                       std::optional<ModSeq> unchanged_since = std::nullopt);
  // Removes from `mailbox` its messages with $deleted (only those in `uids` when given) and
  // returns their UIDs, sorted.
  Result<std::vector<Uid>> Expunge(AccountId account, MailboxId mailbox,
                                   const std::optional<std::vector<Uid>>& uids);
  // Copies the messages with `uids` into `to` (new UIDs there, same keywords); with `move`,
  // removes them from `from` in the same commit.
  Result<CopyResult> Copy(AccountId account, MailboxId from, const std::vector<Uid>& uids,
                          MailboxId to, bool move);

  // --- JMAP's view beyond IMAP's (store/objects.cc). Writes bump their type's state, write
  // the change log and publish like the others.

  // Every mailbox's JMAP counts (see MailboxThreadCounts), from one snapshot.
  Result<std::map<MailboxId, MailboxThreadCounts>> CountThreads(AccountId account);
  // The emails of `thread` (of `account`) by receivedAt, oldest first; empty when there is none.
  Result<std::vector<EmailId>> ReadThread(AccountId account, ThreadId thread);
  // Takes the messages with `uids` out of `mailbox` whatever their keywords (the bridge
  // mirroring an upstream deletion); otherwise as Expunge.
  Result<std::vector<Uid>> RemoveMessages(AccountId account, MailboxId mailbox,
                                          const std::vector<Uid>& uids);

  Result<std::vector<Identity>> ListIdentities(AccountId account);
  Result<Identity> CreateIdentity(const Identity& identity);  // id and may_delete are ignored
  // Changes the name, reply-to, bcc and signatures (never the email). kNotFound unless the
  // identity is identity.account's.
  ErrorCode UpdateIdentity(const Identity& identity);
  // kInvalidArgument for an identity that may not be deleted.
  ErrorCode DeleteIdentity(AccountId account, IdentityId identity);

  Result<VacationResponse> GetVacationResponse(AccountId account);  // disabled when never set
  // Also forgets whom the earlier response answered, so every sender hears the new one.
  ErrorCode SetVacationResponse(AccountId account, const VacationResponse& vacation);
  // Whether `account` has a vacation response active at `when`, from memory: never blocks, so
  // a network worker may ask it for each delivery.
  bool VacationActive(AccountId account, int64_t when);
  // True when `account`'s vacation response should answer `sender` now: it did not within
  // `period` seconds. Records the reply when it says true (RFC 3834 2, once per period).
  Result<bool> ClaimVacationReply(AccountId account, std::string_view sender, int64_t now,
                                  int64_t period);

  Result<EmailSubmission> CreateSubmission(const EmailSubmission& submission);  // id ignored
  Result<std::vector<EmailSubmission>> ListSubmissions(AccountId account);      // by send_at
  ErrorCode DeleteSubmission(AccountId account, SubmissionId submission);
  // --- Web Push subscriptions (push_subscriptions.cc). They change no JMAP state and publish
  // nothing.

  // Those of `account`, or of every account when nullopt, by id.
  Result<std::vector<PushSubscription>> ListPushSubscriptions(std::optional<AccountId> account);
  // id is ignored. kLimitExceeded when the account has `max_per_account` already.
  Result<PushSubscription> CreatePushSubscription(const PushSubscription& subscription,
                                                  size_t max_per_account);
  // Sets verified, expires and types. kNotFound unless it is subscription.account's.
  ErrorCode UpdatePushSubscription(const PushSubscription& subscription);
  ErrorCode DeletePushSubscription(AccountId account, PushSubscriptionId subscription);

  // --- JMAP Email (jmap_store.cc). A blob id is "G" and the hex SHA-256 of the bytes; an
  // account may read a blob that one of its emails or its uploads of the last
  // kUploadTtlSeconds holds.
  Result<UploadedBlob> PutUpload(AccountId account, std::string_view bytes, std::string_view type,
                                 int64_t now);
  Result<std::string> ReadBlob(AccountId account, std::string_view blob_id, int64_t now);
  // The emails matching `query` from `offset`, at most `limit` (< 0: all), and with
  // `want_total` how many match in all; one snapshot.
  Result<EmailQueryResult> QueryEmails(AccountId account, const EmailQuery& query, int64_t offset,
                                       int64_t limit, bool want_total);
  // The emails of `threads` that `account` has, by thread then id.
  Result<std::vector<EmailQueryRow>> ThreadEmails(AccountId account,
                                                  const std::vector<ThreadId>& threads);
  // One commit for all; an entry per update (or destroy), in order.
  Result<std::vector<EmailWriteError>> UpdateEmails(AccountId account,
                                                    const std::vector<EmailUpdate>& updates);
  Result<std::vector<EmailWriteError>> DestroyEmails(AccountId account,
                                                     const std::vector<EmailId>& emails);

  // --- Bridged accounts (bridge.cc): mailboxes mirrored from an upstream IMAP server.

  // What the store knows of the upstream mailbox `mailbox` mirrors: all zero before the first
  // sync.
  Result<UpstreamMailbox> ReadUpstreamMailbox(MailboxId mailbox);
  // Records the upstream mailbox's UIDVALIDITY and HIGHESTMODSEQ after a sync. A UIDVALIDITY
  // other than the recorded one forgets which upstream messages were mirrored.
  ErrorCode SetUpstreamMailbox(MailboxId mailbox, uint32_t uidvalidity, int64_t highest_modseq);

  // Sends the writes of bridged accounts through `writes` first: keywords (UpdateKeywords,
  // UpdateEmails), removals (Expunge, RemoveMessages, DestroyEmails). Moves, copies and
  // deliveries into a chosen mailbox of a bridged account are refused (kUnavailable): not yet
  // built. Null turns it off; `writes` must outlive every write that may call it.
  void SetUpstreamWrites(UpstreamWrites* writes) { upstream_.store(writes); }
  // Whether the writes of `account` go upstream first, and so may wait for an upstream server
  // for as long as its write timeout: callers run them on a pool of their own, never on the one
  // that logins, reads and local writes use. Never blocks; any thread.
  bool WritesGoUpstream(AccountId account) {
    UpstreamWrites* writes = upstream_.load();
    return writes != nullptr && writes->Intercepts(account);
  }

  StoreStats Stats() const;

 private:
  class Readers;
  class RecipientCache;
  class VacationCache;
  Store(std::shared_ptr<Health> health, std::unique_ptr<BlobFile> blobs,
        std::unique_ptr<SearchIndex> search, std::unique_ptr<Writer> writer,
        std::unique_ptr<Readers> readers, std::unique_ptr<CredentialCache> credentials);
  ErrorCode LoadVacations();
  // The hook when `account`'s writes go upstream first (bridge.cc), else null.
  UpstreamWrites* Intercept(AccountId account);

  std::shared_ptr<Health> health_;       // shared with blobs_ and writer_
  std::unique_ptr<BlobFile> blobs_;      // before writer_: the writer syncs it until it stops
  std::unique_ptr<SearchIndex> search_;  // reads blobs_; the writer notifies it until it stops
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<Readers> readers_;
  std::unique_ptr<RecipientCache> recipients_;
  std::unique_ptr<VacationCache> vacations_;
  std::unique_ptr<CredentialCache> credentials_;
  std::atomic<UpstreamWrites*> upstream_{nullptr};
};

}  // namespace pushmail::store
