// bench/smtp_intake: durable SMTP intake throughput and DATA-end -> 250 latency.
//
// Starts the real pushmaild (or uses a running one with --port), opens N sessions that each
// send messages back to back (MAIL, RCPT and DATA pipelined), and reports messages/s, the
// latency from the end-of-data dot to the 250, and the store's mean group-commit batch (read
// from the server's "store stats" line when it shuts down). Reports figures; asserts nothing.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <boost/asio.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
namespace bench = pushmail::bench;

namespace {

struct Options {
  std::string server;  // path of pushmaild to start; empty with --port
  int port = 0;
  int sessions = 32;
  int messages = 20000;
  int size = 10240;
  int workers = 0;
  std::string rcpt = "bench@example.test";
  bool realistic = false;
};

struct Stats {
  std::vector<double> latencies_ms;
  int errors = 0;
};

// The Message-ID's digits in a --realistic message, stamped per message.
constexpr std::string_view kIdDigits = "0000000000000000";

// A message of about `size` octets ending in the end-of-data dot. Plain: three header fields
// and one text part. Realistic: what a mail client sends (Date, a Message-ID, MIME-Version,
// multipart/alternative with a quoted-printable text part and an HTML part).
std::string MakeMessage(int size, bool realistic) {
  if (!realistic) {
    std::string m = "From: load@remote.example\r\nTo: bench@example.test\r\nSubject: load\r\n\r\n";
    std::string line(76, 'x');
    while (static_cast<int>(m.size()) < size - 5) m += line + "\r\n";
    m += ".\r\n";
    return m;
  }
  std::string m =
      "From: Load Generator <load@remote.example>\r\nTo: Bench <bench@example.test>\r\n"
      "Subject: Quarterly figures, second draft\r\nDate: Mon, 23 Nov 2026 12:00:00 +0000\r\n"
      "Message-ID: <" +
      std::string(kIdDigits) +
      ".bench@remote.example>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: multipart/alternative; boundary=\"=_alt\"\r\n\r\n"
      "--=_alt\r\nContent-Type: text/plain; charset=utf-8\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
  const std::string words = "The quick brown fox jumps over the lazy dog, twice a day. ";
  const std::string line = words.substr(0, 72);
  int text_end = static_cast<int>(m.size()) + (size - static_cast<int>(m.size())) / 2;
  while (static_cast<int>(m.size()) < text_end) m += line + "=\r\n";
  m += "\r\n--=_alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body>\r\n";
  while (static_cast<int>(m.size()) < size - 40) m += "<p>" + line + "</p>\r\n";
  m += "</body></html>\r\n--=_alt--\r\n.\r\n";
  return m;
}

// Writes `n` as the decimal digits of a --realistic message's Message-ID.
void StampId(std::string& message, size_t at, uint64_t n) {
  for (size_t i = kIdDigits.size(); i-- > 0; n /= 10)
    message[at + i] = static_cast<char>('0' + n % 10);
}

asio::awaitable<std::string> ReadReply(tcp::socket& s, std::string& buf) {
  for (;;) {
    size_t pos = 0;
    while (true) {
      size_t eol = buf.find("\r\n", pos);
      if (eol == std::string::npos) break;
      if (eol - pos >= 4 && buf[pos + 3] == ' ') {
        std::string reply = buf.substr(0, eol);
        buf.erase(0, eol + 2);
        co_return reply;
      }
      pos = eol + 2;
    }
    char tmp[4096];
    size_t n = co_await s.async_read_some(asio::buffer(tmp), asio::use_awaitable);
    buf.append(tmp, n);
  }
}

// The last line of a multi-line reply, stripped to its code.
int Code(const std::string& reply) {
  size_t last = reply.rfind("\r\n");
  std::string line = last == std::string::npos ? reply : reply.substr(last + 2);
  return std::atoi(line.c_str());
}

asio::awaitable<void> Session(tcp::endpoint ep, int index, const Options& o,
                              const std::string& body, std::atomic<int>& budget, Stats& stats) {
  tcp::socket s(co_await asio::this_coro::executor);
  // Sessions come from 127.0.0.1 ... 127.0.0.16, so the server's per-address connection
  // limit (100 by default) is not what a large run measures.
  s.open(tcp::v4());
  auto source = asio::ip::address_v4((127u << 24) | static_cast<uint32_t>(1 + index % 16));
  s.bind(tcp::endpoint(source, 0));
  co_await s.async_connect(ep, asio::use_awaitable);
  s.set_option(tcp::no_delay(true));
  std::string buf;
  co_await ReadReply(s, buf);
  co_await asio::async_write(s, asio::buffer(std::string("EHLO bench\r\n")), asio::use_awaitable);
  co_await ReadReply(s, buf);
  std::string envelope = "MAIL FROM:<load@remote.example>\r\nRCPT TO:<" + o.rcpt + ">\r\nDATA\r\n";
  std::string message = body;  // its own copy: a --realistic one gets a Message-ID per message
  size_t id_at = message.find(kIdDigits);
  // Unique across runs against one server: the start time's seconds, then the message's number.
  const auto run = static_cast<uint64_t>(std::time(nullptr)) * 1000000;
  for (int left = budget.fetch_sub(1); left > 0; left = budget.fetch_sub(1)) {
    co_await asio::async_write(s, asio::buffer(envelope), asio::use_awaitable);
    int c1 = Code(co_await ReadReply(s, buf));
    int c2 = Code(co_await ReadReply(s, buf));
    int c3 = Code(co_await ReadReply(s, buf));
    if (c1 != 250 || c2 != 250 || c3 != 354) {
      ++stats.errors;
      co_return;
    }
    if (o.realistic) StampId(message, id_at, run + static_cast<uint64_t>(left) % 1000000);
    co_await asio::async_write(s, asio::buffer(message), asio::use_awaitable);
    auto start = Clock::now();
    int code = Code(co_await ReadReply(s, buf));
    auto ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    if (code == 250) {
      stats.latencies_ms.push_back(ms);
    } else {
      ++stats.errors;
    }
  }
  co_await asio::async_write(s, asio::buffer(std::string("QUIT\r\n")), asio::use_awaitable);
}

std::string StopServer(const bench::ServerProcess& sp) {
  kill(sp.pid, SIGTERM);
  int status = 0;
  waitpid(sp.pid, &status, 0);
  std::ifstream f(sp.log);
  std::string line, stats;
  while (std::getline(f, line)) {
    if (line.find("store stats:") != std::string::npos)
      stats = line.substr(line.find("store stats:"));
  }
  if (stats.empty()) {
    std::fprintf(stderr, "no store stats line; server log kept in %s\n", sp.log.c_str());
  } else {
    std::filesystem::remove_all(sp.dir);
  }
  return stats;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"SMTP intake benchmark"};
  app.add_option("--server", o.server, "pushmaild binary to start in a temp dir");
  app.add_option("--port", o.port, "use a running server on 127.0.0.1:PORT instead");
  app.add_option("--sessions", o.sessions, "parallel SMTP sessions");
  app.add_option("--messages", o.messages, "messages in all (bounds the run)");
  app.add_option("--size", o.size, "message size in octets");
  app.add_option("--workers", o.workers, "server workers (with --server)");
  app.add_option("--rcpt", o.rcpt, "recipient (must exist with --port)");
  app.add_flag("--realistic", o.realistic,
               "a Message-ID per message, Date, and a multipart/alternative text + HTML body");
  CLI11_PARSE(app, argc, argv);
  if (o.server.empty() == (o.port == 0)) {
    std::cerr << "give exactly one of --server or --port\n";
    return 2;
  }
  bench::ServerProcess sp;
  if (!o.server.empty()) {
    std::vector<std::string> args = {"--domain",    "example.test", "--smtp",
                                     "127.0.0.1:0", "--log-level",  "info"};
    if (o.workers > 0) {
      args.emplace_back("--workers");
      args.push_back(std::to_string(o.workers));
    }
    sp = bench::StartServer(o.server, {o.rcpt}, "bench-pw", args, {"smtp"});
    if (sp.ports.count("smtp") == 0) {
      std::cerr << "pushmaild did not start; see " << sp.log << "\n";
      return 1;
    }
    o.port = sp.ports["smtp"];
  }
  std::string body = MakeMessage(o.size, o.realistic);
  asio::io_context io(1);
  std::atomic<int> budget{o.messages};
  std::vector<Stats> stats(static_cast<size_t>(o.sessions));
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), static_cast<uint16_t>(o.port));
  for (size_t i = 0; i < stats.size(); ++i) {
    Stats& st = stats[i];
    asio::co_spawn(io, Session(ep, static_cast<int>(i), o, body, budget, st),
                   [&st](const std::exception_ptr& e) {
                     if (e) ++st.errors;
                   });
  }
  double cpu_before = o.server.empty() ? 0 : bench::CpuSeconds(sp.pid);
  double own_before = bench::CpuSeconds(getpid());
  auto start = Clock::now();
  io.run();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::vector<double> all;
  int errors = 0;
  for (auto& st : stats) {
    all.insert(all.end(), st.latencies_ms.begin(), st.latencies_ms.end());
    errors += st.errors;
  }
  std::printf("smtp_intake: %d sessions, %d-octet %s messages, 1 recipient, fsync before 250\n",
              o.sessions, o.size, o.realistic ? "realistic" : "plain");
  std::printf("delivered:   %zu messages in %.2f s, %d errors\n", all.size(), seconds, errors);
  auto delivered = static_cast<double>(all.size());
  std::printf("throughput:  %.0f messages/s (%.1f MB/s)\n", delivered / seconds,
              delivered * o.size / seconds / 1e6);
  double p50 = bench::Percentile(all, 50), p99 = bench::Percentile(all, 99),
         p999 = bench::Percentile(all, 99.9);
  std::printf("DATA-end -> 250: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms\n", p50, p99, p999);
  double own = bench::CpuSeconds(getpid()) - own_before;
  std::printf("load generator CPU: %.1f us per message (%.0f%% of one core)\n",
              own * 1e6 / static_cast<double>(all.size()), own / seconds * 100);
  if (!o.server.empty()) {
    double cpu = bench::CpuSeconds(sp.pid) - cpu_before;
    std::printf("server CPU:  %.1f us per message (%.0f%% of one core)\n",
                cpu * 1e6 / static_cast<double>(all.size()), cpu / seconds * 100);
    std::string line = StopServer(sp);
    std::smatch m;
    if (std::regex_search(line, m,
                          std::regex("commits=(\\d+) writes=(\\d+) mean_batch=([0-9.]+)"))) {
      std::printf("group commit: %s commits for %s writes, mean batch %s messages per fsync\n",
                  m[1].str().c_str(), m[2].str().c_str(), m[3].str().c_str());
      if (size_t at = line.find("apply_ms"); at != std::string::npos) {
        std::printf("writer time: %s\n", line.substr(at).c_str());
      }
    } else {
      std::printf("group commit: cannot read the stats line: %s\n", line.c_str());
    }
  }
  return errors == 0 ? 0 : 1;
}
