// IDLE (RFC 2177, RFC 9051 6.3.13): changes are written the moment the hub reports a commit.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Idle(std::string tag) {
  Send("+ idling\r\n");
  // Registered with the hub since login; now resync, then wait: a change that lands between
  // the two is seen by the resync or wakes OnNotify, never neither.
  co_await Sync(true);
  if (!co_await Flush()) co_return;
  idling_ = true;
  if (dirty_) OnNotify();  // a change that came during the resync
  asio::co_spawn(stream_.executor(), IdleKeepalive(), asio::detached);
  reader_.SetLineMode(true);
  auto line = co_await NextLine(context_.config.imap.autologout);
  reader_.SetLineMode(false);
  idling_ = false;
  keepalive_.cancel();
  co_await WaitForPushes();
  if (!line) {
    state_ = State::kLogout;
    co_return;
  }
  if (!IsIdleDone(*line)) {
    Send(tag + " BAD Expected DONE\r\n");
    co_return;
  }
  Send(tag + " OK IDLE terminated\r\n");
}

asio::awaitable<void> Session::IdleKeepalive() {
  auto self = shared_from_this();
  while (idling_) {
    keepalive_.expires_after(context_.config.imap.idle_keepalive);
    boost::system::error_code ec;
    co_await keepalive_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (!idling_) co_return;
    Send("* OK Still here\r\n");
    if (!co_await Flush()) co_return;
  }
}

}  // namespace pushmail::imap
