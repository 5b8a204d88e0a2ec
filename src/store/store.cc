#include "store/store.h"

#include <filesystem>
#include <mutex>
#include <unordered_map>

#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "store/blob_file.h"
#include "store/credential_cache.h"
#include "store/health.h"
#include "store/password.h"
#include "store/readers.h"
#include "store/recipient_cache.h"
#include "store/search_index.h"
#include "store/sqlite/fault_vfs.h"
#include "store/sqlite/schema.h"
#include "store/vacation_cache.h"
#include "store/writer.h"

namespace pushmail::store {

namespace {}  // namespace

Store::Store(std::shared_ptr<Health> health, std::unique_ptr<BlobFile> blobs,
             std::unique_ptr<SearchIndex> search, std::unique_ptr<Writer> writer,
             std::unique_ptr<Readers> readers, std::unique_ptr<CredentialCache> credentials)
    : health_(std::move(health)),
      blobs_(std::move(blobs)),
      search_(std::move(search)),
      writer_(std::move(writer)),
      readers_(std::move(readers)),
      recipients_(std::make_unique<RecipientCache>()),
      vacations_(std::make_unique<VacationCache>()),
      credentials_(std::move(credentials)) {}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const StoreOptions& options) {
  std::string vfs;  // the default, but where a test makes the disk fail
  if (options.faults != nullptr) {
    auto name = sqlite::FaultVfs(options.faults);
    if (!name) return name.error();
    vfs = *name;
  }
  auto db = sqlite::Db::Open(options.path, true, vfs);
  if (!db) return db.error();
  bool fresh = sqlite::UserVersion(*db) == 0;
  if (auto ec = sqlite::Migrate(*db)) return ec;
  // The writer keeps the hot B-tree pages (indexes, the change log's tail) cached: 64 MiB.
  if (auto ec = db->Exec("PRAGMA cache_size=-65536")) return ec;
  auto dir = std::filesystem::path(options.path).parent_path();
  auto health = std::make_shared<Health>();
  auto blobs = BlobFile::Open((dir / "blobs").string(), health, options.faults);
  if (!blobs) return blobs.error();
  BlobFile* file = blobs->get();
  auto search = SearchIndex::Open((dir / "search.db").string(), options.path, fresh, *file);
  if (!search) return search.error();
  SearchIndex* index = search->get();
  auto checkpoint_db = sqlite::Db::Open(options.path, false, vfs);
  if (!checkpoint_db) return checkpoint_db.error();
  Durability durability{[file] { return file->Appended(); },
                        [file](uint64_t mark) { return file->SyncThrough(mark); }};
  auto writer = std::make_unique<Writer>(std::move(*db), std::move(*checkpoint_db),
                                         options.max_batch, std::move(durability), health);
  writer->SetCommittedHook([index] { index->Notify(); });
  auto readers = std::make_unique<Readers>(options.path, (dir / "search.db").string());
  auto credentials =
      std::make_unique<CredentialCache>(options.credential_cache, options.max_hashing);
  std::unique_ptr<Store> store(new Store(std::move(health), std::move(*blobs), std::move(*search),
                                         std::move(writer), std::move(readers),
                                         std::move(credentials)));
  if (auto ec = store->LoadVacations()) return ec;
  return store;
}

void Store::SetCommitListener(CommitListener listener) {
  writer_->SetCommitListener(std::move(listener));
}

StoreStats Store::Stats() const {
  StoreStats stats = writer_->Stats();
  stats.indexed_upto = search_->IndexedUpTo();
  stats.read_only = health_->read_only();
  stats.disk_full = health_->disk_full();
  return stats;
}

namespace {

constexpr const char* kAccountColumns =
    "SELECT id, login, created_at, modseq, email_state, mailbox_state, thread_state, push_seq, "
    "identity_state, submission_state, vacation_state FROM accounts ";

Account ReadAccount(const sqlite::Statement& q) {
  Account a;
  a.id = q.Int(0);
  a.login = q.Text(1);
  a.created_at = q.Int(2);
  a.modseq = q.Int(3);
  a.email_state = q.Int(4);
  a.mailbox_state = q.Int(5);
  a.thread_state = q.Int(6);
  a.push_seq = static_cast<uint64_t>(q.Int(7));
  a.identity_state = q.Int(8);
  a.submission_state = q.Int(9);
  a.vacation_state = q.Int(10);
  return a;
}

}  // namespace

Result<Account> Store::FindAccount(std::string_view login) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(std::string(kAccountColumns) + "WHERE login = ?");
  q.Bind(1, login);
  return FirstRow(q, ReadAccount);
}

Result<Account> Store::GetAccount(AccountId id) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(std::string(kAccountColumns) + "WHERE id = ?");
  q.Bind(1, id);
  return FirstRow(q, ReadAccount);
}

Result<std::vector<Account>> Store::ListAccounts() {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto q = (*lease)->db().Prepare(std::string(kAccountColumns) + "ORDER BY login");
  std::vector<Account> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadAccount(q));
  }
}

Result<AccountId> Store::FindRecipient(std::string_view address) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare("SELECT account_id FROM addresses WHERE address = ?");
  q.Bind(1, address);
  auto account = FirstRow(q, [](const sqlite::Statement& s) { return s.Int(0); });
  if (account) recipients_->Remember(AsciiLower(address), *account);
  return account;
}

std::optional<AccountId> Store::CachedRecipient(std::string_view address) {
  return recipients_->Find(AsciiLower(address));
}

uint64_t Store::PasswordHashesRun() const { return credentials_->HashesRun(); }

