// `pushmail watch`: holds a push connection (RFC 8887 WebSocket, EventSource as fallback) and
// prints each new message the moment the server pushes its state change.
//
// Exactly once: the watcher keeps the last Email state it has shown everything up to, and each
// push (or reconnect) asks Email/changes since that state; the state moves on only after the
// created emails are shown. Pushes carry a per-account pushSeq: a gap means a push was missed, and
// any gap, any reconnect and any Email change leads to the same Email/changes, so nothing that
// committed while the connection was down is missed, and nothing is shown twice.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>
#include <deque>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "client/commands.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "client/mail.h"
#include "client/rules.h"

extern char** environ;

namespace pushmail::client {

namespace json = boost::json;

namespace {

constexpr std::chrono::seconds kPushIdle{75};  // the server pings after 30 s of silence
constexpr size_t kRememberShown = 10000;
constexpr int kMaxChangesPerCall = 256;

void Status(const std::string& line) { std::fprintf(stderr, "pushmail: %s\n", line.c_str()); }

// The --rules file, else rules.toml in the config folder when there is one.
std::optional<RuleSet> LoadRules(const std::string& given) {
  std::string path = given.empty() ? ConfigDir() + "/rules.toml" : given;
  if (given.empty() && access(path.c_str(), F_OK) != 0) return std::nullopt;
  return LoadRulesFile(path);
}

class Watcher {
 public:
  Watcher(const WatchFlags& flags, const Login& login)
      : flags_(flags), client_(login), push_(login.server), rules_(LoadRules(flags.rules_file)) {
    push_.SetBearer(login.token);
  }

  int Run();

 private:
  // A 401 ends watch (log in again); a 5xx is retried like a lost connection.
  void RefusedPush(unsigned status, const std::string& what);
  void Connected(const std::string& how);
  void HoldWebSocket();
  void HoldEventSource();
  void OnStateChange(const json::object& change);
  void Resync();
  void Show(const EmailFacts& facts);
  void Act(const EmailFacts& facts, const RuleActions& actions);
  void Exec(const EmailFacts& facts, bool notify);
  std::string AccountValue(const json::object& change, std::string_view key, std::string_view sub);

