#include "smtp/server/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/internal_errors.h"
#include "base/log.h"
#include "base/strings.h"
#include "net/blocking.h"

namespace pushmail::smtp {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr net::Duration kWriteTimeout = std::chrono::seconds(60);
constexpr size_t kReadChunk = size_t{16} * 1024;

}  // namespace

Session::Session(Mode mode, const Context& context, net::FailureCounter& auth_failures,
                 asio::ip::tcp::socket socket, std::optional<net::IpLimiter::Slot> slot)
    : mode_(mode),
      context_(context),
      auth_failures_(auth_failures),
      stream_(std::move(socket)),
      slot_(std::move(slot)),
      lines_(context.config.smtp.max_line) {}

void Session::RequestStop() {
  asio::post(stream_.executor(), [self = shared_from_this()] {
    self->stop_requested_ = true;
    if (self->reading_command_) self->stream_.Cancel();
  });
}

void Session::Abort() {
  asio::post(stream_.executor(), [self = shared_from_this()] { self->stream_.Close(); });
}

std::string Session::Greeting() const { return context_.config.hostname + " ESMTP pushmail"; }

awaitable<void> Session::Run() {
  if (!slot_) {
    Queue(421, "4.7.0", context_.config.hostname + " too many connections from your address");
    co_await Flush();
    stream_.Close();
    co_return;
  }
  Queue(220, "", Greeting());
  for (;;) {
    auto line = co_await ReadLine();
    if (!line) break;
    auto command = ParseCommand(*line);
    Step step = Step::kContinue;
    if (!command) {
      BadCommand(command.error());
    } else {
      step = co_await Dispatch(*command);
    }
    if (step == Step::kClose || close_) break;
    if (stop_requested_ && in_.empty()) {
      Queue(421, "4.3.2", context_.config.hostname + " shutting down");
      break;
    }
  }
  co_await Flush();
  stream_.Close();
}

awaitable<bool> Session::Flush() {
  if (out_.empty()) co_return true;
  std::string data = std::move(out_);
  out_.clear();
  co_return !co_await stream_.Write(asio::buffer(data), kWriteTimeout);
}

awaitable<bool> Session::Fill(net::Duration timeout) {
  bool flushed = co_await Flush();
  if (!flushed) co_return false;
  // A stop requested while the flush was suspended found nothing to cancel: look again now,
  // since nothing can run between this check and the read starting.
  if (stop_requested_ && reading_command_) co_return false;
  size_t old = in_.size();
  in_.resize(old + kReadChunk);
  auto n = co_await stream_.ReadSome(asio::buffer(in_.data() + old, kReadChunk), timeout);
  in_.resize(old + (n ? *n : 0));
  if (!n) {
    if (n.error() == asio::error::timed_out) {
      Queue(421, "4.4.2", context_.config.hostname + " timeout, closing");
      co_await Flush();
    }
    co_return false;
  }
  co_return true;
}

// The next command line, or nullopt when the connection ended (or the session must stop).
awaitable<std::optional<std::string>> Session::ReadLine() {
  for (;;) {
    auto r = lines_.Next(in_);
    if (r.status == LineSplitter::Status::kLine) {
      std::string line(r.line);
      in_.erase(0, r.consumed);
      co_return line;
    }
    in_.erase(0, r.consumed);
    if (r.status == LineSplitter::Status::kTooLong) {
      if (BadCommand(Reply::Make(500, "5.5.2", "line too long"))) co_return std::nullopt;
      continue;
    }
    if (stop_requested_) {
      Queue(421, "4.3.2", context_.config.hostname + " shutting down");
      co_return std::nullopt;
    }
    reading_command_ = true;
    bool ok = co_await Fill(context_.config.smtp.command_timeout);
    reading_command_ = false;
    if (!ok) {
      if (stop_requested_) Queue(421, "4.3.2", context_.config.hostname + " shutting down");
      co_return std::nullopt;
    }
  }
}

bool Session::BadCommand(const Reply& reply) {
  if (++bad_commands_ < context_.config.smtp.max_bad_commands) {
    Queue(reply);
    return false;
  }
  Queue(421, "4.7.0", context_.config.hostname + " too many errors, closing");
  close_ = true;
  return true;
}