Result<AccountId> Store::Authenticate(std::string_view login, std::string_view password) {
  std::string hash;
  AccountId id = 0;
  {
    auto lease = readers_->Acquire();
    if (!lease) return lease.error();
    auto q = (*lease)->db().Prepare("SELECT id, password_hash FROM accounts WHERE login = ?");
    q.Bind(1, login);
    auto row = q.Step();
    if (!row) return row.error();
    if (*row) {
      id = q.Int(0);
      hash = q.Text(1);
    }
  }
  if (id == 0) {
    // Spend the same time on an unknown login as on a wrong password.
    static const std::string kDummy = HashPassword("pushmail-timing-equaliser").value();
    credentials_->Bounded([&password] { VerifyPassword(kDummy, password); });
    return MakeError(Errc::kNotFound);
  }
  bool ok = credentials_->Verify(login, password, hash,
                                 [&hash, &password] { return VerifyPassword(hash, password); });
  if (!ok) return MakeError(Errc::kNotFound);
  return id;
}

Result<std::vector<Mailbox>> Store::ListMailboxes(AccountId account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto q = (*lease)->db().Prepare(std::string(kMailboxColumns) +
                                  "WHERE account_id = ? ORDER BY sort_order, name");
  q.Bind(1, account);
  std::vector<Mailbox> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadMailboxRow(q));
  }
}

Result<Mailbox> Store::FindMailbox(AccountId account, std::string_view name) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  // INBOX is case-insensitive (RFC 9051 5.1); other names are exact.
  auto q = (*lease)->db().Prepare(
      std::string(kMailboxColumns) +
      "WHERE account_id = ? AND (name = ? OR (name = 'INBOX' AND upper(?) = 'INBOX'))");
  q.Bind(1, account).Bind(2, name).Bind(3, name);
  return FirstRow(q, ReadMailboxRow);
}

Result<Changes> Store::ChangesSince(AccountId account, DataType type, ModSeq since,
                                    size_t max_changes) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& db = (*lease)->db();
  // The changes and the state they lead to must come from one snapshot.
  ReadTransaction snapshot(db);
  Changes out;
  out.old_state = since;
  // One row per object: its first op after `since`, whether it was destroyed, whether only
  // its counts changed, and its last modseq. Ids are never reused, so "created" can only be an
  // object's first op and "destroyed" its last. An object created and destroyed in the range
  // is reported as destroyed only (RFC 8620 5.2 allows either).
  auto q = db.Prepare(
      "SELECT object_id, MIN(op), MAX(op = 3), MIN(op = 4), MAX(modseq) AS last FROM changes "
      "WHERE account_id = ? AND type = ? AND modseq > ? GROUP BY object_id ORDER BY last");
  q.Bind(1, account).Bind(2, static_cast<int64_t>(type)).Bind(3, since);
  struct Row {
    int64_t id;
    ChangeOp first;
    bool destroyed, counts_only;
    ModSeq modseq;
  };
  std::vector<Row> rows;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row || rows.size() > max_changes) break;
    rows.push_back(
        {q.Int(0), static_cast<ChangeOp>(q.Int(1)), q.Int(2) != 0, q.Int(3) != 0, q.Int(4)});
  }
  if (rows.size() > max_changes) {
    // Never more than asked (RFC 8620 5.2), and never half a modseq: cut back to a boundary.
    out.has_more = true;
    ModSeq cut = rows[max_changes].modseq;
    while (!rows.empty() && rows.back().modseq >= cut) rows.pop_back();
    if (rows.empty()) return MakeError(Errc::kLimitExceeded);  // one commit exceeds the max
  }
  ModSeq last = since;
  out.counts_only = true;
  for (const Row& r : rows) {
    if (r.destroyed) {
      out.destroyed.push_back(r.id);
    } else if (r.first == ChangeOp::kCreated) {
      out.created.push_back(r.id);
    } else {
      out.updated.push_back(r.id);
      out.counts_only = out.counts_only && r.counts_only;
    }
    last = r.modseq;
  }
  out.new_state = last;
  if (!out.has_more) {
    auto a = db.Prepare(std::string(kAccountColumns) + "WHERE id = ?");
    a.Bind(1, account);
    auto state = FirstRow(a, ReadAccount);
    if (!state) return state.error();
    out.new_state = StateOf(*state, type);
  }
  return out;
}

ErrorCode Store::ForEachMessage(AccountId account, std::optional<MailboxId> mailbox,
                                const std::function<void(const StoredMessage&)>& fn) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto q = (*lease)->db().Prepare(
      "SELECT e.id, me.mailbox_id, me.uid, e.received_at, b.segment, b.offset, b.size "
      "FROM mailbox_emails me "
      "JOIN mailboxes m ON m.id = me.mailbox_id JOIN emails e ON e.id = me.email_id "
      "JOIN blobs b ON b.id = e.blob_id WHERE m.account_id = ? AND (? IS NULL OR m.id = ?) "
      "ORDER BY m.sort_order, m.id, me.uid");
  q.Bind(1, account);
  if (mailbox) {
    q.Bind(2, *mailbox).Bind(3, *mailbox);
  } else {
    q.BindNull(2).BindNull(3);
  }
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return {};
    BlobLocation where{static_cast<uint32_t>(q.Int(4)), static_cast<uint64_t>(q.Int(5)),
                       static_cast<uint64_t>(q.Int(6))};
    auto bytes = blobs_->Read(where);
    if (!bytes) return bytes.error();
    fn({q.Int(0), q.Int(1), static_cast<Uid>(q.Int(2)), q.Int(3), *bytes});
  }
}

}  // namespace pushmail::store
