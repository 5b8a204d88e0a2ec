#include "store/writer.h"

#include <pthread.h>

#include <algorithm>
#include <future>

#include "base/clock.h"
#include "base/log.h"

namespace pushmail::store {

sqlite::Statement& Txn::Stmt(Sql sql) {
  return sqlite::Reuse(db_, sql.text, statements_[sql.text]);
}

void Txn::ResetStatements() {
  for (auto& [sql, statement] : statements_) statement.Reset();
}

Txn::AccountState& Txn::Enter(AccountId account) {
  auto [it, fresh] = touched_.try_emplace(account);
  bool saved = std::any_of(saved_accounts_.begin(), saved_accounts_.end(),
                           [account](const SavedAccount& s) { return s.account == account; });
  if (!saved) {
    const AccountState& state = it->second;
    saved_accounts_.push_back({account, !fresh, state.change, state.loaded});
  }
  return it->second;
}

void Txn::BeginOp() {
  saved_accounts_.clear();
  saved_log_.clear();
  saved_mailboxes_.clear();
}

void Txn::RollbackOp() {
  for (auto it = saved_log_.rbegin(); it != saved_log_.rend(); ++it) {
    auto& log = touched_[it->account].log;
    if (it->before) {
      log[it->key] = *it->before;
    } else {
      log.erase(it->key);
    }
  }
  for (auto it = saved_mailboxes_.rbegin(); it != saved_mailboxes_.rend(); ++it) {
    if (it->before) {
      mailboxes_[it->mailbox] = *it->before;
    } else {
      mailboxes_.erase(it->mailbox);
    }
  }
  for (const SavedAccount& s : saved_accounts_) {
    if (!s.existed) {
      touched_.erase(s.account);
      continue;
    }
    AccountState& state = touched_[s.account];
    state.change = s.change;
    state.loaded = s.loaded;
  }
  BeginOp();
}

Result<ModSeq> Txn::Bump(AccountId account, DataTypes types) {
  AccountState& state = Enter(account);
  StateChange& c = state.change;
  if (!state.loaded) {
    auto& q = Stmt(
        "SELECT modseq, email_state, mailbox_state, thread_state, push_seq, identity_state, "
        "submission_state, vacation_state FROM accounts WHERE id = ?");
    q.Bind(1, account);
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return MakeError(Errc::kNotFound);  // the op fails; RollbackOp tidies up
    c.account = account;
    c.modseq = q.Int(0);
    c.email_state = q.Int(1);
    c.mailbox_state = q.Int(2);
    c.thread_state = q.Int(3);
    c.push_seq = static_cast<uint64_t>(q.Int(4));
    c.identity_state = q.Int(5);
    c.submission_state = q.Int(6);
    c.vacation_state = q.Int(7);
    state.loaded = true;
  }
  ModSeq modseq = ++c.modseq;
  if (types & Bit(DataType::kEmail)) c.email_state = modseq;
  if (types & Bit(DataType::kMailbox)) c.mailbox_state = modseq;
  if (types & Bit(DataType::kThread)) c.thread_state = modseq;
  if (types & Bit(DataType::kIdentity)) c.identity_state = modseq;
  if (types & Bit(DataType::kEmailSubmission)) c.submission_state = modseq;
  if (types & Bit(DataType::kVacationResponse)) c.vacation_state = modseq;
  c.changed |= types;
  return modseq;
}

ErrorCode Txn::Log(AccountId account, DataType type, int64_t object_id, ChangeOp op,
                   ModSeq modseq) {
  auto& log = Enter(account).log;
  auto [it, fresh] = log.try_emplace({type, object_id}, LogEntry{op, modseq});
  saved_log_.push_back({account, it->first, fresh ? std::nullopt : std::optional(it->second)});
  if (!fresh) {
    LogEntry& e = it->second;
    // Destroyed wins, and a change of properties outranks one of counts; otherwise the first
    // op stays ("created" already says: fetch it).
    if (op == ChangeOp::kDestroyed ||
        (op == ChangeOp::kUpdated && e.op == ChangeOp::kCountsUpdated)) {
      e.op = op;
    }
    e.modseq = std::max(e.modseq, modseq);
  }
  return {};
}

ErrorCode Txn::FlushLog(AccountId account, const std::map<LogKey, LogEntry>& log) {
  for (const auto& [key, e] : log) {
    auto& q = Stmt(
        "INSERT OR IGNORE INTO changes (account_id, modseq, type, object_id, op) "
        "VALUES (?, ?, ?, ?, ?)");
    q.Bind(1, account).Bind(2, e.modseq).Bind(3, static_cast<int64_t>(key.first));
    q.Bind(4, key.second).Bind(5, static_cast<int64_t>(e.op));
    if (auto ec = q.Run()) return ec;
  }
  return {};
}

void Txn::SaveMailbox(MailboxId mailbox) {
  bool saved = std::any_of(saved_mailboxes_.begin(), saved_mailboxes_.end(),
                           [mailbox](const SavedMailbox& s) { return s.mailbox == mailbox; });
  if (saved) return;
  auto it = mailboxes_.find(mailbox);
  saved_mailboxes_.push_back(
      {mailbox, it == mailboxes_.end() ? std::nullopt : std::optional(it->second)});
}

Result<Txn::MailboxCounters*> Txn::Counters(MailboxId mailbox) {
  SaveMailbox(mailbox);
  auto it = mailboxes_.find(mailbox);
  if (it != mailboxes_.end()) return &it->second;
  auto& q = Stmt("SELECT uidnext, highestmodseq FROM mailboxes WHERE id = ?");
  q.Bind(1, mailbox);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  MailboxCounters counters{static_cast<Uid>(q.Int(0)), q.Int(1)};
  return &mailboxes_.emplace(mailbox, counters).first->second;
}

Result<Uid> Txn::NextUid(MailboxId mailbox, ModSeq modseq) {
  auto counters = Counters(mailbox);
  if (!counters) return counters.error();
  (*counters)->highestmodseq = std::max((*counters)->highestmodseq, modseq);
  return (*counters)->uidnext++;
}

ErrorCode Txn::RaiseModSeq(MailboxId mailbox, ModSeq modseq) {
  auto counters = Counters(mailbox);
  if (!counters && counters.error() == MakeError(Errc::kNotFound)) return {};  // nothing to raise
  if (!counters) return counters.error();
  (*counters)->highestmodseq = std::max((*counters)->highestmodseq, modseq);
  return {};
}

void Txn::ForgetMailbox(MailboxId mailbox) {
  SaveMailbox(mailbox);
  mailboxes_.erase(mailbox);
}

ErrorCode Txn::FlushMailboxes() {
  for (const auto& [mailbox, c] : mailboxes_) {
    auto& q = Stmt("UPDATE mailboxes SET uidnext = ?, highestmodseq = ? WHERE id = ?");
    q.Bind(1, static_cast<int64_t>(c.uidnext)).Bind(2, c.highestmodseq).Bind(3, mailbox);
    if (auto ec = q.Run()) return ec;
  }
  return {};
}

void Txn::EndBatch() {
  touched_.clear();
  mailboxes_.clear();
}

void Txn::Touch(AccountId account, MailboxId mailbox) {
  auto& list = Enter(account).change.mailboxes;
  if (std::find(list.begin(), list.end(), mailbox) == list.end()) list.push_back(mailbox);
}

Writer::Writer(sqlite::Db db, sqlite::Db checkpoint_db, unsigned max_batch, Durability durability,
               std::shared_ptr<Health> health)
    : db_(std::move(db)),
      txn_(db_),
      checkpoint_db_(std::move(checkpoint_db)),
      max_batch_(max_batch),
      durability_(std::move(durability)),
      health_(std::move(health)),
      syncer_([this] { SyncLoop(); }),
      checkpointer_([this] { CheckpointLoop(); }),
      thread_([this] { Run(); }) {}

// Called by SQLite on the writer thread after each commit with the WAL's size in pages.
int Writer::OnWalCommit(void* self, sqlite3*, const char*, int pages) {
  auto* writer = static_cast<Writer*>(self);
  {
    std::lock_guard lock(writer->checkpoint_mu_);
    writer->wal_pages_ = pages;
  }
  if (pages >= kCheckpointPages) writer->checkpoint_cv_.notify_one();
  return SQLITE_OK;
}

// Copies the WAL back into the database when it has grown, with PASSIVE checkpoints that never
// wait for (or block) the writer or readers.
void Writer::CheckpointLoop() {
  pthread_setname_np(pthread_self(), "store-checkpt");
  for (;;) {
    {
      std::unique_lock lock(checkpoint_mu_);
      checkpoint_cv_.wait(
          lock, [this] { return checkpoint_stopping_ || wal_pages_ >= kCheckpointPages; });
      if (checkpoint_stopping_) return;
      wal_pages_ = 0;
    }
    // Once latched, the WAL is left as it is: what it holds was synced, the database file's
    // state after a failed write is not known.
    if (health_->read_only()) continue;
    int log = 0, done = 0;
    int rc = sqlite3_wal_checkpoint_v2(checkpoint_db_.handle(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                       &log, &done);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY) {
      spdlog::warn("store: checkpoint failed: {}", sqlite3_errstr(rc));
      health_->Judge("a checkpoint", sqlite::SqliteError(rc));
    }
  }
}

// Syncs what was written so far each time it is kicked; a commit that needs it waits for (or
// shares) the sync in flight instead of starting its own.
void Writer::SyncLoop() {
  pthread_setname_np(pthread_self(), "store-sync");
  for (;;) {
    {
      std::unique_lock lock(sync_mu_);
      sync_cv_.wait(lock, [this] { return sync_stopping_ || sync_kicked_; });
      if (sync_stopping_) return;
      sync_kicked_ = false;
    }
    // A failure here is met again by the commit that needs the bytes, which reports it.
    if (durability_.sync_through) durability_.sync_through(durability_.mark());
  }
}

void Writer::KickSyncer() {
  if (!durability_.sync_through) return;
  {
    std::lock_guard lock(sync_mu_);
    sync_kicked_ = true;
  }
  sync_cv_.notify_one();
}

Writer::~Writer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  thread_.join();
  {
    std::lock_guard lock(checkpoint_mu_);
    checkpoint_stopping_ = true;
  }
  checkpoint_cv_.notify_one();
  checkpointer_.join();
  {
    std::lock_guard lock(sync_mu_);
    sync_stopping_ = true;
  }
  sync_cv_.notify_one();
  syncer_.join();
}

