#include "imap/server/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/internal_errors.h"
#include "base/log.h"
#include "net/blocking.h"

namespace pushmail::imap {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr net::Duration kWriteTimeout = std::chrono::seconds(60);
constexpr size_t kReadChunk = 4096;

Limits LimitsOf(const Config& config) {
  Limits l;
  l.max_line = config.imap.max_line;
  l.max_literal = config.imap.max_literal;
  return l;
}

}  // namespace

Session::Session(const Context& context, ChangeReads& reads, net::FailureCounter& auth_failures,
                 asio::ip::tcp::socket socket, size_t worker,
                 std::optional<net::IpLimiter::Slot> slot, bool implicit_tls)
    : context_(context),
      reads_(reads),
      auth_failures_(auth_failures),
      stream_(std::move(socket)),
      slot_(std::move(slot)),
      implicit_tls_(implicit_tls),
      limits_(LimitsOf(context.config)),
      reader_(limits_),
      wakeup_(stream_.executor()),
      worker_(worker) {}

Session::~Session() {
  if (link_) context_.hub.Unsubscribe(link_.get());
}

void Session::RequestStop() {
  asio::post(stream_.executor(), [self = shared_from_this()] {
    self->stop_requested_ = true;
    if (self->reading_) self->stream_.Cancel();
  });
}

void Session::Abort() {
  asio::post(stream_.executor(), [self = shared_from_this()] { self->stream_.Close(); });
}

std::string Session::Capabilities() const {
  std::string caps = "IMAP4rev1 IMAP4rev2 LITERAL+ SASL-IR ID ENABLE IDLE NAMESPACE UNSELECT";
  caps +=
      " UIDPLUS MOVE NOTIFY CONDSTORE QRESYNC LIST-EXTENDED LIST-STATUS SPECIAL-USE ESEARCH "
      "OBJECTID";
  caps += " UTF8=ACCEPT COMPRESS=DEFLATE MULTIAPPEND APPENDLIMIT=" +
          std::to_string(limits_.max_literal);
  if (state_ == State::kNotAuthenticated) {
    bool can_tls = context_.tls && !stream_.tls();
    if (can_tls) caps += " STARTTLS";
    if (stream_.tls() || stream_.remote().address().is_loopback()) {
      caps += " AUTH=PLAIN";
    } else {
      caps += " LOGINDISABLED";
    }
  }
  return caps;
}

void Session::Tagged(const Request& r, std::string_view condition, std::string_view text) {
  out_ += r.tag;
  out_ += ' ';
  out_ += condition;
  out_ += ' ';
  out_ += text;
  out_ += "\r\n";
}

std::string Session::Failure(const Request& r, std::string_view what, const ErrorCode& cause) {
  CountInternalError(Surface::kImap);
  spdlog::error("imap: {} {}: {}: {}", r.tag, login_, what, cause.message());
  if (cause == store::StoreErrc::kDiskFull) return "[OVERQUOTA] Not enough disk space, try later";
  // RFC 5530 UNAVAILABLE: a subsystem is down for now (a store that stopped writing after a disk
  // error until it is restarted, an upstream server that did not answer in time).
  if (cause == store::StoreErrc::kReadOnly || cause == MakeError(Errc::kUnavailable)) {
    return "[UNAVAILABLE] " + std::string(what) + ", try later";
  }
  return "[SERVERBUG] " + std::string(what);
}

// One write at a time: a Flush that finds another in progress leaves its output to that one,
// which writes until nothing is queued.
awaitable<bool> Session::Flush() {
  if (writing_) co_return true;
  writing_ = true;
  bool ok = true;
  while (ok && !out_.empty()) {
    std::string data = deflate_ ? deflate_->Compress(out_) : std::move(out_);
    out_.clear();
    ok = !co_await stream_.Write(asio::buffer(data), kWriteTimeout);
  }
  writing_ = false;
  if (out_.capacity() > kReadChunk) std::string().swap(out_);
  co_return ok;
}

