// LOGIN (RFC 9051 6.2.3), and what every successful authentication does.
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/internal_errors.h"
#include "base/log.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Login(const Request& r) {
  if (!stream_.tls() && !stream_.remote().address().is_loopback()) {
    Tagged(r, "NO", "[PRIVACYREQUIRED] Use STARTTLS first");
    co_return;
  }
  const auto& login = std::get<imap::Login>(r.args);
  auto account = co_await Blocking(
      [this, &login] { return context_.store.Authenticate(login.user, login.password); });
  co_await LoggedIn(r, account, login.user);
}

asio::awaitable<void> Session::LoggedIn(const Request& r, Result<store::AccountId> account,
                                        std::string login) {
  auto address = stream_.remote().address();
  if (!account && account.error() != MakeError(Errc::kNotFound)) {
    // Not the client's fault: it may try again, and it is not counted as a guess.
    CountInternalError(Surface::kImap);
    spdlog::error("imap: cannot check the password of '{}': {}", login, account.error().message());
    Tagged(r, "NO", "[UNAVAILABLE] Cannot check credentials now, try later");
    co_return;
  }
  if (!account) {
    auth_failures_.Fail(address);
    if (auth_failures_.Count(address) > context_.config.imap.auth_failures_before_delay) {
      // Slows a guesser down; a user who mistyped once sees no delay.
      asio::steady_timer delay(stream_.executor(), context_.config.imap.auth_failure_delay);
      co_await delay.async_wait(asio::use_awaitable);
    }
    spdlog::info("imap: failed login for '{}' from {}", login, address.to_string());
    Tagged(r, "NO", "[AUTHENTICATIONFAILED] Invalid credentials");
    co_return;
  }
  auth_failures_.Clear(address);
  account_ = *account;
  login_ = std::move(login);
  state_ = State::kAuthenticated;
  link_ = std::make_unique<HubLink>(*this, worker_, account_);
  context_.hub.Subscribe(link_.get());
  Tagged(r, "OK", "[CAPABILITY " + Capabilities() + "] Logged in");
}

}  // namespace pushmail::imap
