#pragma once
// The HTTP side of Web Push (RFC 8030 5): POSTs a push message to a push resource, over
// connections kept per push service origin. Redirects are not followed (a 3xx is an answer like
// any other), response bodies are read up to 64 KiB and dropped.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "base/config.h"
#include "webpush/protocol/push_url.h"

namespace pushmail::webpush {

struct PushRequest {
  std::string body;
  std::string content_encoding;  // "aes128gcm", or empty for a plain JSON body
  std::string authorization;     // the VAPID header value
  std::chrono::seconds ttl{0};
  std::string urgency = "normal";  // RFC 8030 5.3
  std::string topic;               // RFC 8030 5.4: a newer push replaces an undelivered one
};

struct PushResponse {
  int status = 0;                       // 0: no answer (see error)
  std::chrono::seconds retry_after{0};  // Retry-After in seconds, when given
  std::string error;                    // why there was no answer
  bool refused = false;                 // never sent: the URL's addresses are not allowed
};

class PushClient {
 public:
  // Everything runs on `executor` (one worker): call Post and Close there only.
  PushClient(boost::asio::any_io_executor executor, const WebPushLimits& limits);
  ~PushClient();
  PushClient(const PushClient&) = delete;
  PushClient& operator=(const PushClient&) = delete;

  // POSTs `request` to `url`. https certificates are checked against the system's CAs and the
  // host name. An https host that resolves only to loopback, private or link-local addresses is
  // refused unless limits.allow_private_addresses. A kept connection that the service closed
  // meanwhile is retried once on a new one.
  boost::asio::awaitable<PushResponse> Post(const PushUrl& url, const PushRequest& request);

  // Closes the kept connections and cancels the requests in progress (they answer status 0).
  void Close();

 private:
  struct Connection;
  // Requests in flight to one origin (at most limits.max_connections) and those waiting.
  struct Slots {
    unsigned busy = 0;
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiting;
  };
  boost::asio::awaitable<bool> Acquire(const std::string& origin);  // false: closing
  void Release(const std::string& origin);
  boost::asio::awaitable<PushResponse> Send(
      const PushUrl& url, boost::beast::http::request<boost::beast::http::string_body>& request);
  boost::asio::awaitable<std::unique_ptr<Connection>> Connect(const PushUrl& url,
                                                              PushResponse& failure);
  std::unique_ptr<Connection> TakeIdle(const std::string& origin);
  void Keep(const std::string& origin, std::unique_ptr<Connection> connection);

  boost::asio::any_io_executor executor_;
  const WebPushLimits& limits_;
  boost::asio::ssl::context tls_;
  bool closed_ = false;
  std::map<std::string, std::deque<std::unique_ptr<Connection>>> idle_;  // by origin
  std::set<Connection*> busy_;          // connections with a request in progress
  std::map<std::string, Slots> slots_;  // by origin
};

// Whether a push to an https URL may go to `address`: not loopback, private (RFC 1918, RFC 4193,
// RFC 6598), link-local, unspecified or multicast.
bool IsPublicAddress(const boost::asio::ip::address& address);

}  // namespace pushmail::webpush
