// STARTTLS (RFC 9051 6.2.1), COMPRESS (RFC 4978), ENABLE (RFC 5161) and ID (RFC 2971).
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::StartTls(const Request& r) {
  if (!context_.tls || stream_.tls()) {
    Tagged(r, "BAD", "STARTTLS is not available");
    co_return;
  }
  // Anything the client sent after STARTTLS was sent in the clear: discard it (RFC 9051 11.1,
  // the IMAP form of the STARTTLS command injection attack).
  in_.clear();
  Tagged(r, "OK", "Begin TLS negotiation now");
  bool ok = co_await Flush();
  if (ok) {
    net::Duration timeout = context_.config.imap.login_timeout;
    ok = !co_await stream_.StartTls(*context_.tls, timeout);
  }
  if (!ok) {
    state_ = State::kLogout;
    stream_.Close();
  }
}

asio::awaitable<void> Session::Compress(const Request& r) {
  if (deflate_) {
    Tagged(r, "NO", "[COMPRESSIONACTIVE] Already compressing");
    co_return;
  }
  if (std::get<imap::Compress>(r.args).mechanism != "DEFLATE") {
    Tagged(r, "BAD", "Only DEFLATE is offered");
    co_return;
  }
  auto deflate = std::make_unique<Deflate>();
  if (!deflate->ok()) {
    Tagged(r, "NO", "[SERVERBUG] Cannot start compression");
    co_return;
  }
  Tagged(r, "OK", "DEFLATE active");
  bool flushed = co_await Flush();  // the OK goes out uncompressed
  if (!flushed) co_return;
  deflate_ = std::move(deflate);
}

void Session::Enable(const Request& r) {
  std::string enabled;
  for (const auto& cap : std::get<imap::Enable>(r.args).capabilities) {
    bool ok = true;
    if (cap == "CONDSTORE") {
      condstore_ = true;
    } else if (cap == "QRESYNC") {
      qresync_ = condstore_ = true;
    } else if (cap == "UTF8=ACCEPT" || cap == "IMAP4REV2") {
      utf8_ = true;
    } else {
      ok = false;  // unknown capabilities are ignored (RFC 5161 3.1)
    }
    if (ok) enabled += " " + cap;
  }
  Send("* ENABLED" + enabled + "\r\n");
  Tagged(r, "OK", "ENABLE completed");
}

void Session::Id(const Request& r) {
  Send("* ID (\"name\" \"pushmail\" \"vendor\" \"pushmail\")\r\n");
  Tagged(r, "OK", "ID completed");
}

}  // namespace pushmail::imap
