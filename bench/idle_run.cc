#include "idle_run.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench_util.h"

namespace pushmail::bench {

namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kWarmup = 4;  // log in, idle, see a delivery and leave before the baseline
constexpr size_t kPortsPerSource = 20000;  // of the ~28k ephemeral ports of one address

// Raises the open-files limit to the hard one, and the hard one to `need` when that is lower
// and this process may (root); the server, started later, inherits both. Returns what was done
// to the hard limit, or "" when nothing was.
std::string RaiseOpenFiles(rlim_t need, bool& enough) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  std::string note;
  if (limit.rlim_max < need) {
    rlimit raised{need, need};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) {
      note = "hard open-files limit raised from " + std::to_string(limit.rlim_max) + " to " +
             std::to_string(need) + " for this client and the server";
      limit = raised;
    }
  }
  limit.rlim_cur = limit.rlim_max;
  setrlimit(RLIMIT_NOFILE, &limit);
  enough = limit.rlim_cur >= need;
  return note;
}

struct KernelMemory {
  long tcp_pages = 0;  // "mem" of the TCP line of /proc/net/sockstat
  long slab_kib = 0;   // "Slab" of /proc/meminfo
};

KernelMemory ReadKernelMemory() {
  KernelMemory k;
  std::ifstream sockstat("/proc/net/sockstat");
  for (std::string line; std::getline(sockstat, line);) {
    if (!line.starts_with("TCP:")) continue;
    std::istringstream words(line);
    for (std::string word; words >> word;) {
      if (word == "mem") words >> k.tcp_pages;
    }
  }
  std::ifstream meminfo("/proc/meminfo");
  for (std::string key; meminfo >> key;) {
    if (key == "Slab:") meminfo >> k.slab_kib;
    meminfo.ignore(1 << 20, '\n');
  }
  return k;
}

void PumpFor(Fleet& fleet, std::chrono::milliseconds span) {
  auto until = Clock::now() + span;
  while (Clock::now() < until) fleet.Pump(50);
}

// Opens connections [first, first + count), at most o.parallel setting up at once, until each
// is idle or failed or `deadline` passes; the ones still setting up then are closed.
void OpenAll(Fleet& fleet, size_t first, size_t count, size_t sources, const IdleOptions& o,
             Clock::time_point deadline) {
  size_t next = first, end = first + count;
  while (Clock::now() < deadline) {
    while (next < end && fleet.setting_up() < o.parallel) {
      uint32_t source = kLoopback + static_cast<uint32_t>((next - first) % sources);
      if (!fleet.Open(next, source)) {
        next = end;  // out of descriptors: open no more
        break;
      }
      ++next;
    }
    if (next >= end && fleet.setting_up() == 0) break;
    fleet.Pump(50);
  }
  fleet.CloseUnfinished();
}

// Delivers one message to `account` and waits (up to 10 s) for every idle connection of that
// account to hear of it. Returns false when the delivery itself failed.
bool DeliverAndWait(Fleet& fleet, SmtpClient& smtp, size_t account, std::vector<double>* kernel_ms,
                    std::vector<double>* client_ms, std::string& error) {
  int64_t acked = smtp.Deliver(BenchUser(account), fleet.round().number + 1, error);
  if (acked == 0) return false;
  fleet.BeginRound(account, acked, kernel_ms, client_ms);
  auto until = Clock::now() + std::chrono::seconds(10);
  while (fleet.round().notified < fleet.idle(account) && Clock::now() < until) fleet.Pump(100);
  return true;
}

