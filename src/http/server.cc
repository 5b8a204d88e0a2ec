#include "http/server.h"

#include "base/internal_errors.h"
#include "base/log.h"
#include "http/session.h"
#include "jmap/jmap.h"

namespace pushmail::http {

namespace asio = boost::asio;

std::optional<AccountLimiter::Slot> AccountLimiter::Acquire(store::AccountId account) {
  std::lock_guard lock(mu_);
  unsigned& n = counts_[account];
  if (n >= max_) return std::nullopt;
  ++n;
  return Slot(this, account);
}

void AccountLimiter::Release(store::AccountId account) {
  std::lock_guard lock(mu_);
  auto it = counts_.find(account);
  if (it != counts_.end() && --it->second == 0) counts_.erase(it);
}

Server::Server(Context context)
    : context_(std::move(context)),
      limiter_(context_.config.http.max_connections_per_ip),
      auth_failures_(std::chrono::minutes(15)),
      requests_(context_.config.http.max_concurrent_requests),
      uploads_(context_.config.http.max_concurrent_upload),
      api_(context_.store, context_.config),
      push_texts_(context_.workers.size()) {
  api_.SetPushObserver(context_.push);
  std::string key = context_.config.data_dir + "/eventsource.key";
  auto signer = UrlSigner::Load(key);
  if (signer) {
    signer_ = std::move(*signer);
  } else {
    spdlog::error("http: cannot use {} ({}): signed EventSource URLs are off", key,
                  signer.error().message());
  }
}

Server::~Server() = default;

Result<asio::ip::tcp::endpoint> Server::Listen(const asio::ip::tcp::endpoint& endpoint) {
  auto listener =
      net::Listener::Open(endpoint, context_.workers,
                          [this](asio::ip::tcp::socket s, size_t w) { Accept(std::move(s), w); });
  if (!listener) return listener.error();
  (*listener)->Start();
  auto local = (*listener)->local();
  listeners_.push_back(std::move(*listener));
  return local;
}

void Server::Accept(asio::ip::tcp::socket socket, size_t worker) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto session =
      sessions_.Make(*this, std::move(socket), worker, limiter_.Acquire(remote.address()));
  session->Start();
}

void Server::Shutdown() {
  for (auto& l : listeners_) l->Stop();
  sessions_.StopAll();
}

void Server::Abort() { sessions_.AbortAll(); }

std::string Server::RenderMetrics() {
  std::vector<Sample> extra;
  if (context_.extra_metrics) extra = context_.extra_metrics();
  hub::HubStats hub = context_.hub.Stats();
  extra.push_back({"pushmail_hub_events_total", "counter", "StateChanges the hub published", "",
                   static_cast<double>(hub.events)});
  extra.push_back({"pushmail_hub_notifications_total", "counter",
                   "StateChanges queued to subscribers", "",
                   static_cast<double>(hub.notifications)});
  extra.push_back({"pushmail_hub_overflows_total", "counter",
                   "subscribers dropped for a full queue", "", static_cast<double>(hub.overflows)});
  store::StoreStats store = context_.store.Stats();
  extra.push_back({"pushmail_store_commits_total", "counter", "store transactions (fsyncs)", "",
                   static_cast<double>(store.commits)});
  extra.push_back({"pushmail_store_writes_total", "counter", "writes applied in them", "",
                   static_cast<double>(store.writes)});
  extra.push_back({"pushmail_store_search_indexed_upto", "gauge",
                   "email id up to which the full-text index has every email", "",
                   static_cast<double>(store.indexed_upto)});
  extra.push_back({"pushmail_store_read_only", "gauge",
                   "1 once a failed sync or disk error latched the store read-only", "",
                   store.read_only ? 1.0 : 0.0});
  extra.push_back({"pushmail_store_disk_full_total", "counter",
                   "writes refused because the disk was full", "",
                   static_cast<double>(store.disk_full)});
  extra.push_back({"pushmail_jmap_server_errors_total", "counter",
                   "JMAP serverFail answers: internal errors, each logged with its cause", "",
                   static_cast<double>(jmap::ServerErrorCount())});
  extra.push_back({"pushmail_password_hashes_total", "counter",
                   "Argon2id checks run (logins the credential cache did not answer)", "",
                   static_cast<double>(context_.store.PasswordHashesRun())});
  for (size_t i = 0; i < kSurfaceNames.size(); ++i) {
    extra.push_back({"pushmail_internal_errors_total", "counter",
                     i == 0 ? "failures from inside the server, by the protocol that answered" : "",
                     "protocol=\"" + std::string(kSurfaceNames[i]) + "\"",
                     static_cast<double>(InternalErrors(static_cast<Surface>(i)))});
  }
  return metrics_.Render(extra);
}

}  // namespace pushmail::http
