#include "store/search_index.h"

#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <vector>

#include "base/log.h"
#include "mime/headers.h"
#include "mime/mime.h"
#include "store/sqlite/schema.h"

namespace pushmail::store {
namespace {

// Below everything else of the server: indexing takes only CPU that nothing else wants.
void LowerPriority() {
  sched_param param{};
  if (pthread_setschedparam(pthread_self(), SCHED_IDLE, &param) != 0) {
    setpriority(PRIO_PROCESS, 0, 19);  // without SCHED_IDLE (a kernel without it): the nicest
  }
}
constexpr int64_t kLogEvery = 10000;  // a long (re)build says how far it is
// How often a thread kept from indexing by a busy server looks again.
constexpr auto kCrowdedRetry = std::chrono::milliseconds(250);

std::chrono::nanoseconds Now(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

CpuSample SampleCpu() {
  return {Now(CLOCK_MONOTONIC), Now(CLOCK_PROCESS_CPUTIME_ID), Now(CLOCK_THREAD_CPUTIME_ID)};
}

// The CPUs this process may run on.
unsigned UsableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  return static_cast<unsigned>(std::max(1, CPU_COUNT(&set)));
}

void Remove(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ignored);
}

Result<sqlite::Db> OpenIndex(const std::string& path) {
  auto db = sqlite::Db::Open(path, true);
  if (!db) return db.error();
  // The index can always be rebuilt: a commit need not wait for the disk.
  if (auto ec = db->Exec("PRAGMA synchronous=NORMAL")) return ec;
  if (auto ec = sqlite::MigrateSearch(*db)) return ec;
  return db;
}

// One value of the first row of `sql`; 0 for none.
Result<int64_t> Scalar(const sqlite::Db& db, std::string_view sql) {
  auto q = db.Prepare(sql);
  auto row = q.Step();
  if (!row) return row.error();
  return *row && !q.IsNull(0) ? q.Int(0) : 0;
}

}  // namespace

bool Crowded(const CpuSample& then, const CpuSample& now, unsigned cpus) {
  auto wall = now.wall - then.wall;
  auto others = (now.process - then.process) - (now.thread - then.thread);
  return wall.count() > 0 && others * 2 > wall * cpus;
}

Result<std::unique_ptr<SearchIndex>> SearchIndex::Open(const std::string& path,
                                                       const std::string& store_path, bool fresh,
                                                       BlobFile& blobs) {
  if (fresh) Remove(path);
  auto store = sqlite::Db::Open(store_path, false);
  if (!store) return store.error();
  // The highest email id the store ever gave: an index past it belongs to another store.
  auto last = Scalar(*store, "SELECT seq FROM sqlite_sequence WHERE name = 'emails'");
  if (!last) return last.error();
  auto index = OpenIndex(path);
  auto upto = index ? Scalar(*index, "SELECT upto FROM progress") : Result<int64_t>(index.error());
  if (!upto || *upto > *last) {
    spdlog::warn("search index {} is {}: building it anew", path,
                 upto ? "not this store's" : "unreadable");
    { auto closed = std::move(index); }
    Remove(path);
    index = OpenIndex(path);
    if (!index) return index.error();
    upto = 0;
  }
  return std::unique_ptr<SearchIndex>(
      new SearchIndex(std::move(*index), std::move(*store), blobs, *upto));
}

SearchIndex::SearchIndex(sqlite::Db index, sqlite::Db store, BlobFile& blobs, int64_t upto)
    : index_(std::move(index)), store_(std::move(store)), blobs_(blobs), upto_(upto) {
  thread_ = std::thread([this] { Run(); });
}

