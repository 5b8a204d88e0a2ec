// AUTHENTICATE PLAIN with SASL-IR (RFC 9051 6.2.2, RFC 4959, RFC 4616).
#include "base/base64.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

struct Plain {
  std::string user, password;
};

// message = [authzid] NUL authcid NUL passwd (RFC 4616 2). An authzid other than the user is
// refused: pushmail has no proxy logins.
std::optional<Plain> DecodePlain(std::string_view text) {
  size_t first = text.find('\0');
  if (first == std::string_view::npos) return std::nullopt;
  size_t second = text.find('\0', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  Plain p{std::string(text.substr(first + 1, second - first - 1)),
          std::string(text.substr(second + 1))};
  std::string_view authzid = text.substr(0, first);
  if (p.user.empty() || (!authzid.empty() && authzid != p.user)) return std::nullopt;
  return p;
}

}  // namespace

asio::awaitable<void> Session::Authenticate(const Request& r) {
  const auto& auth = std::get<imap::Authenticate>(r.args);
  if (auth.mechanism != "PLAIN") {
    Tagged(r, "NO", "Unsupported mechanism; use PLAIN");
    co_return;
  }
  if (!stream_.tls() && !stream_.remote().address().is_loopback()) {
    Tagged(r, "NO", "[PRIVACYREQUIRED] Use STARTTLS first");
    co_return;
  }
  std::string response;
  if (auth.initial_response) {
    auto decoded = DecodeBase64(*auth.initial_response);
    if (!decoded) {
      Tagged(r, "BAD", "Invalid base64");
      co_return;
    }
    response = std::move(*decoded);
  } else {
    Send("+ \r\n");
    reader_.SetLineMode(true);
    auto line = co_await NextLine(context_.config.imap.login_timeout);
    reader_.SetLineMode(false);
    if (!line) {
      state_ = State::kLogout;
      co_return;
    }
    auto parsed = ParseSaslResponse(*line);
    if (!parsed) {
      Tagged(r, "BAD", parsed.error().text);
      co_return;
    }
    if (!*parsed) {
      Tagged(r, "BAD", "Authentication cancelled");
      co_return;
    }
    response = std::move(**parsed);
  }
  auto plain = DecodePlain(response);
  if (!plain) {
    Tagged(r, "NO", "[AUTHENTICATIONFAILED] Malformed PLAIN response");
    co_return;
  }
  auto account = co_await Blocking(
      [this, &plain] { return context_.store.Authenticate(plain->user, plain->password); });
  co_await LoggedIn(r, account, plain->user);
}

}  // namespace pushmail::imap
