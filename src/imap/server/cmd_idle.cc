// IDLE (RFC 2177, RFC 9051 6.3.13): changes are written the moment the hub reports a commit.
//
// A session waiting for DONE hibernates: its coroutines have all returned, and what is left is
// the session object and one readiness wait on its socket, whose callback holds the session.
// Input, the keepalive interval (the wait's own timeout) or a stop request wakes it; a new
// coroutine then carries on from here, and back into the command loop after DONE. Hub pushes
// run meanwhile from a coroutine of their own (Session::OnNotify).
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

asio::awaitable<bool> Session::Idle(std::optional<ErrorCode> woke) {
  const ImapLimits& config = context_.config.imap;
  if (!woke) {
    Send("+ idling\r\n");
    // Registered with the hub since login; now resync, then wait: a change that lands between
    // the two is seen by the resync or wakes OnNotify, never neither.
    co_await Sync(true);
    idling_ = true;
    if (dirty_) OnNotify();  // a change that came during the resync
    reader_.SetLineMode(true);
    idle_give_up_ = SteadyClock::now() + config.autologout;
    bool flushed = co_await Flush();
    if (!flushed) woke = asio::error::broken_pipe;
  }
  std::optional<std::string> line;
  for (;;) {
    if (woke) {
      ErrorCode ec = *std::exchange(woke, std::nullopt);
      reading_ = false;
      if (ec == asio::error::timed_out && SteadyClock::now() < idle_give_up_) {
        Send("* OK Still here\r\n");
        bool flushed = co_await Flush();
        if (!flushed) break;
      } else if (ec) {
        if (ec == asio::error::timed_out) Send("* BYE Autologout; idle for too long\r\n");
        break;
      } else {
        bool read = co_await ReadIn(config.autologout);
        if (!read) break;
      }
    }
    auto event = reader_.Feed(in_);
    in_.erase(0, event.consumed);
    if (event.kind == CommandReader::Kind::kLine) {
      line = std::string(event.text);
      break;
    }
    if (event.kind != CommandReader::Kind::kNeedMore || stop_requested_) break;
    net::Duration left = idle_give_up_ - SteadyClock::now();
    if (in_.empty()) {
      Hibernate(std::min<net::Duration>(config.idle_keepalive, left));
      co_return true;
    }
    // Part of a line is in hand: read the rest.
    reading_ = true;
    bool ok = co_await ReadIn(left);
    reading_ = false;
    if (!ok) break;
  }
  reader_.SetLineMode(false);
  idling_ = false;
  std::string tag = std::exchange(idle_tag_, {});
  co_await WaitForPushes();
  if (!line) {
    if (stop_requested_) Send("* BYE Server shutting down\r\n");
    state_ = State::kLogout;
    co_return false;
  }
  if (!IsIdleDone(*line)) {
    Send(tag + " BAD Expected DONE\r\n");
  } else {
    Send(tag + " OK IDLE terminated\r\n");
  }
  co_return false;
}

void Session::Hibernate(net::Duration wait) {
  reader_.ReleaseMemory();
  std::string().swap(in_);
  reading_ = true;  // a stop request cancels the wait
  stream_.AsyncWaitReadable(
      wait, [self = shared_from_this()](ErrorCode ec) { self->Spawn(self->Resume(ec)); });
}

asio::awaitable<void> Session::Resume(ErrorCode woke) {
  // Not `if (co_await Idle(woke)) co_return;`: GCC 12 destroys that awaitable twice. And the
  // argument is a named optional, not one converted inside the co_await (docs/architecture.md).
  std::optional<ErrorCode> why = woke;
  bool hibernated = co_await Idle(why);
  if (!hibernated) co_await Serve();
}

}  // namespace pushmail::imap
