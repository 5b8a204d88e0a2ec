#pragma once
// Internal to the store: the single writer thread and the transaction its operations see.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/health.h"
#include "store/sqlite/db.h"
#include "store/store.h"

namespace pushmail::store {

// The transaction one batch runs in. Operations use it to reach the database and to say what
// they changed; the writer turns that into the change log's account states and StateChanges.
class Txn {
 public:
  explicit Txn(sqlite::Db& db) : db_(db) {}

  sqlite::Db& db() { return db_; }
  // SQL text known at compile time: Stmt keys its statements by the text's address.
  struct Sql {
    consteval Sql(const char* sql) : text(sql) {}  // NOLINT(google-explicit-constructor)
    const char* text;
  };
  // A statement prepared once per writer and reused; reset before it is handed out.
  sqlite::Statement& Stmt(Sql sql);

  // Hands out the next modseq of `account` and marks `types` changed in this commit.
  Result<ModSeq> Bump(AccountId account, DataTypes types);
  // Records a change-log entry at `modseq` (from Bump); written when the batch commits.
  ErrorCode Log(AccountId account, DataType type, int64_t object_id, ChangeOp op, ModSeq modseq);
  // Records that `mailbox` of `account` changed, for the StateChange.
  void Touch(AccountId account, MailboxId mailbox);
  // Takes the next UID of `mailbox` and raises its HIGHESTMODSEQ to `modseq`. The counters are
  // read once per batch and written back when it commits: a batch of deliveries to one
  // mailbox costs one UPDATE, not one per message. kNotFound for a mailbox that is not there.
  Result<Uid> NextUid(MailboxId mailbox, ModSeq modseq);
  // Raises the HIGHESTMODSEQ of `mailbox` to `modseq`, like NextUid.
  ErrorCode RaiseModSeq(MailboxId mailbox, ModSeq modseq);
  // `mailbox` was deleted: its counters are not written back.
  void ForgetMailbox(MailboxId mailbox);
  // Resets every cached statement. A statement left mid-result holds a read snapshot, and a
  // snapshot pins the WAL: checkpoints could never catch up.
  void ResetStatements();

 private:
  friend class Writer;
  // A change-log entry waiting for the commit: one per object and batch, at the object's last
  // modseq in the batch. Clients only ever see the state after a commit, so the modseqs inside
  // one are never asked about.
  struct LogEntry {
    ChangeOp op;
    ModSeq modseq;
  };
  struct AccountState {
    StateChange change;  // what will be published; push_seq filled at commit
    bool loaded = false;
    std::map<std::pair<DataType, int64_t>, LogEntry> log;  // rolled back with the savepoint
  };
  using LogKey = std::pair<DataType, int64_t>;
  // What one operation changed in touched_, so that a failed operation can be taken back
  // without copying the batch's state before every operation.
  struct SavedAccount {
    AccountId account;
    bool existed;
    StateChange change;
    bool loaded;
  };
  struct SavedLogEntry {
    AccountId account;
    LogKey key;
    std::optional<LogEntry> before;
  };
  struct MailboxCounters {
    Uid uidnext;
    ModSeq highestmodseq;
  };
  struct SavedMailbox {
    MailboxId mailbox;
    std::optional<MailboxCounters> before;
  };

  // The account's state, saved first if this operation has not touched it yet.
  AccountState& Enter(AccountId account);
  void BeginOp();
  void RollbackOp();
  ErrorCode FlushLog(AccountId account, const std::map<LogKey, LogEntry>& log);
  // The batch's counters of `mailbox`, saved first if this operation has not changed them yet.
  Result<MailboxCounters*> Counters(MailboxId mailbox);
  void SaveMailbox(MailboxId mailbox);
  ErrorCode FlushMailboxes();
  // Forgets the batch's state once it committed or failed.
  void EndBatch();