// Sends SIGTERM and waits up to 30 s, then SIGKILL. Returns a line saying how it went.
std::string StopServer(pid_t pid, bool& clean) {
  auto start = Clock::now();
  kill(pid, SIGTERM);
  int status = 0;
  pid_t done = 0;
  while ((done = waitpid(pid, &status, WNOHANG)) == 0 &&
         Clock::now() - start < std::chrono::seconds(30)) {
    usleep(20000);
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  char line[160];
  if (done == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    std::snprintf(line, sizeof line, "no exit %.0f s after SIGTERM: killed", seconds);
    clean = false;
  } else if (WIFEXITED(status)) {
    std::snprintf(line, sizeof line, "exit %d %.1f s after SIGTERM", WEXITSTATUS(status), seconds);
    clean = WEXITSTATUS(status) == 0;
  } else {
    std::snprintf(line, sizeof line, "killed by signal %d %.1f s after SIGTERM", WTERMSIG(status),
                  seconds);
    clean = false;
  }
  return line;
}

// Counts the server's log lines at warning level and above.
size_t CountLogProblems(const std::string& log) {
  std::ifstream f(log);
  size_t n = 0;
  for (std::string time, level; f >> time >> level; f.ignore(1 << 20, '\n')) {
    if (level == "warning" || level == "error" || level == "critical") ++n;
  }
  return n;
}

double MiB(double bytes) { return bytes / (1024.0 * 1024.0); }

struct Memory {
  long rss = 0;
  KernelMemory kernel;
};

Memory ReadMemory(pid_t server) { return {RssBytes(server), ReadKernelMemory()}; }

void PrintMemory(const Memory& before, const Memory& after, size_t n) {
  double rss = static_cast<double>(after.rss - before.rss);
  double tcp = static_cast<double>(after.kernel.tcp_pages - before.kernel.tcp_pages) * 4096;
  double slab = static_cast<double>(after.kernel.slab_kib - before.kernel.slab_kib) * 1024;
  double per = static_cast<double>(std::max<size_t>(n, 1));
  std::printf("server RSS:  %.1f -> %.1f MiB: %+.1f MiB = %.0f B per idle connection\n",
              MiB(static_cast<double>(before.rss)), MiB(static_cast<double>(after.rss)), MiB(rss),
              rss / per);
  std::printf(
      "kernel:      TCP mem %+.1f MiB = %.0f B per connection; slab %+.1f MiB = %.0f B per "
      "connection (client and server ends together)\n",
      MiB(tcp), tcp / per, MiB(slab), slab / per);
}

void PrintLatency(const std::string& notification, std::vector<double>& kernel_ms,
                  std::vector<double>& client_ms, std::vector<double>& fanout_ms,
                  std::vector<double>& spread_ms, int rounds, size_t idle, size_t watchers,
                  size_t missed, size_t early) {
  auto p = [](std::vector<double>& v, double q) { return Percentile(v, q); };
  std::printf(
      "SMTP 250 -> %s, %zu samples: %d deliveries to accounts watched by %zu of the %zu "
      "idle connections each (kernel receive stamps): p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, "
      "max %.3f ms (min %.3f)\n",
      notification.c_str(), kernel_ms.size(), rounds, watchers, idle, p(kernel_ms, 50),
      p(kernel_ms, 99), p(kernel_ms, 99.9), p(kernel_ms, 100), p(kernel_ms, 0));
  std::printf(
      "             as read by this one-threaded client: p50 %.3f ms, p99 %.3f ms, max %.3f ms\n",
      p(client_ms, 50), p(client_ms, 99), p(client_ms, 100));
  if (watchers > 1) {
    // From the 250, and from the first notification: the 250 is written by a worker that also
    // writes notifications, so it may come after many of them.
    double last = p(fanout_ms, 50);
    double spread = p(spread_ms, 50);
    std::printf(
        "fan-out:     last of %zu connections notified, median over deliveries: %.3f ms after "
        "the 250 = %.0f notifications/s; %.3f ms after the first = %.0f notifications/s\n",
        watchers, last, last > 0 ? static_cast<double>(watchers) / last * 1e3 : 0.0, spread,
        spread > 0 ? static_cast<double>(watchers) / spread * 1e3 : 0.0);
  }
  if (missed > 0 || early > 0) {
    std::printf("             %zu notifications missing after 10 s; %zu stamped before the 250\n",
                missed, early);
  }
}

void PrintFailures(const Fleet& fleet) {
  for (const auto& [reason, n] : fleet.failures()) {
    std::printf("failed:      %zu x %s\n", n, reason.c_str());
  }
}

}  // namespace

