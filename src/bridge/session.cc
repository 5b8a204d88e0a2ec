// The upstream session of one bridged account: connect, log in, list, sync, watch; reconnect
// with backoff when upstream goes away.
#include "bridge/session.h"

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"
#include "bridge/quote.h"
#include "imap/protocol/mailbox.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kFirstBackoff = std::chrono::seconds(1);
constexpr auto kMaxBackoff = std::chrono::seconds(60);
// RFC 9051 6.3.13: a client re-issues IDLE at least every 29 minutes.
constexpr auto kIdleRestart = std::chrono::minutes(25);
constexpr uint64_t kMaxMessage = uint64_t{64} * 1024 * 1024;

// The local role of an upstream mailbox's special-use attributes (RFC 6154).
std::string RoleOf(const imap::Token& attributes) {
  static constexpr std::pair<std::string_view, std::string_view> kRoles[] = {
      {"\\SENT", "sent"}, {"\\DRAFTS", "drafts"},   {"\\TRASH", "trash"},
      {"\\JUNK", "junk"}, {"\\ARCHIVE", "archive"},
  };
  for (const auto& a : attributes.children) {
    for (const auto& [flag, role] : kRoles) {
      if (a.IsAtom(flag)) return std::string(role);
    }
  }
  return {};
}

bool NotSelectable(const imap::Token& attributes) {
  for (const auto& a : attributes.children) {
    if (a.IsAtom("\\NOSELECT") || a.IsAtom("\\NONEXISTENT")) return true;
  }
  return false;
}

}  // namespace

Session::Session(Context& context, BridgeEntry entry, store::AccountId account,
                 const asio::any_io_executor& executor)
    : context_(context), entry_(std::move(entry)), account_(account), executor_(executor) {}

void Session::Report(const std::string& state) {
  if (context_.report) context_.report(*this, state);
}

void Session::Start() {
  running_ = true;
  Spawn(false);
}

void Session::Spawn(bool resume) {
  hibernating_ = false;
  asio::co_spawn(
      executor_, [self = shared_from_this(), resume] { return self->Run(resume); },
      [self = shared_from_this()](const std::exception_ptr& e) {
        if (e) {
          try {
            std::rethrow_exception(e);
          } catch (const std::exception& x) {
            spdlog::error("bridge {}: session ended: {}", self->Who(), x.what());
          }
        } else if (self->hibernating_) {
          self->Hibernate();
          return;
        }
        self->conn_.reset();
        self->running_ = false;
      });
}

// In IDLE, the session keeps no coroutine: only the connection's readiness wait, whose callback
// holds the session and starts a new coroutine when upstream speaks, the IDLE is due to be
// renewed, or Stop or a client's write cancels the wait.
void Session::Hibernate() {
  conn_->ReleaseMemory();
  waiting_ = true;
  // No deadline, so no timer: Poke wakes the wait when the IDLE is due to be renewed.
  conn_->AsyncWaitReadable(net::Stream::kNoTimeout, [self = shared_from_this()](ErrorCode ec) {
    self->waiting_ = false;
    self->wake_ = ec;
    self->Spawn(true);
  });
}

void Session::Poke() {
  asio::post(executor_, [self = shared_from_this()] {
    if (self->conn_ && self->waiting_ && std::chrono::steady_clock::now() >= self->idle_until_) {
      self->conn_->Cancel();  // the wait ends with operation_aborted: ContinueIdle renews
    }
  });
}

void Session::Stop() {
  stopping_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    if (self->backoff_ != nullptr) self->backoff_->cancel();
    if (self->conn_ && self->waiting_) self->conn_->Cancel();
  });
}

void Session::Abort() {
  stopping_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    if (self->backoff_ != nullptr) self->backoff_->cancel();
    if (self->conn_) self->conn_->Close();
  });
}

bool Session::Prepare() {
  auto url = ParseUpstreamUrl(entry_.upstream);
  if (!url) {
    spdlog::error("bridge {}: '{}' is not imap://HOST:PORT or imaps://HOST:PORT; bridge failed",
                  Who(), entry_.upstream);
    failed_ = true;
    Report("failed: the upstream URL is not imap://HOST:PORT or imaps://HOST:PORT");
    return false;
  }
  if (url->tls) {
    tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
    tls_->set_verify_mode(asio::ssl::verify_peer);
    boost::system::error_code ec;
    if (entry_.ca_file.empty()) {
      tls_->set_default_verify_paths(ec);
    } else {
      tls_->load_verify_file(entry_.ca_file, ec);
    }
    if (ec) spdlog::warn("bridge {}: CA certificates: {}", Who(), ec.message());
  }
  return true;
}