  sqlite::Db& db_;
  std::unordered_map<const char*, sqlite::Statement> statements_;  // by Sql::text
  std::map<AccountId, AccountState> touched_;
  std::vector<SavedAccount> saved_accounts_;  // of the current operation
  std::vector<SavedLogEntry> saved_log_;      // of the current operation
  std::map<MailboxId, MailboxCounters> mailboxes_;
  std::vector<SavedMailbox> saved_mailboxes_;  // of the current operation
};

// What must be durable before a batch commits: the blob bytes its rows point at. A mark
// covers every write made before it was taken; `sync_through` makes a mark's writes durable,
// sharing syncs between callers (BlobFile::Appended / SyncThrough).
struct Durability {
  std::function<uint64_t()> mark;
  std::function<ErrorCode(uint64_t)> sync_through;
};

// Applies operations in batches on its own thread. See Store for the contract.
class Writer {
 public:
  using Apply = std::function<ErrorCode(Txn&)>;  // runs on the writer thread, in the batch txn
  using Done = std::function<void(ErrorCode)>;   // after the commit (or its failure)

  // `db` is the writer's connection (synchronous=FULL: COMMIT returns once the WAL is synced);
  // `checkpoint_db` a second connection to the same database, for checkpoints, which run on a
  // thread of their own and never inside a COMMIT. `durability` (the blob sync; none when
  // its functions are empty) runs on a syncer thread of its own: it starts when a batch is
  // taken, while the batch's SQL runs, and again while the batch's COMMIT waits for the WAL's
  // fsync, ahead of the next batch. COMMIT waits until what the batch's mark covers is
  // durable, and when that fails the batch is rolled back. Every error a write gets goes
  // through `health` first (health.h): once it latched, batches fail with kReadOnly unapplied,
  // and no checkpoint runs.
  Writer(sqlite::Db db, sqlite::Db checkpoint_db, unsigned max_batch, Durability durability,
         std::shared_ptr<Health> health);
  ~Writer();  // applies everything queued, then joins

  void SetCommitListener(CommitListener listener) { listener_ = std::move(listener); }
  // Also called after each commit that changed something, on the writer thread; set before
  // the first write (the store's search index).
  void SetCommittedHook(std::function<void()> hook) { committed_ = std::move(hook); }

  // The WAL size (4 KiB pages) past which the checkpointer copies it into the database.
  static constexpr int kCheckpointPages = 16384;
  void Submit(Apply apply, Done done);
  // Submits and waits; `apply` writes its result through captured references.
  ErrorCode SubmitAndWait(Apply apply);

  StoreStats Stats() const {
    return {commits_.load(), writes_.load(), apply_us_.load(), sync_us_.load(), commit_us_.load()};
  }

 private:
  struct Op {
    Apply apply;
    Done done;
    ErrorCode result;
  };
  void Run();
  void Execute(std::vector<Op>& batch);
  void CheckpointLoop();
  void SyncLoop();
  void KickSyncer();
  static int OnWalCommit(void* self, sqlite3* db, const char* name, int pages);
  // Runs one op in a savepoint; `undo_failed` gets why a failed op could not be taken back.
  ErrorCode ApplyOne(Op& op, ErrorCode& undo_failed);
  // Applies the batch's ops in the open transaction; an error when the batch may not commit.
  ErrorCode ApplyAll(std::vector<Op>& batch);
  ErrorCode FinishAccounts();
  std::vector<StateChange> TakeChanges();

  sqlite::Db db_;
  Txn txn_;
  sqlite::Db checkpoint_db_;  // used by the checkpointer thread only
  unsigned max_batch_;
  Durability durability_;
  std::shared_ptr<Health> health_;
  CommitListener listener_;
  std::function<void()> committed_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> writes_{0};
  std::atomic<uint64_t> apply_us_{0};
  std::atomic<uint64_t> sync_us_{0};
  std::atomic<uint64_t> commit_us_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  // State below is guarded by mu_.
  std::deque<Op> queue_;
  bool stopping_ = false;

  // Checkpoints run on their own connection and thread, never inside a COMMIT. Guarded by
  // checkpoint_mu_.
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  int wal_pages_ = 0;  // WAL size after the last commit, from sqlite3_wal_hook
  bool checkpoint_stopping_ = false;

  // The syncer makes blob bytes durable ahead of the commits that wait for them. Guarded by
  // sync_mu_.
  std::mutex sync_mu_;
  std::condition_variable sync_cv_;
  bool sync_kicked_ = false;
  bool sync_stopping_ = false;

  // Last: they start after everything above is built.
  std::thread syncer_;
  std::thread checkpointer_;
  std::thread thread_;
};

}  // namespace pushmail::store