awaitable<bool> Session::Fill(net::Duration timeout) {
  bool flushed = co_await Flush();
  if (!flushed) co_return false;
  if (stop_requested_ && reading_) co_return false;
  if (in_.empty()) {
    ErrorCode ec = co_await WaitForInput(timeout);
    if (ec) {
      if (ec == asio::error::timed_out) {
        Send("* BYE Autologout; idle for too long\r\n");
        co_await Flush();
      }
      co_return false;
    }
  }
  co_return co_await ReadIn(timeout);
}

awaitable<ErrorCode> Session::WaitForInput(net::Duration timeout) {
  // An idle session holds no buffers: wait for data first, then take a buffer to read it.
  reader_.ReleaseMemory();
  std::string().swap(in_);
  co_return co_await stream_.WaitReadable(timeout);
}

awaitable<bool> Session::ReadIn(net::Duration timeout) {
  std::string compressed;
  std::string& target = deflate_ ? compressed : in_;
  size_t old = target.size();
  target.resize(old + kReadChunk);
  auto n = co_await stream_.ReadSome(asio::buffer(target.data() + old, kReadChunk), timeout);
  target.resize(old + (n ? *n : 0));
  if (deflate_ && n && !deflate_->Decompress(compressed, in_)) {
    co_return false;  // a corrupt stream: nothing sensible can be said to the client
  }
  if (in_.empty()) std::string().swap(in_);
  if (!n) {
    if (n.error() == asio::error::timed_out) {
      Send("* BYE Autologout; idle for too long\r\n");
      co_await Flush();
    }
    co_return false;
  }
  co_return true;
}

awaitable<std::optional<std::string>> Session::NextCommand() {
  for (;;) {
    auto event = reader_.Feed(in_);
    in_.erase(0, event.consumed);
    switch (event.kind) {
      case CommandReader::Kind::kCommand:
        co_return std::string(event.text);
      case CommandReader::Kind::kContinue:
        Send("+ Ready for literal data\r\n");
        continue;
      case CommandReader::Kind::kTooBig:
      case CommandReader::Kind::kLineTooLong:
        Send(RefusalFor(event));
        if (event.close || ++bad_commands_ > context_.config.imap.max_bad_commands) {
          co_return std::nullopt;
        }
        continue;
      case CommandReader::Kind::kLine:
      case CommandReader::Kind::kNeedMore:
        break;
    }
    if (stop_requested_) {
      Send("* BYE Server shutting down\r\n");
      co_return std::nullopt;
    }
    auto timeout = state_ == State::kNotAuthenticated ? context_.config.imap.login_timeout
                                                      : context_.config.imap.autologout;
    reading_ = true;
    bool ok = co_await Fill(timeout);
    reading_ = false;
    if (!ok) {
      if (stop_requested_) Send("* BYE Server shutting down\r\n");
      co_return std::nullopt;
    }
  }
}

awaitable<std::optional<std::string>> Session::NextLine(net::Duration timeout) {
  for (;;) {
    auto event = reader_.Feed(in_);
    in_.erase(0, event.consumed);
    if (event.kind == CommandReader::Kind::kLine) co_return std::string(event.text);
    if (event.kind != CommandReader::Kind::kNeedMore) co_return std::nullopt;
    reading_ = true;
    bool ok = co_await Fill(timeout);
    reading_ = false;
    if (!ok) co_return std::nullopt;
  }
}

void Session::Start() { Spawn(Run()); }

void Session::Spawn(awaitable<void> work) {
  // The completion handler holds the session until the coroutine is over.
  asio::co_spawn(stream_.executor(), std::move(work),
                 [self = shared_from_this()](const std::exception_ptr& e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     spdlog::error("imap: {} session ended by exception: {}", self->login_,
                                   x.what());
                   }
                 });
}

awaitable<void> Session::Run() {
  if (!slot_) {
    Send("* BYE Too many connections from your address\r\n");
    co_await Flush();
    stream_.Close();
    co_return;
  }
  if (implicit_tls_) {
    net::Duration timeout = context_.config.imap.login_timeout;
    ErrorCode failed = MakeError(Errc::kUnavailable);
    if (context_.tls) failed = co_await stream_.StartTls(*context_.tls, timeout);
    if (failed) {
      stream_.Close();
      co_return;
    }
  }
  Send("* OK [CAPABILITY " + Capabilities() + "] pushmail ready\r\n");
  co_await Serve();
}

