// pushmaild serve: wires store, hub, workers and listeners together, and takes them down in
// order on SIGTERM or SIGINT.
#include <fmt/ranges.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "base/clock.h"
#include "base/log.h"
#include "bridge/bridge.h"
#include "exe/pushmaild/commands.h"
#include "http/http.h"
#include "hub/hub.h"
#include "imap/server/server.h"
#include "net/net.h"
#include "smtp/smtp.h"
#include "store/store.h"
#include "webpush/webpush.h"

namespace pushmail::exe {
namespace {

namespace asio = boost::asio;

constexpr auto kDrainDeadline = std::chrono::seconds(10);
constexpr auto kForceDeadline = std::chrono::seconds(5);

// Idle connections are the product: allow as many as the hard limit does.
void RaiseOpenFilesLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
      spdlog::warn("cannot raise the open-files limit: {}", std::strerror(errno));
    }
  }
  getrlimit(RLIMIT_NOFILE, &limit);
  spdlog::info("open-files limit {}", static_cast<uint64_t>(limit.rlim_cur));
}

void ApplyDefaults(ServeFlags& flags) {
  Config& c = flags.config;
  if (c.domains.empty()) {
    c.domains.emplace_back("localhost");
    spdlog::warn("no --domain given: accepting mail for 'localhost' only");
  }
  if (c.hostname.empty()) c.hostname = c.domains.front();
  if (!flags.any_listener) {
    c.smtp_addr = "[::]:2525";
    c.submission_addr = "[::]:2587";
    c.imap_addr = "[::]:1143";
    c.imaps_addr = "[::]:1993";
    c.http_addr = "[::]:8443";
  }
}

std::shared_ptr<asio::ssl::context> LoadTls(const Config& c) {
  net::CertificateFiles files{c.tls_cert, c.tls_key};
  if (files.cert.empty() != files.key.empty()) {
    spdlog::critical("--tls-cert and --tls-key go together");
    return nullptr;
  }
  if (files.cert.empty()) {
    auto made = net::EnsureSelfSigned(c.data_dir + "/tls", c.domains);
    if (!made) {
      spdlog::critical("cannot make a certificate in {}/tls: {}", c.data_dir,
                       made.error().message());
      return nullptr;
    }
    files = *made;
  }
  std::string error;
  auto ctx = net::MakeServerContext(files, &error, {c.tls_ciphers, c.tls_ciphersuites});
  if (!ctx) {
    spdlog::critical("TLS: {}", error);
    return nullptr;
  }
  return *ctx;
}

// Opens one listener with `bind` and prints its line for scripts and tests.
template <class Bind>
bool Listen(Bind bind, const char* name, const std::string& addr) {
  if (addr.empty()) return true;
  auto endpoint = net::ParseEndpoint(addr);
  if (!endpoint) {
    spdlog::critical("--{}: '{}' is not HOST:PORT", name, addr);
    return false;
  }
  auto bound = bind(*endpoint);
  if (!bound && endpoint->address().is_v6() && endpoint->address().is_unspecified()) {
    // A host without IPv6: "all addresses" means all IPv4 ones.
    bound = bind({asio::ip::address_v4::any(), endpoint->port()});
  }
  if (!bound) return false;
  std::printf("listening %s %s\n", name, net::FormatEndpoint(*bound).c_str());
  std::fflush(stdout);
  return true;
}

// Asio catches the signals from its construction on, whichever thread they hit, so a SIGTERM
// that comes during start-up is not lost: it ends WaitForSignal at once.
class Signals {
 public:
  Signals() : set_(ctx_, SIGTERM, SIGINT) {}
  void Wait() {
    set_.async_wait([](const boost::system::error_code&, int signal) {
      spdlog::info("signal {}: shutting down", signal);
    });
    ctx_.run();
  }

 private:
  asio::io_context ctx_;
  asio::signal_set set_;
};

// What the shutdown gate needs of a protocol server.
struct Drainable {
  std::function<void()> shutdown, abort;
  std::function<size_t()> active;
};

template <class S>
Drainable DrainableOf(S& server) {
  return {[&server] { server.Shutdown(); }, [&server] { server.Abort(); },
          [&server] { return server.ActiveSessions(); }};
}

