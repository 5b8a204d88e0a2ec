#include "smtp/server/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "base/log.h"
#include "smtp/server/session.h"

namespace pushmail::smtp {

namespace asio = boost::asio;

Server::Server(Mode mode, Context context)
    : mode_(mode),
      context_(std::move(context)),
      limiter_(context_.config.smtp.max_connections_per_ip),
      auth_failures_(std::chrono::minutes(15)) {}

Server::~Server() = default;

Result<asio::ip::tcp::endpoint> Server::Listen(const asio::ip::tcp::endpoint& endpoint) {
  auto listener = net::Listener::Open(
      endpoint, context_.workers,
      [this](asio::ip::tcp::socket s, size_t worker) { Accept(std::move(s), worker); });
  if (!listener) return listener.error();
  listener_ = std::move(*listener);
  listener_->Start();
  return listener_->local();
}

void Server::Accept(asio::ip::tcp::socket socket, size_t /*worker*/) {
  boost::system::error_code ec;
  auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  auto session = sessions_.Make(mode_, context_, auth_failures_, std::move(socket),
                                limiter_.Acquire(remote.address()));
  asio::co_spawn(
      session->executor(),
      [session]() -> asio::awaitable<void> {
        try {
          co_await session->Run();
        } catch (const std::exception& e) {
          spdlog::error("smtp: session ended by exception: {}", e.what());
        }
      },
      asio::detached);
}

void Server::Abort() { sessions_.AbortAll(); }

void Server::Shutdown() {
  if (listener_) listener_->Stop();
  sessions_.StopAll();
}

}  // namespace pushmail::smtp