void Session::ResetTransaction() {
  mail_.reset();
  recipients_.clear();
  chunks_.clear();
  in_bdat_ = false;
  bdat_failed_ = false;
}

awaitable<Session::Step> Session::Dispatch(const Command& command) {
  if (command.verb != Verb::kUnknown) bad_commands_ = 0;
  switch (command.verb) {
    case Verb::kHelo:
    case Verb::kEhlo:
      Helo(command);
      break;
    case Verb::kMail:
      co_await Mail(command.argument);
      break;
    case Verb::kRcpt:
      co_await Rcpt(command.argument);
      break;
    case Verb::kData:
      co_return co_await Data();
    case Verb::kBdat:
      co_return co_await Bdat(command.argument);
    case Verb::kRset:
      ResetTransaction();
      Queue(250, "2.0.0", "Ok");
      break;
    case Verb::kNoop:
      Queue(250, "2.0.0", "Ok");
      break;
    case Verb::kQuit:
      Queue(221, "2.0.0", context_.config.hostname + " closing connection");
      co_return Step::kClose;
    case Verb::kVrfy:
      Queue(252, "2.5.0", "Cannot VRFY user, but will accept message and attempt delivery");
      break;
    case Verb::kExpn:
      Queue(502, "5.5.1", "EXPN not supported");
      break;
    case Verb::kHelp:
      Queue(214, "2.0.0", "pushmail: see RFC 5321 for the commands");
      break;
    case Verb::kStartTls:
      co_return co_await StartTls(command.argument);
    case Verb::kAuth:
      co_return co_await Auth(command.argument);
    case Verb::kUnknown:
      BadCommand(Reply::Make(500, "5.5.1", "command not recognized"));
      break;
  }
  co_return Step::kContinue;
}

void Session::Helo(const Command& command) {
  auto name = ParseHelo(command.argument);
  if (!name) {
    Queue(name.error());
    return;
  }
  ResetTransaction();
  helo_ = *name;
  esmtp_ = command.verb == Verb::kEhlo;
  std::string hello = context_.config.hostname + " Hello " + helo_ + " [" +
                      stream_.remote().address().to_string() + "]";
  if (!esmtp_) {
    Queue(250, "", hello);
    return;
  }
  Reply reply{250, "", {hello}};
  reply.lines.emplace_back("PIPELINING");
  reply.lines.emplace_back("SIZE " + std::to_string(context_.config.smtp.max_message_size));
  reply.lines.emplace_back("8BITMIME");
  reply.lines.emplace_back("BINARYMIME");
  reply.lines.emplace_back("CHUNKING");
  reply.lines.emplace_back("SMTPUTF8");
  reply.lines.emplace_back("ENHANCEDSTATUSCODES");
  if (context_.tls && !stream_.tls()) reply.lines.emplace_back("STARTTLS");
  if (mode_ == Mode::kSubmission && !account_ && AuthAllowed()) {
    reply.lines.emplace_back("AUTH PLAIN LOGIN");
  }
  Queue(reply);
}

awaitable<void> Session::Mail(std::string_view argument) {
  if (helo_.empty()) {
    Queue(503, "5.5.1", "send HELO or EHLO first");
    co_return;
  }
  if (mail_) {
    Queue(503, "5.5.1", "sender already given");
    co_return;
  }
  if (mode_ == Mode::kSubmission && !account_) {
    Queue(530, "5.7.0", "authentication required");
    co_return;
  }
  auto mail = ParseMailFrom(argument);
  if (!mail) {
    Queue(mail.error());
    co_return;
  }
  if (mail->size && *mail->size > context_.config.smtp.max_message_size) {
    Queue(552, "5.3.4", "message size exceeds fixed maximum message size");
    co_return;
  }
  if ((mail->smtputf8 || mail->body != BodyType::k7Bit) && !esmtp_) {
    Queue(503, "5.5.1", "parameters need EHLO");
    co_return;
  }
  if (mode_ == Mode::kSubmission) {
    // A user may send only as one of their own addresses.
    std::string sender = mail->path.ToString();
    auto owner = co_await net::OnPool(context_.blocking,
                                      [&] { return context_.store.FindRecipient(sender); });
    if (mail->path.IsNull() || !owner || *owner != *account_) {
      Queue(553, "5.7.1", "<" + sender + ">: sender address not owned by " + login_);
      co_return;
    }
  }
  mail_ = std::move(*mail);
  Queue(250, "2.1.0", "Ok");
}

