// bench/imap_idle: memory per idle IMAP connection, and SMTP 250 -> "* N EXISTS" latency.
//
// Starts the real pushmaild in a temp dir with A accounts and opens N IMAP connections from
// 127.0.0.1 ... K, connection i logging in to account i mod A, each doing LOGIN, SELECT INBOX and
// IDLE; then times each delivery's "* N EXISTS" on every idle connection of its account (see
// idle_run.h). Reports figures; asserts nothing.
#include <charconv>
#include <string_view>

#include "idle_run.h"

namespace bench = pushmail::bench;

namespace {

enum Step { kGreeting, kLogin, kSelect, kIdleWait };

bool ParseExists(std::string_view line, long& n) {
  constexpr std::string_view kSuffix = " EXISTS";
  if (!line.starts_with("* ") || !line.ends_with(kSuffix) || line.size() <= 2 + kSuffix.size())
    return false;
  std::string_view digits = line.substr(2, line.size() - 2 - kSuffix.size());
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return ec == std::errc() && end == digits.data() + digits.size();
}

class Imap : public bench::Protocol {
 public:
  void Start(bench::Fleet&, size_t) override {}  // the server speaks first

  void OnInput(bench::Fleet& fleet, size_t i) override {
    bench::Conn& c = fleet.conn(i);
    size_t pos = 0;
    for (size_t eol;
         c.phase != bench::Phase::kClosed && (eol = c.in.find("\r\n", pos)) != c.in.npos;) {
      OnLine(fleet, i, std::string_view(c.in).substr(pos, eol - pos));
      pos = eol + 2;
    }
    if (c.phase != bench::Phase::kClosed) c.in.erase(0, pos);
  }

  std::string_view StepName(int step) const override {
    constexpr std::string_view kNames[] = {"greeting", "LOGIN", "SELECT", "IDLE"};
    return kNames[step];
  }

 private:
  void OnLine(bench::Fleet& fleet, size_t i, std::string_view line) {
    bench::Conn& c = fleet.conn(i);
    long n = 0;
    if (line.starts_with("* BYE")) {
      fleet.Fail(i, fleet.Where(i) + ": " + std::string(line.substr(0, 80)));
    } else if (ParseExists(line, n)) {
      fleet.Notified(i, n);
    } else if (c.phase != bench::Phase::kSetup) {
      return;
    } else if (c.step == kGreeting && line.starts_with("* OK")) {
      fleet.Send(i,
                 "a LOGIN " + bench::BenchUser(c.account) + " " + bench::kBenchPassword + "\r\n");
      c.step = kLogin;
    } else if (c.step == kLogin) {
      Expect(fleet, i, line, "a ", "b SELECT INBOX\r\n", kSelect);
    } else if (c.step == kSelect) {
      Expect(fleet, i, line, "b ", "c IDLE\r\n", kIdleWait);
    } else if (c.step == kIdleWait && line.starts_with("+")) {
      fleet.BecomeIdle(i);
    } else if (c.step == kIdleWait && line.starts_with("c ")) {
      fleet.Fail(i, "IDLE: " + std::string(line.substr(0, 80)));
    }
  }

  // Sends `next_command` when `line` is the tagged OK for `tag`; a NO or BAD ends the connection.
  static void Expect(bench::Fleet& fleet, size_t i, std::string_view line, std::string_view tag,
                     const char* next_command, Step next) {
    if (!line.starts_with(tag)) return;
    if (line.substr(tag.size()).starts_with("OK")) {
      fleet.Send(i, next_command);
      fleet.conn(i).step = next;
    } else {
      fleet.Fail(i, fleet.Where(i) + ": " + std::string(line.substr(0, 80)));
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  bench::IdleOptions o;
  CLI::App app{"IMAP IDLE benchmark: memory per idle connection, SMTP 250 -> EXISTS latency"};
  bench::AddIdleOptions(app, o);
  app.add_flag("--tls", o.tls, "connect to the IMAPS port (TLS from the first octet)");
  CLI11_PARSE(app, argc, argv);
  bench::IdleTarget target;
  target.name = "imap_idle";
  target.what = std::string(o.tls ? "IMAPS (TLS)" : "plain IMAP") + ", LOGIN + SELECT INBOX + IDLE";
  target.notification = "* N EXISTS";
  target.listener = o.tls ? "imaps" : "imap";
  target.serve_args = {"--" + target.listener, "127.0.0.1:0"};
  target.per_source = 190;  // the server allows 200 IMAP connections per address
  Imap imap;
  return bench::RunIdle(o, target, imap);
}