void AddIdleOptions(CLI::App& app, IdleOptions& o) {
  app.add_option("--server", o.server, "pushmaild binary to start in a temp dir")->required();
  app.add_option("--connections", o.connections, "idle connections");
  app.add_option("--accounts", o.accounts,
                 "accounts the connections log in to, round robin (default: one each)");
  app.add_option("--sources", o.sources, "source addresses 127.0.0.1 ... (default: enough)");
  app.add_option("--deliveries", o.deliveries, "messages delivered one at a time");
  app.add_option("--parallel", o.parallel, "connections setting up at one time");
  app.add_option("--deadline", o.deadline_s,
                 "seconds allowed for opening the connections (default: enough)");
  app.add_option("--settle", o.settle_s, "seconds between the last setup and the memory reading");
  app.add_option("--workers", o.workers, "server workers");
  app.add_option("--hash-cost", o.hash_cost,
                 "accounts' password hash cost: minimum (default), interactive, moderate");
}

int RunIdle(IdleOptions o, const IdleTarget& target, Protocol& protocol) {
  if (o.sources == 0) {
    o.sources = std::max((o.connections + kPortsPerSource - 1) / kPortsPerSource + 1,
                         (o.connections + target.per_source - 1) / target.per_source);
  }
  o.parallel = std::max<size_t>(o.parallel, 1);
  if (o.accounts == 0 || o.accounts > o.connections) o.accounts = o.connections;
  if (o.deadline_s <= 0) o.deadline_s = std::max(300, static_cast<int>(o.connections / 100));
  bool enough = false;
  std::string note = RaiseOpenFiles(o.connections + kWarmup + 1024, enough);
  if (!enough) {
    std::cerr << "the open-files hard limit is below " << o.connections + kWarmup + 1024
              << "; run as root or ask for fewer connections\n";
    return 2;
  }
  std::signal(SIGPIPE, SIG_IGN);

  std::vector<std::string> args = {"--domain",    "example.test", "--smtp",
                                   "127.0.0.1:0", "--log-level",  "info"};
  args.insert(args.end(), target.serve_args.begin(), target.serve_args.end());
  if (o.workers > 0) args.insert(args.end(), {"--workers", std::to_string(o.workers)});
  const std::string& listener = target.listener;
  std::vector<std::string> users;
  for (size_t a = 0; a < o.accounts; ++a) users.push_back(BenchUser(a));
  auto setup_start = Clock::now();
  auto sp = StartServer(o.server, users, kBenchPassword, args, {"smtp", listener}, o.hash_cost);
  double accounts_s = std::chrono::duration<double>(Clock::now() - setup_start).count();
  if (sp.ports.count("smtp") == 0 || sp.ports.count(listener) == 0) {
    std::cerr << "pushmaild did not start; see " << sp.log << "\n";
    kill(sp.pid, SIGKILL);
    return 1;
  }
  SSL_CTX* tls = o.tls ? MakeClientContext() : nullptr;
  int status = 1;
  {
    Fleet fleet(protocol, static_cast<uint16_t>(sp.ports[listener]), tls, kWarmup + o.connections,
                o.accounts);
    SmtpClient smtp;
    std::string error;
    if (!smtp.Open(static_cast<uint16_t>(sp.ports["smtp"]), error)) {
      std::cerr << error << "\n";
    }

    // Warm-up: the first logins, selects and delivery touch caches and pools once, so that the
    // baseline below already holds them.
    OpenAll(fleet, 0, kWarmup, 1, o, Clock::now() + std::chrono::seconds(60));
    bool warm = error.empty() && fleet.idle() == kWarmup &&
                DeliverAndWait(fleet, smtp, 0, nullptr, nullptr, error);
    for (size_t i = 0; i < kWarmup; ++i) fleet.Close(i);
    PumpFor(fleet, std::chrono::seconds(1));
    if (!warm) {
      std::printf("warm-up failed: %s\n", error.c_str());
      PrintFailures(fleet);
    }

    if (!note.empty()) std::printf("note:        %s\n", note.c_str());
    Memory before = ReadMemory(sp.pid);
    double cpu_setup = CpuSeconds(sp.pid);
    auto start = Clock::now();
    if (warm) {
      OpenAll(fleet, kWarmup, o.connections, o.sources, o,
              start + std::chrono::seconds(o.deadline_s));
    }
    double setup_s = std::chrono::duration<double>(Clock::now() - start).count();
    cpu_setup = CpuSeconds(sp.pid) - cpu_setup;
    PumpFor(fleet, std::chrono::seconds(o.settle_s));
    Memory after = ReadMemory(sp.pid);
    size_t idle = fleet.idle();
    std::printf("%-12s %s from 127.0.0.1-%zu to %zu accounts (made in %.1f s), %d deliveries\n",
                (target.name + ":").c_str(), target.what.c_str(), o.sources, o.accounts, accounts_s,
                o.deliveries);
    std::printf(
        "connections: %zu idle (%zu asked) over %zu sources in %.1f s (server CPU %.1f s)\n", idle,
        o.connections, o.sources, setup_s, cpu_setup);
    PrintFailures(fleet);
    PrintMemory(before, after, idle);

    std::vector<double> kernel_ms, client_ms, fanout_ms, spread_ms;
    size_t watchers = (idle + o.accounts - 1) / o.accounts;
    kernel_ms.reserve(static_cast<size_t>(o.deliveries) * watchers);
    client_ms.reserve(static_cast<size_t>(o.deliveries) * watchers);
    size_t missed = 0;
    int rounds = 0;
    double cpu = CpuSeconds(sp.pid);
    for (; warm && idle > 0 && rounds < o.deliveries; ++rounds) {
      size_t account = static_cast<size_t>(rounds) % o.accounts;
      size_t watching = fleet.idle(account);
      if (!DeliverAndWait(fleet, smtp, account, &kernel_ms, &client_ms, error)) {
        std::printf("delivery %d failed: %s\n", rounds + 1, error.c_str());
        break;
      }
      const Round& r = fleet.round();
      missed += watching > r.notified ? watching - r.notified : 0;
      if (r.notified > 0) {
        fanout_ms.push_back(static_cast<double>(r.last_ns - r.acked_ns) / 1e6);
        spread_ms.push_back(static_cast<double>(r.last_ns - r.first_ns) / 1e6);
      }
    }
    cpu = CpuSeconds(sp.pid) - cpu;
    if (rounds > 0) {
      PrintLatency(target.notification, kernel_ms, client_ms, fanout_ms, spread_ms, rounds, idle,
                   watchers, missed, fleet.early());
      Memory end = ReadMemory(sp.pid);
      std::printf(
          "server CPU:  %.2f ms per delivery = %.2f us per notification; RSS after deliveries "
          "%+.1f MiB\n",
          cpu * 1e3 / rounds,
          cpu * 1e6 / static_cast<double>(std::max<size_t>(kernel_ms.size(), 1)),
          MiB(static_cast<double>(end.rss - after.rss)));
    }
    if (fleet.unstamped() > 0) {
      std::printf("note:        %zu reads had no kernel timestamp (timed by the client clock)\n",
                  fleet.unstamped());
    }
    if (fleet.idle() < idle) {
      std::printf("lost:        %zu idle connections closed during the deliveries\n",
                  idle - fleet.idle());
      PrintFailures(fleet);
    }
    bool clean = false;
    std::printf("shutdown:    %s with %zu connections open\n", StopServer(sp.pid, clean).c_str(),
                fleet.idle());
    bool complete = warm && idle == o.connections && missed == 0 && rounds == o.deliveries;
    size_t problems = CountLogProblems(sp.log);
    if (clean && complete && problems == 0) {
      std::filesystem::remove_all(sp.dir);
      status = 0;
    } else {
      std::printf("server log:  %zu warning/error lines; kept in %s\n", problems, sp.log.c_str());
      status = clean && complete ? 0 : 1;
    }
  }
  SSL_CTX_free(tls);
  return status;
}

}  // namespace pushmail::bench