void Writer::Submit(Apply apply, Done done) {
  {
    std::lock_guard lock(mu_);
    queue_.push_back({std::move(apply), std::move(done), {}});
  }
  cv_.notify_one();
}

ErrorCode Writer::SubmitAndWait(Apply apply) {
  std::promise<ErrorCode> promise;
  auto future = promise.get_future();
  Submit(std::move(apply), [&promise](ErrorCode ec) { promise.set_value(ec); });
  return future.get();
}

void Writer::Run() {
  pthread_setname_np(pthread_self(), "store-writer");
  sqlite3_wal_autocheckpoint(db_.handle(), 0);  // CheckpointLoop does it, off this thread
  sqlite3_wal_hook(db_.handle(), &Writer::OnWalCommit, this);
  std::vector<Op> batch;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is applied
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Execute(batch);
    batch.clear();
  }
}

ErrorCode Writer::ApplyAll(std::vector<Op>& batch) {
  for (Op& op : batch) {
    ErrorCode undo_failed;
    op.result = health_->Judge("a write", ApplyOne(op, undo_failed));
    // A failed op whose savepoint could not be rolled back left its writes in the transaction:
    // the batch must not commit them as if they were someone's success.
    if (undo_failed) return health_->Judge("a rollback", undo_failed);
    // A full disk or an I/O error may make SQLite roll back the whole transaction: the ops
    // after it would then run in autocommit mode, each committed on its own.
    if (sqlite3_get_autocommit(db_.handle())) return op.result ? op.result : MakeError(Errc::kIo);
    if (health_->read_only()) return StoreErrc::kReadOnly;
  }
  return {};
}

