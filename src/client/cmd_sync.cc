// `pushmail sync`: copies the mailboxes, every email's metadata and the raw messages not yet
// cached into the offline cache, with a progress bar on a terminal.
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>

#include "client/cache.h"
#include "client/commands.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "client/mail.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

constexpr int kPage = 256;     // ids per Email/query call
constexpr size_t kBatch = 64;  // emails per Email/get call
constexpr size_t kShowBarFrom = 20;

class Progress {
 public:
  Progress(size_t total, bool quiet)
      : total_(total), on_(!quiet && total >= kShowBarFrom && ::isatty(STDERR_FILENO)) {}
  void Step(size_t done) {
    if (!on_) return;
    constexpr size_t kWidth = 30;
    size_t filled = total_ ? done * kWidth / total_ : kWidth;
    std::string bar(filled, '#');
    bar.append(kWidth - filled, '-');
    std::fprintf(stderr, "\rsync: [%s] %zu/%zu messages", bar.c_str(), done, total_);
    if (done == total_) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  size_t total_;
  bool on_;
};

std::vector<std::string> AllIds(JmapClient& client) {
  std::vector<std::string> ids;
  for (;;) {
    json::object args{
        {"sort", json::array{json::object{{"property", "receivedAt"}, {"isAscending", false}}}},
        {"position", ids.size()},
        {"limit", kPage},
        {"calculateTotal", true}};
    json::object page = client.CallOne("Email/query", std::move(args));
    const auto* got = page.if_contains("ids");
    if (!got || !got->is_array() || got->as_array().empty()) break;
    for (const auto& id : got->as_array()) {
      if (id.is_string()) ids.emplace_back(id.get_string());
    }
    const auto* total = page.if_contains("total");
    if (total && total->is_int64() && static_cast<int64_t>(ids.size()) >= total->get_int64()) break;
  }
  return ids;
}

std::string Now() {
  time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
  return out;
}

}  // namespace

int RunSync(bool quiet) {
  Login login = RequireLogin();
  JmapClient client(login);
  auto cache = Cache::Open(Cache::DefaultPath(), CacheOwner(login), true);
  std::vector<MailboxInfo> boxes = FetchMailboxes(client);
  std::vector<std::string> ids = AllIds(client);
  cache->Begin();
  cache->SaveMailboxes(boxes);
  std::set<std::string> gone = cache->EmailIds();
  std::vector<std::pair<std::string, std::string>> to_fetch;  // id, blobId
  for (size_t i = 0; i < ids.size(); i += kBatch) {
    json::array batch;
    for (size_t j = i; j < ids.size() && j < i + kBatch; ++j) batch.emplace_back(ids[j]);
    json::object got = client.CallOne(
        "Email/get",
        json::object{{"ids", std::move(batch)}, {"properties", FactsProperties(false)}});
    const auto* list = got.if_contains("list");
    for (const auto& e : list && list->is_array() ? list->as_array() : json::array()) {
      if (!e.is_object()) continue;
      std::string id = Str(e.as_object(), "id");
      gone.erase(id);
      cache->SaveEmail(e.as_object());
      if (!cache->HasRaw(id)) to_fetch.emplace_back(id, Str(e.as_object(), "blobId"));
    }
  }
  for (const auto& id : gone) cache->RemoveEmail(id);
  cache->Commit();
  Progress progress(to_fetch.size(), quiet);
  for (size_t i = 0; i < to_fetch.size(); ++i) {
    std::string raw = client.Download(to_fetch[i].second, "message/rfc822");
    cache->SaveRaw(to_fetch[i].first, raw);  // each its own commit: an interrupted sync keeps it
    progress.Step(i + 1);
  }
  cache->SetMeta("synced_at", Now());
  if (!quiet) {
    std::printf("synced %zu mailboxes and %zu messages (%zu downloaded, %zu removed) into %s\n",
                boxes.size(), ids.size(), to_fetch.size(), gone.size(),
                Cache::DefaultPath().c_str());
  }
  return 0;
}

}  // namespace pushmail::client
