#pragma once
// The IMAP server (RFC 9051 with RFC 3501 compatibility). A session lives on one worker as a
// coroutine; its selected mailbox is kept current from the hub: IDLE is pushed the moment a
// change commits, with no polling.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "base/config.h"
#include "hub/hub.h"
#include "net/listener.h"
#include "net/sessions.h"
#include "net/workers.h"
#include "store/store.h"

namespace pushmail::imap {

// What sessions share. Everything outlives the Server.
struct Context {
  const Config& config;
  store::Store& store;
  hub::Hub& hub;
  net::Workers& workers;
  boost::asio::thread_pool& blocking;              // store reads and writes, password checks
  boost::asio::thread_pool& upstream;              // writes of bridged accounts (they wait)
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: no STARTTLS / IMAPS
};

class Session;
class ChangeReads;

class Server {
 public:
  explicit Server(Context context);
  ~Server();

  // Binds `endpoint` and starts accepting; `implicit_tls` for IMAPS. Returns the bound address.
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint,
                                                bool implicit_tls);
  // Stops accepting and tells every session "* BYE" at its next safe point.
  void Shutdown();
  // Closes every session's connection now.
  void Abort();
  // Sessions not yet destroyed.
  size_t ActiveSessions() { return sessions_.Count(); }

 private:
  void Accept(boost::asio::ip::tcp::socket socket, size_t worker, bool implicit_tls);

  Context context_;
  net::IpLimiter limiter_;
  net::FailureCounter auth_failures_;
  std::vector<std::unique_ptr<net::Listener>> listeners_;
  std::vector<std::unique_ptr<ChangeReads>> reads_;  // one per worker
  net::Sessions<Session> sessions_;
};

}  // namespace pushmail::imap