SearchIndex::~SearchIndex() {
  {
    std::lock_guard lock(wake_mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void SearchIndex::Notify() {
  {
    std::lock_guard lock(wake_mu_);
    pending_ = true;
  }
  wake_.notify_one();
}

ErrorCode SearchIndex::CatchUp() {
  catching_up_.fetch_add(1);
  std::lock_guard lock(work_mu_);
  struct Leave {
    std::atomic<int>& count;
    ~Leave() { count.fetch_sub(1); }
  } leave{catching_up_};
  for (;;) {
    auto done = IndexBatch(false);
    if (!done) return done.error();
    if (*done == 0) return {};
  }
}

int64_t SearchIndex::IndexedUpTo() const { return upto_.load(); }

// Looks at the CPU use since it last looked: over the batch just indexed, the wait before, or
// the idle time since the last burst.
bool SearchIndex::WaitForRoom() {
  static const unsigned cpus = UsableCpus();
  for (;;) {
    CpuSample now = SampleCpu();
    bool crowded = Crowded(last_look_, now, cpus);
    last_look_ = now;
    if (!crowded || Backlog() > kMaxBacklog) return true;
    std::unique_lock lock(wake_mu_);
    if (wake_.wait_for(lock, kCrowdedRetry, [this] { return stop_; })) return false;
  }
}

int64_t SearchIndex::Backlog() {
  std::unique_lock lock(work_mu_, std::try_to_lock);
  if (!lock) return 0;  // a CatchUp is indexing
  auto last = Scalar(store_, "SELECT max(id) FROM emails");
  return last ? *last - upto_.load() : 0;
}

void SearchIndex::Run() {
  pthread_setname_np(pthread_self(), "store-index");
  LowerPriority();
  int64_t indexed = 0, logged = 0;
  for (;;) {
    {
      std::unique_lock lock(wake_mu_);
      wake_.wait(lock, [this] { return pending_ || stop_; });
      if (stop_) break;
      pending_ = false;
    }
    for (;;) {
      if (!WaitForRoom()) return;
      Result<int> done = 0;
      {
        std::lock_guard lock(work_mu_);
        done = IndexBatch(true);
      }
      if (!done) {
        spdlog::error("search index: {}; retrying at the next commit", done.error().message());
        break;
      }
      indexed += *done;
      if (indexed - logged >= kLogEvery) {
        spdlog::info("search index: {} emails indexed", indexed);
        logged = indexed;
      }
      std::lock_guard lock(wake_mu_);
      if (*done == 0 || stop_) break;
    }
  }
}

Result<int> SearchIndex::IndexBatch(bool give_way) {
  struct Row {
    int64_t id;
    std::string summary;
    BlobLocation where;
  };
  std::vector<Row> rows;
  {
    auto q = store_.Prepare(
        "SELECT e.id, e.summary, b.segment, b.offset, b.size FROM emails e "
        "JOIN blobs b ON b.id = e.blob_id WHERE e.id > ? ORDER BY e.id LIMIT ?");
    q.Bind(1, upto_.load()).Bind(2, int64_t{kBatch});
    for (;;) {
      auto row = q.Step();
      if (!row) return row.error();
      if (!*row) break;
      rows.push_back({q.Int(0), std::string(q.Text(1)),
                      BlobLocation{static_cast<uint32_t>(q.Int(2)), static_cast<uint64_t>(q.Int(3)),
                                   static_cast<uint64_t>(q.Int(4))}});
    }
  }  // the statement is finalised: no snapshot of the store outlives the read
  if (rows.empty()) return 0;
  if (auto ec = index_.Exec("BEGIN")) return ec;
  auto insert = index_.Prepare(
      "INSERT INTO email_fts (rowid, subject, addr_from, addr_to, addr_cc, addr_bcc, body, "
      "headers) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  size_t done = 0;
  for (const auto& r : rows) {
    if (give_way && done > 0 && catching_up_.load() > 0) break;
    ++done;
    auto bytes = blobs_.Read(r.where);
    if (!bytes) {
      // Indexed as nothing rather than retried for ever; the email is still found otherwise.
      spdlog::error("search index: cannot read email {}: {}", r.id, bytes.error().message());
      continue;
    }
    boost::system::error_code ec;
    auto json = boost::json::parse(r.summary, ec);
    mime::Summary summary = ec ? mime::Parse(*bytes) : mime::FromJson(json);
    auto t = mime::ExtractSearchText(*bytes, summary);
    insert.Reset();
    insert.Bind(1, r.id).Bind(2, t.subject).Bind(3, t.from).Bind(4, t.to).Bind(5, t.cc);
    insert.Bind(6, t.bcc).Bind(7, t.body).Bind(8, t.headers);
    if (auto e = insert.Run()) {
      index_.Exec("ROLLBACK");
      return e;
    }
  }
  insert = {};
  auto progress = index_.Prepare("UPDATE progress SET upto = ?");
  progress.Bind(1, rows[done - 1].id);
  if (auto e = progress.Run()) {
    index_.Exec("ROLLBACK");
    return e;
  }
  progress = {};
  if (auto e = index_.Exec("COMMIT")) {
    index_.Exec("ROLLBACK");
    return e;
  }
  upto_ = rows[done - 1].id;
  return static_cast<int>(done);
}

}  // namespace pushmail::store
