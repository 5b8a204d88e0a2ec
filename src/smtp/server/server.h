#pragma once
// SMTP intake. A message is acknowledged (250) only after the store has committed and synced
// it; the store's group commit lets many sessions share that fsync.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <memory>

#include "base/config.h"
#include "net/listener.h"
#include "net/sessions.h"
#include "net/workers.h"
#include "store/store.h"

namespace pushmail::smtp {

enum class Mode {
  kInbound,     // port 25: mail for local domains from anyone, no relay
  kSubmission,  // port 587: authenticated users (after STARTTLS unless on loopback)
};

// What sessions share. Everything outlives the Server.
struct Context {
  const Config& config;
  store::Store& store;
  net::Workers& workers;
  boost::asio::thread_pool& blocking;              // store reads, MIME parsing, password checks
  std::shared_ptr<boost::asio::ssl::context> tls;  // null: no STARTTLS
};

class Session;

class Server {
 public:
  Server(Mode mode, Context context);
  ~Server();

  // Binds `endpoint` and starts accepting. Returns the bound address.
  Result<boost::asio::ip::tcp::endpoint> Listen(const boost::asio::ip::tcp::endpoint& endpoint);
  // Stops accepting and asks every session to finish: one waiting for a command is told
  // "421 shutting down" at once; one receiving or storing a message finishes it first.
  void Shutdown();
  // Closes every session's connection now (after Shutdown's grace period).
  void Abort();
  // Sessions not yet destroyed.
  size_t ActiveSessions() { return sessions_.Count(); }

 private:
  void Accept(boost::asio::ip::tcp::socket socket, size_t worker);

  Mode mode_;
  Context context_;
  net::IpLimiter limiter_;
  net::FailureCounter auth_failures_;
  std::unique_ptr<net::Listener> listener_;
  net::Sessions<Session> sessions_;
};

}  // namespace pushmail::smtp