awaitable<void> Session::Serve() {
  // A command's state lives in Handle's frame only while the command runs.
  while (state_ != State::kLogout) {
    if (!idle_tag_.empty()) {
      // IDLE runs from here rather than inside Handle: the command's frames are gone, and a
      // session waiting for DONE hibernates with no coroutine frame at all.
      bool hibernated = co_await Idle(std::nullopt);  // not in the if: see Resume
      if (hibernated) co_return;
      continue;
    }
    auto text = co_await NextCommand();
    if (!text) break;
    bool go_on = co_await Handle(*text);
    if (!go_on) break;
  }
  co_await Flush();
  stream_.Close();
}

awaitable<bool> Session::Handle(const std::string& text) {
  auto request = ParseRequest(text, parse_options());
  if (!request) {
    Send(request.error().Format());
    if (++bad_commands_ > context_.config.imap.max_bad_commands) {
      Send("* BYE Too many bad commands\r\n");
      co_return false;
    }
    co_return true;
  }
  if (!Allowed(*request)) co_return true;
  bad_commands_ = 0;
  co_await WaitForPushes();  // a NOTIFY push in flight finishes before the command starts
  executing_ = true;
  co_await Execute(*request);
  executing_ = false;
  co_return true;
}

// Refuses a command the session's state does not allow; true when it may run.
bool Session::Allowed(const Request& r) {
  if (state_ == State::kNotAuthenticated &&
      ++commands_before_login_ > context_.config.imap.max_commands_before_login) {
    Send("* BYE Too many commands before login\r\n");
    state_ = State::kLogout;
    return false;
  }
  switch (r.verb) {
    case Verb::kCapability:
    case Verb::kNoop:
    case Verb::kLogout:
    case Verb::kId:
      return true;
    case Verb::kStartTls:
    case Verb::kAuthenticate:
    case Verb::kLogin:
      if (state_ == State::kNotAuthenticated) return true;
      Tagged(r, "BAD", "Already authenticated");
      return false;
    case Verb::kCheck:
    case Verb::kClose:
    case Verb::kUnselect:
    case Verb::kExpunge:
    case Verb::kSearch:
    case Verb::kFetch:
    case Verb::kStore:
    case Verb::kCopy:
    case Verb::kMove:
      if (state_ == State::kSelected) return true;
      Tagged(r, "BAD", "No mailbox selected");
      return false;
    default:
      if (state_ != State::kNotAuthenticated) return true;
      Tagged(r, "BAD", "Log in first");
      return false;
  }
}

awaitable<void> Session::Execute(const Request& r) {
  switch (r.verb) {
    case Verb::kCapability:
      Send("* CAPABILITY " + Capabilities() + "\r\n");
      Tagged(r, "OK", "CAPABILITY completed");
      break;
    case Verb::kNoop:
    case Verb::kCheck:
      co_await Sync(true);
      Tagged(r, "OK", std::string(VerbName(r.verb)) + " completed");
      co_return;
      break;
    case Verb::kLogout:
      Send("* BYE Logging out\r\n");
      Tagged(r, "OK", "LOGOUT completed");
      state_ = State::kLogout;
      break;
    case Verb::kStartTls:
      co_await StartTls(r);
      break;
    case Verb::kLogin:
      co_await Login(r);
      break;
    case Verb::kAuthenticate:
      co_await Authenticate(r);
      break;
    case Verb::kEnable:
      Enable(r);
      break;
    case Verb::kId:
      Id(r);
      break;
    case Verb::kCompress:
      co_await Compress(r);
      break;
    case Verb::kNotify:
      co_await Notify(r);
      break;
    case Verb::kNamespace:
      Send("* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n");
      Tagged(r, "OK", "NAMESPACE completed");
      break;
    case Verb::kSelect:
    case Verb::kExamine:
      co_await Select(r);
      break;
    case Verb::kClose:
    case Verb::kUnselect:
      co_await Unselect(r);
      break;
    case Verb::kList:
    case Verb::kLsub:
      co_await List(r);
      break;
    case Verb::kStatus:
      co_await Status(r);
      break;
    case Verb::kCreate:
    case Verb::kDelete:
    case Verb::kRename:
    case Verb::kSubscribe:
    case Verb::kUnsubscribe:
      co_await MailboxCommand(r);
      break;
    case Verb::kAppend:
      co_await Append(r);
      break;
    case Verb::kFetch:
      co_await Fetch(r);
      break;
    case Verb::kStore:
      co_await Store(r);
      break;
    case Verb::kSearch:
      co_await Search(r);
      break;
    case Verb::kCopy:
    case Verb::kMove:
      co_await Copy(r);
      break;
    case Verb::kExpunge:
      co_await Expunge(r);
      break;
    case Verb::kIdle:
      idle_tag_ = r.tag;  // Run starts it once this command's frames are gone
      co_return;
  }
  // Changes by others go out between commands, never inside FETCH, STORE or SEARCH, whose
  // sequence numbers must not move (RFC 9051 7.5.1); the next command after them says them.
  bool numbers_fixed =
      r.verb == Verb::kFetch || r.verb == Verb::kStore || (r.verb == Verb::kSearch && !r.uid);
  if (!numbers_fixed) co_await Sync(false);
}

