#pragma once
// One HTTPS connection to the server, with Boost.Beast: requests with keep-alive, a WebSocket
// (RFC 6455) and an EventSource stream. Every operation has a deadline. The calls block: each
// runs the connection's own io_context until its operation is done. Not thread-safe; one
// Connection per thread.
//
// Failures throw client::Failure: kUnreachable when there is no connection or it broke or went
// silent, kCertificate when the server's certificate did not verify (the message says how to
// pass --ca), kUsage for a URL that is not https://HOST[:PORT].

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "client/config.h"

namespace pushmail::client {

struct HttpResponse {
  unsigned status = 0;
  std::string content_type;
  std::string body;
};

class Connection {
 public:
  explicit Connection(const ServerOptions& server);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Sent as "Authorization: Bearer TOKEN" from now on; empty: no Authorization.
  void SetBearer(std::string token) { bearer_ = std::move(token); }
  const std::string& url() const { return url_; }

  // One request on the kept-alive connection; a connection the server had closed in between is
  // made again once. `target` is the path and query.
  HttpResponse Request(std::string_view method, std::string_view target, std::string_view body = {},
                       std::string_view content_type = {});

  // Upgrades a new connection to a WebSocket at `target` with subprotocol `protocol`. The
  // WebSocket pings the server after `idle` / 2 of silence and fails a read after `idle`.
  // Returns the HTTP status of the answer: 101 when the WebSocket is open; anything else (401,
  // 404 where there is no WebSocket) leaves no connection.
  unsigned OpenWebSocket(std::string_view target, std::string_view protocol,
                         std::chrono::seconds idle);
  void WebSocketWrite(std::string_view text);
  // The next text message.
  std::string WebSocketRead();

  // GETs `target` as text/event-stream on a new connection. Returns the HTTP status: 200 when
  // the stream is open; anything else leaves no connection.
  unsigned OpenEventStream(std::string_view target);
  // The next octets of the stream; fails when nothing arrives within `timeout`.
  std::string EventStreamRead(std::chrono::seconds timeout);

  // Ends whatever connection is open.
  void Close();

 private:
  struct Impl;
  void Connect();

  std::string url_, host_, port_, bearer_;
  ServerOptions server_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pushmail::client