asio::awaitable<void> Session::Run(bool resume) {
  if (!resume && !Prepare()) co_return;
  auto backoff = std::chrono::duration_cast<std::chrono::seconds>(kFirstBackoff);
  while (!stopping_ || resume) {
    ErrorCode ec;
    if (resume) {
      resume = false;
      ec = co_await ContinueIdle();
      if (!ec && !hibernating_) ec = co_await Watch();
    } else {
      ec = co_await Serve();
    }
    if (hibernating_) co_return;  // Hibernate() takes over
    conn_.reset();
    synced_ = false;
    FailWrites();
    if (failed_ || stopping_) break;
    if (synced_) backoff = kFirstBackoff;
    spdlog::warn("bridge {}: upstream connection ended ({}); reconnecting in {} s", Who(),
                 ec ? ec.message() : "closed", backoff.count());
    Report("reconnecting: upstream connection ended (" + (ec ? ec.message() : "closed") + ")");
    asio::steady_timer timer(executor_, backoff);
    backoff_ = &timer;
    co_await timer.async_wait(kTuple);
    backoff_ = nullptr;
    backoff = std::min(backoff * 2, std::chrono::duration_cast<std::chrono::seconds>(kMaxBackoff));
  }
  FailWrites();
  spdlog::info("bridge {}: session ended{}", Who(), failed_ ? " (failed)" : "");
  if (!failed_) Report("stopped");
}

asio::awaitable<ErrorCode> Session::Serve() {
  synced_ = false;
  notify_ = condstore_ = esearch_ = false;
  selected_ = nullptr;
  auto url = ParseUpstreamUrl(entry_.upstream);  // Prepare checked it
  if (!url) co_return MakeError(Errc::kInvalidArgument);
  auto conn = co_await Connection::Open(executor_, *url, tls_.get(), kMaxMessage);
  if (!conn) co_return conn.error();
  conn_ = std::move(*conn);
  ErrorCode ec = co_await Login();
  if (ec) co_return ec;
  ec = co_await ListMailboxes();
  if (ec) co_return ec;
  size_t total = mailboxes_.size(), done = 0;
  for (auto& box : mailboxes_) {
    if (stopping_) co_return co_await Logout();
    ec = co_await Sync(box);
    if (ec) co_return ec;
    ++done;
    spdlog::info("bridge {}: synced mailbox {} ({}/{})", Who(), box.name, done, total);
  }
  if (mailboxes_.empty()) co_return MakeError(Errc::kNotFound);
  if (conn_->Has("NOTIFY")) {
    auto unsolicited = [this](const Response& r) { Unsolicited(r); };
    auto set = co_await conn_->Run(
        "NOTIFY SET (selected (MessageNew MessageExpunge FlagChange)) "
        "(personal (MessageNew MessageExpunge FlagChange MailboxName))",
        unsolicited);
    if (!set) co_return set.error();
    notify_ = set->Ok();
    if (!notify_) spdlog::warn("bridge {}: NOTIFY SET refused: {}", Who(), set->text);
  }
  synced_ = true;
  next_round_ = std::chrono::steady_clock::now() + context_.config.bridge.status_round;
  spdlog::info("bridge {}: in sync; watching with {}", Who(),
               notify_ ? "NOTIFY" : "IDLE and a STATUS round");
  Report("running");
  co_return co_await Watch();
}

