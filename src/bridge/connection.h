#pragma once
// One client connection to an upstream IMAP server: connect (plain or implicit TLS), send
// tagged commands, read responses. Runs on one worker; one command at a time.
//
// Errors are values: a network failure, a timeout, a response that does not parse or a BYE all
// end the connection (the session reconnects). A tagged NO or BAD is not an error here: the
// caller gets the tagged response and decides.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <string>

#include "base/result.h"
#include "bridge/response.h"
#include "bridge/url.h"
#include "imap/protocol/reader.h"
#include "net/stream.h"

namespace pushmail::bridge {

// The outcome of one tagged command: its status line, copied out of the read buffer.
struct Tagged {
  std::string status;  // OK, NO or BAD
  std::string code;
  std::string text;
  bool Ok() const { return status == "OK"; }
};

class Connection {
 public:
  using Untagged = std::function<void(const Response&)>;

  // Connects and reads the greeting. kUnavailable when the greeting is BYE.
  static boost::asio::awaitable<Result<std::unique_ptr<Connection>>> Open(
      boost::asio::any_io_executor executor, const UpstreamUrl& url, boost::asio::ssl::context* tls,
      uint64_t max_message);

  // Sends "<tag> <command>" and reads responses until its tagged one, handing every untagged
  // response to `untagged` on the way. `command` is sent as given (the caller quotes).
  boost::asio::awaitable<Result<Tagged>> Run(const std::string& command, const Untagged& untagged);
  // Run in two halves, for IDLE: Start sends the command and returns its tag; Finish reads
  // until the tagged response.
  boost::asio::awaitable<Result<std::string>> Start(const std::string& command);
  boost::asio::awaitable<Result<Tagged>> Finish(const std::string& tag, const Untagged& untagged);
  // Sends one raw line ("DONE") with CRLF.
  boost::asio::awaitable<ErrorCode> SendLine(const std::string& line);
  // Reads the next response (whatever it is) and hands it to `fn`; a continuation included.
  boost::asio::awaitable<ErrorCode> ReadOne(const Untagged& fn, net::Duration timeout);
  // Waits until the server sends something, holding no read buffer (IDLE). timed_out after
  // `timeout`; operation_aborted after Cancel().
  boost::asio::awaitable<ErrorCode> WaitReadable(net::Duration timeout);
  // The same with a callback, so that a waiting session keeps no coroutine frame. `done`
  // (ErrorCode) runs on the connection's executor and must keep its owner alive.
  template <class Done>
  void AsyncWaitReadable(net::Duration timeout, Done done) {
    if (!input_.empty()) {
      boost::asio::post(stream_->executor(), [done = std::move(done)]() mutable { done({}); });
      return;
    }
    stream_->AsyncWaitReadable(timeout, std::move(done));
  }
  // Makes a pending wait or read end with operation_aborted. Same worker only.
  void Cancel() { stream_->Cancel(); }
  void Close() { stream_->Close(); }
  // Frees the read buffer when nothing is half-read (before a long wait).
  void ReleaseMemory();

  // Whether upstream announced `capability` (from the greeting, a CAPABILITY response or
  // code). Only the capabilities in kKnown are remembered (a bit each, not the whole list):
  // others are never asked about.
  bool Has(std::string_view capability) const;
  void SetCapabilities(const Response& r);
  static constexpr std::string_view kKnown[] = {
      "IMAP4REV1", "IMAP4REV2", "LOGINDISABLED", "CONDSTORE", "ENABLE",
      "ESEARCH",   "NOTIFY",    "UIDPLUS",       "LITERAL+",  "MOVE"};

  Connection(std::unique_ptr<net::Stream> stream, uint64_t max_message);

 private:
  boost::asio::awaitable<ErrorCode> Write(const std::string& data);
  // Reads until one whole response is framed; `text` views the reader's buffer.
  boost::asio::awaitable<Result<std::string_view>> NextFrame(net::Duration timeout);
  void TakeCapabilities(std::string_view words);

  std::unique_ptr<net::Stream> stream_;
  uint64_t max_message_;  // UpstreamLimits(max_message_): the reader keeps its own copy
  imap::CommandReader reader_;
  std::string input_;          // octets read and not yet framed
  size_t used_ = 0;            // of input_, by the frame handed out last
  uint16_t capabilities_ = 0;  // a bit per entry of kKnown
  uint64_t next_tag_ = 1;
};

}  // namespace pushmail::bridge