void Session::OnNotify() {
  dirty_ = true;
  if (!CanPushNow() || notifying_) return;
  // Changes go out at once, from a coroutine of their own: the session's own coroutine is
  // waiting for DONE (IDLE) or for the next command (NOTIFY).
  notifying_ = true;
  asio::co_spawn(
      stream_.executor(),
      [self = shared_from_this()]() -> awaitable<void> {
        while (self->dirty_ && self->CanPushNow()) {
          co_await self->Sync(false);
          if (self->notify_) co_await self->NotifyOthers();
          bool flushed = co_await self->Flush();
          if (!flushed) break;
        }
        self->notifying_ = false;
        self->wakeup_.cancel();  // a command or DONE may be waiting for this to end
      },
      asio::detached);
}

bool Session::CanPushNow() const {
  if (idling_) return true;
  return notify_ && !executing_ && state_ != State::kLogout;
}

asio::awaitable<void> Session::WaitForPushes() {
  while (notifying_ || syncing_) {
    wakeup_.expires_at(std::chrono::steady_clock::time_point::max());
    boost::system::error_code ignored;
    co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
}

void Session::Collect() {
  if (!link_) return;
  for (const auto& event : link_->TakePending()) {
    heard_push_seq_ = std::max(heard_push_seq_, event->push_seq);
    for (store::MailboxId id : event->mailboxes) changed_boxes_.insert(id);
    if (event->changed & store::Bit(store::DataType::kMailbox)) mailbox_list_changed_ = true;
  }
}

void Session::OnOverflow() {
  link_.reset();  // the hub has dropped it already
  spdlog::warn("imap: {} fell behind its change queue; closing", login_);
  stream_.Close();
}

awaitable<void> Session::Sync(bool force) {
  Collect();  // the events only say where to look; the store says what changed
  if (!selected_ || syncing_ || (!dirty_ && !force)) co_return;
  if (notify_ && !idling_ && !force && !notify_selected_ && !executing_) co_return;
  syncing_ = true;
  dirty_ = false;
  store::MailboxId mailbox = selected_->mailbox().id;
  store::ModSeq since = selected_->known_modseq();
  // Forced (NOOP, IDLE's start): the read must begin now, not merely after the last event.
  uint64_t heard = force ? reads_.Tick() : reads_.Heard(account_, heard_push_seq_);
  auto delta = co_await reads_.Read(mailbox, since, heard);
  syncing_ = false;
  if (!delta) {
    // The mailbox is gone (deleted by another session): RFC 9051 7.1 BYE is too harsh; the
    // client finds out with its next command.
    if (delta.error() == MakeError(Errc::kNotFound)) co_return;
    spdlog::warn("imap: cannot read changes of mailbox {}: {}", mailbox, delta.error().message());
    co_return;
  }
  if (selected_ && selected_->mailbox().id == mailbox) {
    Send(selected_->Apply(**delta, {condstore_, qresync_}));
  }
  wakeup_.cancel();  // a command or DONE may be waiting for this sync to end
}

Result<store::MailboxId> Session::FindMailboxId(std::string_view name) {
  auto box = context_.store.FindMailbox(account_, name);
  if (!box) return box.error();
  return box->id;
}

}  // namespace pushmail::imap