asio::awaitable<ErrorCode> Session::Login() {
  auto ignore = [](const Response&) {};
  if (!conn_->Has("IMAP4REV1") && !conn_->Has("IMAP4REV2")) {
    auto caps = co_await conn_->Run("CAPABILITY", ignore);
    if (!caps) co_return caps.error();
  }
  if (conn_->Has("LOGINDISABLED")) {
    spdlog::error(
        "bridge {}: upstream refuses LOGIN on this connection (LOGINDISABLED); use "
        "imaps://; bridge failed",
        Who());
    failed_ = true;
    Report("failed: upstream refuses LOGIN on this connection (LOGINDISABLED); use imaps://");
    co_return MakeError(Errc::kInvalidArgument);
  }
  std::string command = "LOGIN " + Quote(entry_.user) + " " + Quote(entry_.password);
  auto login = co_await conn_->Run(command, ignore);
  if (!login) co_return login.error();
  if (!login->Ok()) {
    spdlog::error("bridge {}: upstream rejected the login of user '{}': {} {}; bridge failed",
                  Who(), entry_.user, login->status, login->text);
    failed_ = true;
    Report("failed: upstream rejected the login of user '" + entry_.user + "': " + login->status +
           " " + login->text);
    co_return MakeError(Errc::kInvalidArgument);
  }
  // The capabilities may change after login (RFC 9051 6.2.3); the OK usually carries them.
  if (!login->code.starts_with("CAPABILITY")) {
    auto caps = co_await conn_->Run("CAPABILITY", ignore);
    if (!caps) co_return caps.error();
  }
  if (conn_->Has("CONDSTORE") && conn_->Has("ENABLE")) {
    auto enabled = co_await conn_->Run("ENABLE CONDSTORE", ignore);
    if (!enabled) co_return enabled.error();
    condstore_ = enabled->Ok();
  }
  esearch_ = conn_->Has("ESEARCH");
  spdlog::info("bridge {}: logged in as {}{}", Who(), entry_.user,
               condstore_ ? " (CONDSTORE)" : "");
  co_return ErrorCode{};
}

std::string Session::LocalName(std::string_view upstream, char delimiter) const {
  std::string local = imap::DecodeMutf7(upstream).value_or(std::string(upstream));
  if (delimiter != 0 && delimiter != '/') std::replace(local.begin(), local.end(), delimiter, '/');
  if (auto canonical = imap::DecodeMailboxName(local, true); canonical && *canonical == "INBOX") {
    local = "INBOX";
  }
  return local;
}

asio::awaitable<ErrorCode> Session::ListMailboxes() {
  struct Listed {
    std::string name, role;
    char delimiter = 0;
  };
  std::vector<Listed> listed;
  auto on_list = [this, &listed](const Response& r) {
    if (r.name != "LIST" || r.data.size() < 3 || !r.data[0].IsList()) {
      Unsolicited(r);
      return;
    }
    if (NotSelectable(r.data[0])) return;
    Listed l{std::string(r.data[2].text()), RoleOf(r.data[0]), 0};
    if (r.data[1].IsString() && r.data[1].text().size() == 1) l.delimiter = r.data[1].text()[0];
    listed.push_back(std::move(l));
  };
  auto list = co_await conn_->Run("LIST \"\" \"*\"", on_list);
  if (!list) co_return list.error();
  if (!list->Ok()) co_return MakeError(Errc::kUnavailable);
  relist_ = false;
  // INBOX first: it is the mailbox the session watches.
  std::stable_partition(listed.begin(), listed.end(), [](const Listed& l) {
    return l.name.size() == 5 && imap::DecodeMutf7(l.name).value_or("") == "INBOX";
  });
  bool same = listed.size() == mailboxes_.size() &&
              std::all_of(listed.begin(), listed.end(), [this](const Listed& l) {
                const Mailbox* box = FindByName(l.name);
                return box != nullptr && !box->renamed;
              });
  if (same) co_return ErrorCode{};  // the usual answer of the STATUS round's LIST
  auto locals = co_await Blocking([this] { return context_.store.ListMailboxes(account_); });
  if (!locals) co_return locals.error();
  std::vector<Mailbox> boxes;
  for (const auto& l : listed) {
    if (!IsQuotable(l.name)) {
      spdlog::warn("bridge {}: mailbox name '{}' cannot be mirrored; skipped", Who(), l.name);
      continue;
    }
    if (l.delimiter != 0) delimiter_ = l.delimiter;
    std::string local = LocalName(l.name, l.delimiter);
    if (Mailbox* known = FindByName(l.name)) {
      if (known->renamed) {
        // Renamed upstream (NOTIFY's OLDNAME): the local mailbox keeps its messages and ids.
        store::MailboxId id = known->local;
        auto renamed = co_await Blocking(
            [this, id, &local] { return context_.store.RenameMailbox(account_, id, local); });
        spdlog::info("bridge {}: mailbox renamed upstream to {}{}", Who(), l.name,
                     renamed ? "; not renamed locally: " + renamed.message() : "");
        known->renamed = false;
      }
      boxes.push_back(*known);
      continue;
    }
    store::MailboxId id = 0;
    for (const auto& m : *locals) {
      if ((!l.role.empty() && m.role == l.role) || m.name == local) id = m.id;
      if (id != 0 && !l.role.empty() && m.role == l.role) break;
    }
    if (id == 0) {
      auto made = co_await Blocking(
          [this, &local] { return context_.store.CreateMailbox(account_, local); });
      if (!made) {
        spdlog::warn("bridge {}: cannot make local mailbox {}: {}", Who(), local,
                     made.error().message());
        continue;
      }
      id = made->id;
      if (!mailboxes_.empty())
        spdlog::info("bridge {}: mailbox {} created upstream", Who(), l.name);
    }
    Mailbox box;
    box.name = l.name;
    box.local = id;
    boxes.push_back(std::move(box));
  }
  // Gone upstream: the local mirror goes too (with its messages, as upstream's did).
  for (const auto& old : mailboxes_) {
    bool kept = std::any_of(boxes.begin(), boxes.end(),
                            [&old](const Mailbox& b) { return b.local == old.local; });
    if (kept) continue;
    store::MailboxId id = old.local;
    auto removed =
        co_await Blocking([this, id] { return context_.store.DeleteMailbox(account_, id); });
    spdlog::info("bridge {}: mailbox {} deleted upstream{}", Who(), old.name,
                 removed ? "; not deleted locally: " + removed.message() : "");
  }
  std::string selected = selected_ != nullptr ? selected_->name : std::string();
  mailboxes_ = std::move(boxes);
  selected_ = selected.empty() ? nullptr : FindByName(selected);
  co_return ErrorCode{};
}