ErrorCode Writer::ApplyOne(Op& op, ErrorCode& undo_failed) {
  if (auto ec = txn_.Stmt("SAVEPOINT op").Run()) return ec;
  txn_.BeginOp();  // the op's bumps vanish with its savepoint if it fails
  ErrorCode ec = op.apply(txn_);
  if (ec) {
    undo_failed = txn_.Stmt("ROLLBACK TO op").Run();
    txn_.RollbackOp();
  }
  if (ErrorCode released = txn_.Stmt("RELEASE op").Run(); released && !undo_failed && ec) {
    undo_failed = released;
  }
  return ec;
}

// Writes the batch's mailbox counters and each touched account's new modseq, states and push
// sequence.
ErrorCode Writer::FinishAccounts() {
  if (auto ec = txn_.FlushMailboxes()) return ec;
  for (auto& [id, state] : txn_.touched_) {
    if (auto ec = txn_.FlushLog(id, state.log)) return ec;
    StateChange& c = state.change;
    if (!state.loaded) continue;  // touched without a bump: nothing changed
    ++c.push_seq;
    auto& q = txn_.Stmt(
        "UPDATE accounts SET modseq = ?, email_state = ?, mailbox_state = ?, thread_state = ?, "
        "push_seq = ?, identity_state = ?, submission_state = ?, vacation_state = ? "
        "WHERE id = ?");
    q.Bind(1, c.modseq).Bind(2, c.email_state).Bind(3, c.mailbox_state).Bind(4, c.thread_state);
    q.Bind(5, static_cast<int64_t>(c.push_seq)).Bind(6, c.identity_state);
    q.Bind(7, c.submission_state).Bind(8, c.vacation_state).Bind(9, id);
    if (auto ec = q.Run()) return ec;
  }
  return {};
}