// Waits until no session is left or `deadline` passes; returns how many are left.
size_t WaitForSessions(const std::vector<Drainable>& servers, SteadyClock::time_point deadline) {
  for (;;) {
    size_t n = 0;
    for (const auto& s : servers) n += s.active();
    if (n == 0 || SteadyClock::now() >= deadline) return n;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// The shutdown gate: stop accepting, let sessions finish within a deadline, then close the
// rest. True when every session is gone, so none outlives its server.
bool Drain(const std::vector<Drainable>& servers) {
  for (const auto& s : servers) s.shutdown();
  size_t left = WaitForSessions(servers, SteadyClock::now() + kDrainDeadline);
  if (left == 0) return true;
  spdlog::warn("closing {} sessions still open after {} s", left, kDrainDeadline.count());
  for (const auto& s : servers) s.abort();
  return WaitForSessions(servers, SteadyClock::now() + kForceDeadline) == 0;
}

}  // namespace

int Serve(ServeFlags flags) {
  Signals signals;
  std::signal(SIGPIPE, SIG_IGN);

  ApplyDefaults(flags);
  const Config& config = flags.config;
  std::error_code fs_error;
  std::filesystem::create_directories(config.data_dir, fs_error);
  if (fs_error) {
    spdlog::critical("cannot create {}: {}", config.data_dir, fs_error.message());
    return 1;
  }
  RaiseOpenFilesLimit();
  store::StoreOptions store_options;
  store_options.path = StorePath(config.data_dir);
  store_options.max_batch = config.store.max_batch;
  store_options.credential_cache = config.auth.credential_cache;
  store_options.max_hashing = config.auth.max_hashing;
  auto store = store::Store::Open(store_options);
  if (!store) {
    spdlog::critical("cannot open the store in {}: {}", config.data_dir, store.error().message());
    return 1;
  }
  auto tls = LoadTls(config);
  if (!tls) return 1;
  auto vapid = webpush::Vapid::LoadOrCreate(config.data_dir + "/vapid.pem",
                                            "mailto:postmaster@" + config.hostname);
  if (!vapid) {
    spdlog::critical("cannot use the VAPID key {}/vapid.pem: {}", config.data_dir,
                     vapid.error().message());
    return 1;
  }

  net::Workers workers(config.workers);
  hub::Hub hub(workers.Executors(), config.hub.subscriber_queue);
  (*store)->SetCommitListener([&hub](const auto& changes) { hub.Publish(changes); });
  asio::thread_pool blocking(config.blocking_threads);
  asio::thread_pool upstream(config.bridge.write_threads);  // Store::WritesGoUpstream
  smtp::Context context{config, **store, workers, blocking, tls};
  smtp::Server inbound(smtp::Mode::kInbound, context);
  smtp::Server submission(smtp::Mode::kSubmission, context);
  imap::Server imap_server({config, **store, hub, workers, blocking, upstream, tls});
  // Web Push runs on the first worker, a hub subscriber like any push stream.
  webpush::Sender web_push(config, **store, hub, 0, workers.Executors().at(0), blocking, *vapid);
  auto other_connections = [&imap_server, &inbound, &submission, &web_push] {
    webpush::SenderStats pushes = web_push.Stats();
    return std::vector<http::Sample>{
        {"pushmail_connections", "gauge", "", "kind=\"imap\"",
         static_cast<double>(imap_server.ActiveSessions())},
        {"pushmail_connections", "gauge", "", "kind=\"smtp\"",
         static_cast<double>(inbound.ActiveSessions() + submission.ActiveSessions())},
        {"pushmail_webpush_total", "counter", "Web Push requests by outcome", "result=\"sent\"",
         static_cast<double>(pushes.sent)},
        {"pushmail_webpush_total", "counter", "", "result=\"failed\"",
         static_cast<double>(pushes.failed)},
        {"pushmail_webpush_total", "counter", "", "result=\"retried\"",
         static_cast<double>(pushes.retries)},
        {"pushmail_webpush_total", "counter", "", "result=\"gone\"",
         static_cast<double>(pushes.gone)}};
  };
  http::Server http_server({config, **store, hub, workers, blocking, upstream, tls,
                            other_connections, &web_push, vapid->public_key()});
  workers.Start();
  web_push.Start();
  auto smtp_bind = [](smtp::Server& s) {
    return [&s](const asio::ip::tcp::endpoint& e) { return s.Listen(e); };
  };
  auto imap_bind = [&imap_server](bool implicit_tls) {
    return [&imap_server, implicit_tls](const asio::ip::tcp::endpoint& e) {
      return imap_server.Listen(e, implicit_tls);
    };
  };
  if (!Listen(smtp_bind(inbound), "smtp", config.smtp_addr) ||
      !Listen(smtp_bind(submission), "submission", config.submission_addr) ||
      !Listen(imap_bind(false), "imap", config.imap_addr) ||
      !Listen(imap_bind(true), "imaps", config.imaps_addr) ||
      !Listen([&http_server](const asio::ip::tcp::endpoint& e) { return http_server.Listen(e); },
              "http", config.http_addr)) {
    web_push.Stop();
    workers.Stop();
    return 1;
  }
  spdlog::info("pushmaild ready: {} workers, domains {}", workers.size(),
               fmt::join(config.domains, ", "));
  bridge::Bridges bridges({config, **store, workers, blocking});
  bridges.Start();
  (*store)->SetUpstreamWrites(&bridges);

  signals.Wait();
  bridges.Stop();
  bool drained =
      Drain({{[] {}, [&bridges] { bridges.Abort(); }, [&bridges] { return bridges.Active(); }},
             DrainableOf(inbound),
             DrainableOf(submission),
             DrainableOf(imap_server),
             DrainableOf(http_server)});
  web_push.Stop();
  workers.Stop();
  workers.Join();
  upstream.join();
  blocking.join();
  (*store)->SetUpstreamWrites(nullptr);
  store::StoreStats stats = (*store)->Stats();
  store->reset();  // applies anything still queued, then closes
  double mean =
      stats.commits ? static_cast<double>(stats.writes) / static_cast<double>(stats.commits) : 0;
  spdlog::info(
      "store stats: commits={} writes={} mean_batch={:.2f} apply_ms={} blob_sync_ms={} "
      "commit_ms={}",
      stats.commits, stats.writes, mean, stats.apply_us / 1000, stats.sync_us / 1000,
      stats.commit_us / 1000);
  if (!drained) {
    // A session that would not end still refers to its server: leave without destroying
    // anything. Every acknowledged message is already on disk.
    spdlog::error("sessions did not end; exiting without cleanup");
    std::fflush(nullptr);
    std::_Exit(1);
  }
  return 0;
}

}  // namespace pushmail::exe
