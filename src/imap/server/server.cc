#include "imap/server/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "base/log.h"
#include "imap/server/change_reads.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

Server::Server(Context context)
    : context_(std::move(context)),
      limiter_(context_.config.imap.max_connections_per_ip),
      auth_failures_(std::chrono::minutes(15)) {
  for (size_t i = 0; i < context_.workers.size(); ++i) {
    reads_.push_back(std::make_unique<ChangeReads>(context_.store, context_.blocking));
  }
}

Server::~Server() {
  uint64_t reads = 0;
  for (const auto& r : reads_) reads += r->store_reads();
  if (reads > 0) spdlog::info("imap: {} store reads of mailbox changes", reads);
}

Result<asio::ip::tcp::endpoint> Server::Listen(const asio::ip::tcp::endpoint& endpoint,
                                               bool implicit_tls) {
  auto listener = net::Listener::Open(endpoint, context_.workers,
                                      [this, implicit_tls](asio::ip::tcp::socket s, size_t worker) {
                                        Accept(std::move(s), worker, implicit_tls);
                                      });
  if (!listener) return listener.error();
  (*listener)->Start();
  auto local = (*listener)->local();
  listeners_.push_back(std::move(*listener));
  return local;
}

void Server::Accept(asio::ip::tcp::socket socket, size_t worker, bool implicit_tls) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto session = sessions_.Make(context_, *reads_[worker], auth_failures_, std::move(socket),
                                worker, limiter_.Acquire(remote.address()), implicit_tls);
  session->Start();
}

void Server::Abort() { sessions_.AbortAll(); }

void Server::Shutdown() {
  for (auto& l : listeners_) l->Stop();
  sessions_.StopAll();
}

}  // namespace pushmail::imap