  WatchFlags flags_;
  JmapClient client_;
  Connection push_;  // the push connection; requests go on client_'s own
  std::optional<RuleSet> rules_;
  std::vector<MailboxInfo> mailboxes_;
  std::string email_state_;  // everything created up to this state has been shown
  std::string push_state_;   // the last pushState the WebSocket gave
  int64_t push_seq_ = -1;    // the last pushSeq seen
  std::set<std::string> shown_;
  std::deque<std::string> shown_order_;
  bool tty_ = ::isatty(STDOUT_FILENO) != 0;
  std::optional<std::chrono::steady_clock::time_point> connected_at_;  // of the open push
};

int Watcher::Run() {
  std::mt19937 random(std::random_device{}());
  double backoff = 1;
  for (;;) {
    try {
      if (email_state_.empty()) {  // where "new" starts: the state when watch began
        json::object args{{"ids", json::array()}};
        email_state_ = Str(client_.CallOne("Email/get", std::move(args)), "state");
      }
      bool websocket = !flags_.event_source && !client_.session().websocket_path.empty();
      if (websocket) {
        HoldWebSocket();
      } else {
        HoldEventSource();
      }
    } catch (const Failure& f) {
      if (f.kind() != FailureKind::kUnreachable) throw;
      push_.Close();
      client_.connection().Close();
      // A connection that lived a while was a success: start the backoff again.
      auto now = std::chrono::steady_clock::now();
      if (connected_at_ && now - *connected_at_ > std::chrono::seconds(60)) backoff = 1;
      connected_at_.reset();
      std::uniform_real_distribution<double> jitter(0.5, 1.0);
      double wait = backoff * jitter(random);
      Status(std::string(f.what()) + "; trying again in " + std::to_string(wait).substr(0, 4) +
             " s");
      std::this_thread::sleep_for(std::chrono::duration<double>(wait));
      backoff = std::min<double>(backoff * 2, std::max(1, flags_.max_backoff_s));
    }
  }
}

void Watcher::RefusedPush(unsigned status, const std::string& what) {
  if (status == 401) client_.TokenRefused();
  if (status >= 500) {  // busy or shutting down: worth another try
    throw Failure(FailureKind::kUnreachable, what + " was answered HTTP " + std::to_string(status));
  }
}

void Watcher::Connected(const std::string& how) {
  connected_at_ = std::chrono::steady_clock::now();
  Status("watching " + client_.login().user + " at " + client_.login().server.url + " (" + how +
         ")");
}

void Watcher::HoldWebSocket() {
  std::string path = client_.session().websocket_path;
  unsigned status = push_.OpenWebSocket(path, "jmap", kPushIdle);
  RefusedPush(status, "the WebSocket upgrade");
  if (status != 101) {
    Status("the WebSocket upgrade was answered HTTP " + std::to_string(status) +
           "; using EventSource");
    flags_.event_source = true;
    return;
  }
  json::object enable{{"@type", "WebSocketPushEnable"}, {"dataTypes", json::array{"Email"}}};
  if (!push_state_.empty()) enable["pushState"] = push_state_;
  push_.WebSocketWrite(json::serialize(enable));
  Connected("WebSocket");
  // Registered first, then caught up: a commit in between is pushed and found again, not lost.
  Resync();
  for (;;) {
    std::string text = push_.WebSocketRead();
    boost::system::error_code ec;
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) continue;
    const json::object& o = v.as_object();
    if (Str(o, "@type") != "StateChange") continue;
    if (std::string state = Str(o, "pushState"); !state.empty()) push_state_ = state;
    OnStateChange(o);
  }
}

void Watcher::HoldEventSource() {
  std::string path = client_.session().event_source_path;
  auto replace = [&path](std::string_view name, std::string_view value) {
    if (auto at = path.find(name); at != std::string::npos) path.replace(at, name.size(), value);
  };
  replace("{types}", "Email");
  replace("{closeafter}", "no");
  replace("{ping}", "30");
  unsigned status = push_.OpenEventStream(path);
  RefusedPush(status, "the event stream");
  if (status != 200) {
    throw Failure(FailureKind::kServer, "the event stream was answered HTTP " +
                                            std::to_string(status) + ": no push to be had here");
  }
  Connected("EventSource");
  Resync();
  std::string pending;
  for (;;) {
    pending += push_.EventStreamRead(kPushIdle);
    for (size_t end = pending.find("\n\n"); end != std::string::npos; end = pending.find("\n\n")) {
      std::string event = pending.substr(0, end);
      pending.erase(0, end + 2);
      std::string type = "message", data;
      std::istringstream lines(event);
      for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("event:")) type = OneLine(line.substr(6));
        if (line.starts_with("data:")) data += line.substr(5);
      }
      boost::system::error_code ec;
      json::value v = json::parse(data, ec);
      if (type == "state" && !ec && v.is_object()) OnStateChange(v.as_object());
    }
    if (pending.size() > (1 << 20)) pending.clear();  // no event is that long
  }
}

std::string Watcher::AccountValue(const json::object& change, std::string_view key,
                                  std::string_view sub) {
  const auto* per_account = change.if_contains(key);
  if (!per_account || !per_account->is_object()) return {};
  const auto* mine = per_account->as_object().if_contains(client_.account_id());
  if (!mine) return {};
  if (sub.empty()) return mine->is_int64() ? std::to_string(mine->get_int64()) : std::string();
  return mine->is_object() ? Str(mine->as_object(), sub) : std::string();
}

void Watcher::OnStateChange(const json::object& change) {
  std::string seq = AccountValue(change, "pushSeq", {});
  bool gap = false;
  if (!seq.empty()) {
    int64_t n = std::stoll(seq);
    gap = push_seq_ >= 0 && n > push_seq_ + 1;
    push_seq_ = n;
  }
  std::string email = AccountValue(change, "changed", "Email");
  if (gap || (!email.empty() && email != email_state_)) Resync();
}

void Watcher::Resync() {
  for (bool more = true; more;) {
    json::array calls{
        json::array{"Email/changes",
                    json::object{{"sinceState", email_state_}, {"maxChanges", kMaxChangesPerCall}},
                    "c"},
        json::array{"Email/get",
                    json::object{{"#ids", json::object{{"resultOf", "c"},
                                                       {"name", "Email/changes"},
                                                       {"path", "/created"}}},
                                 {"properties", FactsProperties(rules_.has_value())}},
                    "g"},
        json::array{"Mailbox/get",
                    json::object{{"ids", nullptr}, {"properties", json::array{"name", "role"}}},
                    "m"}};
    json::array responses;
    try {
      responses = client_.Call(std::move(calls));
      Response(responses, "c");
    } catch (const Failure& f) {
      if (f.kind() != FailureKind::kServer ||
          std::string_view(f.what()).find("cannotCalculateChanges") == std::string_view::npos) {
        throw;
      }
      Status("the server cannot say what changed since state " + email_state_ +
             "; going on from now");
      json::object args{{"ids", json::array()}};
      email_state_ = Str(client_.CallOne("Email/get", std::move(args)), "state");
      return;
    }
    const json::object& changes = Response(responses, "c");
    mailboxes_ = MailboxesFromJson(Response(responses, "m"));
    const auto* list = Response(responses, "g").if_contains("list");
    for (const auto& e : list && list->is_array() ? list->as_array() : json::array()) {
      if (e.is_object()) Show(FactsFromJson(e.as_object(), mailboxes_));
    }
    email_state_ = Str(changes, "newState");
    const auto* has_more = changes.if_contains("hasMoreChanges");
    more = has_more && has_more->is_bool() && has_more->get_bool();
  }
}