Session::Mailbox* Session::FindByName(std::string_view name) {
  for (auto& box : mailboxes_) {
    if (box.name == name) return &box;
  }
  return nullptr;
}

void Session::Unsolicited(const Response& r) {
  bool message_event = r.number && (r.name == "EXISTS" || r.name == "EXPUNGE" || r.name == "FETCH");
  if (message_event || r.name == "VANISHED") {
    if (selected_) selected_->dirty = true;
  } else if (r.name == "STATUS" && !r.data.empty()) {
    // NOTIFY's report of a change in a mailbox that is not selected (RFC 5465 5.1).
    if (Mailbox* box = FindByName(r.data[0].text())) box->dirty = true;
  } else if (r.name == "LIST" && notify_) {
    // NOTIFY's MailboxName event (RFC 5465 5.4): created, deleted (\NonExistent) or renamed,
    // with the old name in its extended data ("OLDNAME" (old)).
    relist_ = true;
    if (r.data.size() >= 4 && r.data[3].IsList() && r.data[3].children.size() >= 2 &&
        Upper(r.data[3].children[0].text()) == "OLDNAME" && r.data[3].children[1].IsList() &&
        !r.data[3].children[1].children.empty()) {
      if (Mailbox* box = FindByName(r.data[3].children[1].children[0].text())) {
        box->name = std::string(r.data[2].text());
        box->renamed = true;
      }
    }
  }
}

asio::awaitable<ErrorCode> Session::Watch() {
  while (!stopping_) {
    if (mailboxes_.empty()) co_return MakeError(Errc::kNotFound);
    Mailbox& inbox = mailboxes_.front();  // ListMailboxes below may replace the vector
    if (!writes_.empty()) {
      std::shared_ptr<Write> write = std::move(writes_.front());
      writes_.erase(writes_.begin());
      ErrorCode applied = co_await Apply(*write);
      if (applied) co_return applied;
      continue;
    }
    Mailbox* dirty = nullptr;
    for (auto& box : mailboxes_) {
      if (box.dirty && (dirty == nullptr || &box == selected_)) dirty = &box;
    }
    if (relist_) {
      ErrorCode listed = co_await ListMailboxes();
      if (listed) co_return listed;
      continue;
    }
    if (dirty != nullptr) {
      ErrorCode synced = co_await Sync(*dirty);
      if (synced) co_return synced;
      continue;
    }
    if (selected_ != &inbox) {
      inbox.dirty = true;  // selecting it again also catches what happened while it was not
      continue;
    }
    if (!notify_ && std::chrono::steady_clock::now() >= next_round_) {
      ErrorCode round = co_await StatusRound();
      if (round) co_return round;
      next_round_ = std::chrono::steady_clock::now() + context_.config.bridge.status_round;
      continue;
    }
    ErrorCode idled = co_await Idle();
    if (idled) co_return idled;
    if (hibernating_) co_return ErrorCode{};
  }
  co_return co_await Logout();
}