std::vector<StateChange> Writer::TakeChanges() {
  std::vector<StateChange> changes;
  auto now = std::chrono::steady_clock::now();
  for (auto& [id, state] : txn_.touched_) {
    if (!state.loaded) continue;
    changes.push_back(std::move(state.change));
    changes.back().committed_at = now;
  }
  txn_.EndBatch();
  return changes;
}

void Writer::Execute(std::vector<Op>& batch) {
  auto micros_since = [](SteadyClock::time_point start) {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count());
  };
  auto start = SteadyClock::now();
  // Every write in the batch appended its blob before it was queued, so the mark taken now
  // covers them all, and their sync runs while the SQL does; the commit waits for both.
  uint64_t mark = durability_.mark ? durability_.mark() : 0;
  KickSyncer();
  ErrorCode commit_error = health_->CheckWritable();
  if (!commit_error) commit_error = db_.Exec("BEGIN IMMEDIATE");
  if (!commit_error) {
    commit_error = ApplyAll(batch);
    if (!commit_error) commit_error = FinishAccounts();
    txn_.ResetStatements();
    apply_us_ += micros_since(start);
    start = SteadyClock::now();
    if (durability_.sync_through) {
      ErrorCode sync_error = durability_.sync_through(mark);
      if (!commit_error) commit_error = sync_error;
    }
    sync_us_ += micros_since(start);  // only the part of the sync the SQL did not hide
    start = SteadyClock::now();
    KickSyncer();  // the next batch's bytes, while this COMMIT waits for the WAL's fsync
    if (!commit_error) commit_error = db_.Exec("COMMIT");
    commit_us_ += micros_since(start);
    if (commit_error && !sqlite3_get_autocommit(db_.handle())) db_.Exec("ROLLBACK");
  }
  commit_error = health_->Judge("a commit", commit_error);
  if (commit_error) {
    spdlog::error("store: commit of {} writes failed: {}", batch.size(), commit_error.message());
    txn_.EndBatch();
    for (Op& op : batch) op.done(commit_error);
    return;
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  writes_.fetch_add(batch.size(), std::memory_order_relaxed);
  std::vector<StateChange> changes = TakeChanges();
  if (listener_ && !changes.empty()) listener_(changes);
  if (committed_ && !changes.empty()) committed_();
  for (Op& op : batch) op.done(op.result);
}

}  // namespace pushmail::store