void Watcher::Show(const EmailFacts& facts) {
  // Our own sent copies and drafts are not new mail.
  for (const auto& id : facts.mailbox_ids) {
    const MailboxInfo* box = FindMailbox(mailboxes_, id);
    if (box && (box->role == "sent" || box->role == "drafts")) return;
  }
  if (HasKeyword(facts, "$draft") || !shown_.insert(facts.id).second) return;
  shown_order_.push_back(facts.id);
  if (shown_order_.size() > kRememberShown) {
    shown_.erase(shown_order_.front());
    shown_order_.pop_front();
  }
  Verdict verdict;
  if (rules_) verdict = ApplyRules(*rules_, RuleFacts(facts));
  Act(facts, verdict.actions);
  if (verdict.actions.silent) return;
  bool notify = verdict.actions.notify;
  if (flags_.json) {
    json::object o = FactsJson(facts);
    if (!verdict.matched.empty()) {
      json::array names;
      for (const auto& n : verdict.matched) names.emplace_back(n);
      o["rules"] = std::move(names);
      o["notify"] = notify;
    }
    std::printf("%s\n", json::serialize(o).c_str());
  } else {
    std::printf("%s%s%s\n", notify && tty_ ? "\a" : "", notify ? "! " : "",
                FormatLine(facts).c_str());
  }
  std::fflush(stdout);
  if (!flags_.exec.empty()) Exec(facts, notify);
}

void Watcher::Act(const EmailFacts& facts, const RuleActions& actions) {
  json::object patch;
  for (const auto& k : actions.add_keywords) patch["keywords/" + k] = true;
  for (const auto& k : actions.remove_keywords) patch["keywords/" + k] = nullptr;
  if (actions.move) {
    const MailboxInfo* to = FindMailbox(mailboxes_, *actions.move);
    if (!to) {
      Status("rule: no mailbox '" + *actions.move + "'; " + facts.id + " stays where it is");
    } else {
      patch["mailboxIds"] = json::object{{to->id, true}};
    }
  }
  if (patch.empty()) return;
  json::object args{{"update", json::object{{facts.id, std::move(patch)}}}};
  json::object result = client_.CallOne("Email/set", std::move(args));
  if (const auto* failed = result.if_contains("notUpdated");
      failed && failed->is_object() && !failed->as_object().empty()) {
    Status("rule actions on " + facts.id + " failed: " + json::serialize(*failed));
  }
}

void Watcher::Exec(const EmailFacts& facts, bool notify) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) {
    if (!std::string_view(*e).starts_with("PUSHMAIL_")) env.emplace_back(*e);
  }
  env.push_back("PUSHMAIL_ID=" + facts.id);
  env.push_back("PUSHMAIL_FROM=" + OneLine(facts.from));
  env.push_back("PUSHMAIL_SUBJECT=" + OneLine(facts.subject));
  env.push_back("PUSHMAIL_PREVIEW=" + OneLine(facts.preview));
  env.push_back("PUSHMAIL_MAILBOX=" + (facts.mailboxes.empty() ? "" : facts.mailboxes.front()));
  env.push_back("PUSHMAIL_RECEIVED_AT=" + facts.received_at);
  env.push_back(std::string("PUSHMAIL_NOTIFY=") + (notify ? "1" : "0"));
  std::vector<char*> envp;
  envp.reserve(env.size() + 1);
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string shell = "/bin/sh", dash_c = "-c", command = flags_.exec;
  char* argv[] = {shell.data(), dash_c.data(), command.data(), nullptr};
  pid_t pid = 0;
  if (posix_spawn(&pid, shell.c_str(), nullptr, nullptr, argv, envp.data()) != 0) {
    Status("cannot run --exec command");
    return;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    Status("--exec command failed for " + facts.id);
  }
}

}  // namespace

int RunWatch(const WatchFlags& flags) {
  ::signal(SIGPIPE, SIG_IGN);
  Watcher watcher(flags, RequireLogin());
  return watcher.Run();
}

}  // namespace pushmail::client