bool Session::MustLeaveIdle() const {
  return stopping_ || relist_ || !writes_.empty() ||
         std::chrono::steady_clock::now() >= idle_until_ ||
         std::any_of(mailboxes_.begin(), mailboxes_.end(),
                     [](const Mailbox& b) { return b.dirty; });
}

asio::awaitable<ErrorCode> Session::Idle() {
  auto tag = co_await conn_->Start("IDLE");
  if (!tag) co_return tag.error();
  bool idling = false;
  auto on_start = [&](const Response& r) {
    if (r.kind == Response::Kind::kContinuation) idling = true;
    if (r.kind == Response::Kind::kUntagged) Unsolicited(r);
  };
  while (!idling) {
    ErrorCode read = co_await conn_->ReadOne(on_start, std::chrono::seconds(60));
    if (read) co_return read;
  }
  idle_tag_ = std::move(*tag);
  auto wait = notify_
                  ? std::chrono::duration_cast<net::Duration>(kIdleRestart)
                  : std::chrono::duration_cast<net::Duration>(context_.config.bridge.status_round);
  idle_until_ = std::chrono::steady_clock::now() + wait;
  if (MustLeaveIdle()) co_return co_await LeaveIdle();
  hibernating_ = true;
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::ContinueIdle() {
  ErrorCode woke = wake_;
  if (woke && woke != asio::error::timed_out && woke != asio::error::operation_aborted) {
    co_return woke;
  }
  if (!woke) {
    auto unsolicited = [this](const Response& r) { Unsolicited(r); };
    ErrorCode read = co_await conn_->ReadOne(unsolicited, std::chrono::seconds(60));
    if (read) co_return read;
  }
  if (!woke && !MustLeaveIdle()) {
    hibernating_ = true;
    co_return ErrorCode{};
  }
  co_return co_await LeaveIdle();
}

asio::awaitable<ErrorCode> Session::LeaveIdle() {
  auto unsolicited = [this](const Response& r) { Unsolicited(r); };
  const std::string line = "DONE";
  ErrorCode sent = co_await conn_->SendLine(line);
  if (sent) co_return sent;
  auto done = co_await conn_->Finish(idle_tag_, unsolicited);
  if (!done) co_return done.error();
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::StatusRound() {
  // Mailboxes created, renamed (seen as a delete and a create) or deleted upstream.
  ErrorCode listed = co_await ListMailboxes();
  if (listed) co_return listed;
  std::string items = condstore_ ? " (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)"
                                 : " (MESSAGES UIDNEXT UIDVALIDITY)";
  for (auto& box : mailboxes_) {
    if (&box == selected_) continue;
    auto on_status = [this, &box](const Response& r) {
      if (r.name != "STATUS" || r.data.size() < 2 || !r.data[1].IsList()) {
        Unsolicited(r);
        return;
      }
      const auto& items = r.data[1].children;
      auto get = [&items](const char* name) -> uint64_t {
        const imap::Token* t = FindItem(items, name);
        return t ? Number(*t).value_or(0) : 0;
      };
      auto uidnext = static_cast<uint32_t>(get("UIDNEXT"));
      auto messages = static_cast<uint32_t>(get("MESSAGES"));
      auto uidvalidity = static_cast<uint32_t>(get("UIDVALIDITY"));
      auto modseq = static_cast<int64_t>(get("HIGHESTMODSEQ"));
      if (uidnext != box.uidnext || messages != box.messages || uidvalidity != box.uidvalidity ||
          modseq != box.modseq) {
        box.dirty = true;
      }
    };
    auto status = co_await conn_->Run("STATUS " + Quote(box.name) + items, on_status);
    if (!status) co_return status.error();
  }
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::Logout() {
  auto ignore = [](const Response&) {};
  auto bye = co_await conn_->Run("LOGOUT", ignore);
  if (!bye) co_return bye.error();
  co_return ErrorCode{};
}

}  // namespace pushmail::bridge
