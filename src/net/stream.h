#pragma once
// A connection's byte stream: plain TCP that can turn into TLS in place (STARTTLS) or start
// as TLS (implicit TLS ports). Every read and write has a deadline. Errors come back as
// values; nothing here throws for a network failure.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <memory>

#include "base/result.h"

namespace pushmail::net {

using Duration = std::chrono::steady_clock::duration;

class Stream {
 public:
  explicit Stream(boost::asio::ip::tcp::socket socket);
  Stream(Stream&&) = default;
  Stream& operator=(Stream&&) = default;

  // Reads what is available (at least one octet) into `buffer`. On a timeout the error is
  // boost::asio::error::timed_out; 0 with no error never happens.
  boost::asio::awaitable<Result<size_t>> ReadSome(boost::asio::mutable_buffer buffer,
                                                  Duration timeout);
  // Writes all of `data`.
  boost::asio::awaitable<ErrorCode> Write(boost::asio::const_buffer data, Duration timeout);
  // Runs the server side of a TLS handshake over the connection; afterwards reads and writes
  // are encrypted.
  boost::asio::awaitable<ErrorCode> StartTls(boost::asio::ssl::context& context, Duration timeout);

  bool tls() const { return tls_ != nullptr; }
  // Negotiated protocol and cipher, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"; empty without TLS.
  std::string TlsDescription() const;
  const boost::asio::ip::tcp::endpoint& remote() const { return remote_; }
  const boost::asio::ip::tcp::endpoint& local() const { return local_; }
  boost::asio::any_io_executor executor();
  // Closes the socket at once; pending operations finish with operation_aborted.
  void Close();
  // Cancels pending operations (they finish with operation_aborted); the stream stays open.
  void Cancel();

 private:
  boost::asio::ip::tcp::socket& socket();

  boost::asio::ip::tcp::socket plain_;
  std::unique_ptr<boost::asio::ssl::stream<boost::asio::ip::tcp::socket>> tls_;
  boost::asio::ip::tcp::endpoint remote_;
  boost::asio::ip::tcp::endpoint local_;
};

}  // namespace pushmail::net
