// AUTH PLAIN (RFC 4616) and LOGIN on the submission port (RFC 4954).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/base64.h"
#include "base/internal_errors.h"
#include "base/log.h"
#include "net/blocking.h"
#include "smtp/server/session.h"

namespace pushmail::smtp {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr auto kMaxAuthDelay = std::chrono::seconds(30);

}  // namespace

awaitable<Session::Step> Session::Auth(std::string_view argument) {
  if (mode_ != Mode::kSubmission) {
    Queue(503, "5.5.1", "AUTH is offered on the submission port only");
  } else if (!esmtp_) {
    Queue(503, "5.5.1", "send EHLO first");
  } else if (account_) {
    Queue(503, "5.5.1", "already authenticated");
  } else if (mail_) {
    Queue(503, "5.5.1", "AUTH not allowed during a mail transaction");
  } else if (!AuthAllowed()) {
    Queue(538, "5.7.11", "encryption required: use STARTTLS first");
  } else if (auto auth = ParseAuth(argument); !auth) {
    Queue(auth.error());
  } else if (auth->mechanism == "PLAIN") {
    std::optional<std::string> response = auth->initial_response;
    if (!response) {
      Queue(334, "", "");
      response = co_await ReadAuthResponse();
    }
    if (response) {
      auto credentials = DecodePlain(*response == "=" ? "" : *response);
      if (!credentials) {
        Queue(credentials.error());
      } else {
        co_await CheckCredentials(*credentials);
      }
    }
  } else if (auth->mechanism == "LOGIN") {
    std::optional<std::string> user = auth->initial_response;
    if (!user) {
      Queue(334, "", EncodeBase64("Username:"));
      user = co_await ReadAuthResponse();
    }
    std::optional<std::string> password;
    if (user) {
      Queue(334, "", EncodeBase64("Password:"));
      password = co_await ReadAuthResponse();
    }
    if (user && password) {
      auto u = DecodeBase64(*user);
      auto p = DecodeBase64(*password);
      if (!u || !p) {
        Queue(501, "5.5.2", "cannot decode response");
      } else {
        // A named object: GCC 12 mishandles temporaries inside co_await expressions.
        PlainCredentials credentials{"", std::move(*u), std::move(*p)};
        co_await CheckCredentials(credentials);
      }
    }
  } else {
    Queue(504, "5.5.4", "unrecognized authentication type");
  }
  co_return Step::kContinue;
}

// The client's next SASL line, or nullopt after it cancelled ("*") or went away.
awaitable<std::optional<std::string>> Session::ReadAuthResponse() {
  auto line = co_await ReadLine();
  if (line && *line == "*") {
    Queue(501, "5.0.0", "authentication cancelled");
    co_return std::nullopt;
  }
  co_return line;
}

awaitable<void> Session::CheckCredentials(const PlainCredentials& credentials) {
  const auto& address = stream_.remote().address();
  unsigned earlier_failures = auth_failures_.Count(address);
  Result<store::AccountId> account = MakeError(Errc::kNotFound);
  // Acting for another user (a non-empty authzid that differs) is not supported.
  if (credentials.authzid.empty() || credentials.authzid == credentials.authcid) {
    account = co_await net::OnPool(context_.blocking, [&] {
      return context_.store.Authenticate(credentials.authcid, credentials.password);
    });
  }
  if (account) {
    account_ = *account;
    login_ = credentials.authcid;
    Queue(235, "2.7.0", "authentication successful");
    co_return;
  }
  if (account.error() != MakeError(Errc::kNotFound)) {
    // Not the client's fault (RFC 4954 6: 454 4.7.0 temporary authentication failure).
    CountInternalError(Surface::kSmtp);
    spdlog::error("smtp: cannot check the password of {}: {}", credentials.authcid,
                  account.error().message());
    Queue(454, "4.7.0", "temporary authentication failure, try again later");
    co_return;
  }
  auth_failures_.Fail(address);
  const auto& limits = context_.config.smtp;
  if (earlier_failures + 1 >= limits.auth_failures_before_delay) {
    // Each failure past the threshold costs the guesser more time, whatever connection it
    // comes on next.
    unsigned failures = earlier_failures + 1;
    auto delay = std::min<std::chrono::milliseconds>(
        limits.auth_failure_delay * (failures + 1 - limits.auth_failures_before_delay),
        kMaxAuthDelay);
    spdlog::info("smtp: delaying the AUTH reply to {} by {} ms after {} failures",
                 address.to_string(), delay.count(), failures);
    asio::steady_timer timer(stream_.executor(), delay);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  spdlog::info("smtp: authentication failed for {} from {}", credentials.authcid,
               address.to_string());
  BadCommand(Reply::Make(535, "5.7.8", "authentication credentials invalid"));
}

}  // namespace pushmail::smtp