awaitable<void> Session::Rcpt(std::string_view argument) {
  if (!mail_) {
    Queue(503, "5.5.1", "need MAIL before RCPT");
    co_return;
  }
  if (in_bdat_) {
    Queue(503, "5.5.1", "RCPT not allowed during BDAT");
    co_return;
  }
  auto rcpt = ParseRcptTo(argument, mail_->smtputf8);
  if (!rcpt) {
    Queue(rcpt.error());
    co_return;
  }
  if (recipients_.size() >= context_.config.smtp.max_recipients) {
    Queue(452, "4.5.3", "too many recipients");
    co_return;
  }
  Address& to = rcpt->path;
  if (to.domain.empty()) to.domain = context_.config.domains.front();  // <postmaster>
  std::string address = to.ToString();
  if (!IsLocalDomain(context_.config, to.domain)) {
    if (mode_ == Mode::kSubmission) {
      Queue(
          550, "5.7.1",
          "<" + address + ">: delivery to other domains is not supported yet (no outbound relay)");
      co_return;
    }
    {
      Queue(550, "5.7.1", "<" + address + ">: relay access denied");
      co_return;
    }
  }
  std::string key = AsciiLower(to.local) + "@" + AsciiLower(to.domain);
  Result<store::AccountId> account = MakeError(Errc::kNotFound);
  if (auto cached = context_.store.CachedRecipient(key)) {
    account = *cached;  // no thread hop for the addresses that get mail all the time
  } else {
    account =
        co_await net::OnPool(context_.blocking, [&] { return context_.store.FindRecipient(key); });
  }
  if (!account) {
    if (account.error() == MakeError(Errc::kNotFound)) {
      Queue(550, "5.1.1", "<" + address + ">: recipient address rejected: user unknown");
      co_return;
    }
    {
      CountInternalError(Surface::kSmtp);
      spdlog::error("smtp: cannot look up recipient <{}>: {}", address, account.error().message());
      Queue(451, "4.3.0", "temporary failure looking up recipient, try again later");
      co_return;
    }
  }
  recipients_.push_back({*account, address});
  Queue(250, "2.1.5", "Ok");
}

awaitable<Session::Step> Session::StartTls(std::string_view argument) {
  if (!argument.empty()) {
    Queue(501, "5.5.4", "STARTTLS takes no arguments");
  } else if (stream_.tls()) {
    Queue(503, "5.5.1", "TLS already active");
  } else if (!context_.tls) {
    Queue(454, "4.7.0", "TLS not available");
  } else {
    co_return co_await Handshake();
  }
  co_return Step::kContinue;
}

awaitable<Session::Step> Session::Handshake() {
  Queue(220, "2.0.0", "Ready to start TLS");
  bool flushed = co_await Flush();
  if (!flushed) co_return Step::kClose;
  // Anything the client pipelined after STARTTLS was sent in the clear and could have been
  // injected by a man in the middle: it is dropped, never executed (RFC 3207 5, CVE-2011-0411).
  in_.clear();
  lines_ = LineSplitter(context_.config.smtp.max_line);
  ErrorCode ec = co_await stream_.StartTls(*context_.tls, context_.config.smtp.command_timeout);
  if (ec) {
    spdlog::debug("smtp: TLS handshake with {} failed: {}", stream_.remote().address().to_string(),
                  ec.message());
    co_return Step::kClose;
  }
  // The session starts over (RFC 3207 4.2).
  helo_.clear();
  esmtp_ = false;
  account_.reset();
  login_.clear();
  ResetTransaction();
  co_return Step::kContinue;
}

}  // namespace pushmail::smtp
