#pragma once
// One SMTP connection. Lives on one worker as a coroutine; every member is touched only there,
// except RequestStop, which posts to it.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/listener.h"
#include "net/stream.h"
#include "smtp/protocol/protocol.h"
#include "smtp/server/server.h"

namespace pushmail::smtp {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Mode mode, const Context& context, net::FailureCounter& auth_failures,
          boost::asio::ip::tcp::socket socket, std::optional<net::IpLimiter::Slot> slot);

  // Runs the session to its end. Never throws for network input.
  boost::asio::awaitable<void> Run();
  // Asks the session to end at the next command boundary. Thread-safe.
  void RequestStop();
  // Closes the connection now. Thread-safe.
  void Abort();
  boost::asio::any_io_executor executor() { return stream_.executor(); }

 private:
  struct Recipient {
    store::AccountId account;
    std::string address;
  };
  enum class Step { kContinue, kClose };

  // I/O.
  boost::asio::awaitable<bool> Flush();
  void Queue(const Reply& reply) { out_ += reply.Format(); }
  void Queue(int code, std::string_view enhanced, std::string_view text) {
    Queue(Reply::Make(code, enhanced, text));
  }
  boost::asio::awaitable<bool> Fill(net::Duration timeout);
  boost::asio::awaitable<std::optional<std::string>> ReadLine();

  // Commands.
  boost::asio::awaitable<Step> Dispatch(const Command& command);
  void Helo(const Command& command);
  boost::asio::awaitable<void> Mail(std::string_view argument);
  boost::asio::awaitable<void> Rcpt(std::string_view argument);
  boost::asio::awaitable<Step> StartTls(std::string_view argument);
  boost::asio::awaitable<Step> Handshake();
  boost::asio::awaitable<Step> Auth(std::string_view argument);  // auth.cc
  boost::asio::awaitable<Step> Data();                           // data.cc
  boost::asio::awaitable<Step> Bdat(std::string_view argument);  // data.cc
  boost::asio::awaitable<void> Deliver(std::string body);        // data.cc
  void ReplyNotStored(std::string_view id, ErrorCode cause);     // data.cc
  std::optional<Reply> CanStartData() const;                     // data.cc
  void ResetTransaction();
  // Counts a bad command and queues `reply`, or 421 (and sets close_) once there were too many.
  bool BadCommand(const Reply& reply);

  boost::asio::awaitable<std::optional<std::string>> ReadAuthResponse();
  boost::asio::awaitable<void> CheckCredentials(const PlainCredentials& credentials);
  bool AuthAllowed() const { return stream_.tls() || IsLoopback(); }
  bool IsLoopback() const { return stream_.remote().address().is_loopback(); }
  std::string Greeting() const;

  Mode mode_;
  const Context& context_;
  net::FailureCounter& auth_failures_;
  net::Stream stream_;
  std::optional<net::IpLimiter::Slot> slot_;

  std::string in_;   // received, not yet consumed
  std::string out_;  // replies not yet written; flushed before every read (RFC 2920)
  LineSplitter lines_;
  unsigned bad_commands_ = 0;
  bool stop_requested_ = false;
  bool close_ = false;            // a limit was hit: close after the replies are written
  bool reading_command_ = false;  // waiting for the next command: safe to stop at once

  // Session state, reset by STARTTLS.
  std::string helo_;
  bool esmtp_ = false;
  std::optional<store::AccountId> account_;  // authenticated user
  std::string login_;

  // Transaction state, reset by RSET, HELO/EHLO and after each message.
  std::optional<MailFrom> mail_;
  std::vector<Recipient> recipients_;
  std::string chunks_;  // BDAT data so far
  bool in_bdat_ = false;
  bool bdat_failed_ = false;
};

}  // namespace pushmail::smtp
