#pragma once
// One HTTP connection. Lives on one worker; every member is touched only there, except
// RequestStop and Abort, which post to it.
//
// Requests are served one at a time (HTTP/1.1 keep-alive; pipelined requests wait their turn).
// Between requests the connection holds no read buffer. A GET of the event source turns the
// connection into a push stream for the rest of its life: it subscribes to the hub, answers,
// and hibernates; the hub's notification writes StateChange events (eventsource.cc).

#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "http/push_texts.h"
#include "http/request_reader.h"
#include "http/response.h"
#include "http/server.h"
#include "http/websocket.h"
#include "jmap/push.h"
#include "jmap/websocket.h"
#include "net/blocking.h"
#include "net/stream.h"

namespace pushmail::http {

enum class Endpoint {
  kHealth,
  kMetrics,
  kSession,
  kApi,
  kEventSource,
  kDownload,
  kUpload,
  kWebSocket,
  kLogin,
  kLogout,
  kEventSourceToken,
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Server& server, boost::asio::ip::tcp::socket socket, size_t worker,
          std::optional<net::IpLimiter::Slot> slot);
  ~Session();

  void Start();
  void RequestStop();  // thread-safe
  void Abort();        // thread-safe

 private:
  // What a handled request leaves the connection to do.
  enum class Next { kContinue, kClose, kStreaming };

  boost::asio::awaitable<void> Run();
  // The request loop; returns when the connection is closed or has become a push stream.
  boost::asio::awaitable<void> Serve();
  void Spawn(boost::asio::awaitable<void> work);

  // I/O (session.cc).
  // The next whole request, or nullopt when the connection is over (an error response for a
  // bad request has been written by then).
  boost::asio::awaitable<std::optional<Request>> ReadRequest();
  boost::asio::awaitable<bool> ReadMore(net::Duration timeout);
  // Writes `response`; false when the connection must close after it.
  boost::asio::awaitable<bool> Send(Response& response, const Request& request);
  boost::asio::awaitable<bool> Flush();  // writes out_; one write at a time

  // Routing (routes.cc).
  boost::asio::awaitable<Next> Handle(Request& request);
  std::optional<Response> Route(const Request& request, Endpoint& endpoint, std::string& query);
  Response WebFile(const Request& request, std::string_view path);
  // The authenticated account, or nullopt after answering 401.
  boost::asio::awaitable<std::optional<jmap::Principal>> Authenticate(const Request& request);
  boost::asio::awaitable<Next> SessionResource(const Request& request);
  boost::asio::awaitable<Next> Api(Request& request);
  boost::asio::awaitable<Next> Reply(Response& response, const Request& request);
  // Blobs (blobs.cc).
  boost::asio::awaitable<Next> Upload(Request& request);
  boost::asio::awaitable<Next> Download(const Request& request);

  // EventSource (eventsource.cc).
  boost::asio::awaitable<Next> EventSource(const Request& request, std::string_view query);
  class HubLink : public hub::Subscriber {
   public:
    HubLink(Session& session, size_t worker, store::AccountId account)
        : Subscriber(worker, account), session_(session) {}

   private:
    void OnNotify() override { session_.OnNotify(); }
    void OnOverflow() override { session_.OnOverflow(); }
    Session& session_;
  };
  // Writes the hub's pending events: at once when the socket takes them (no coroutine, no
  // operation: the usual case), else through Push.
  void OnNotify();
  void OnOverflow();
  // The push event for `event` on this stream (EventSource event or WebSocket frame), or empty;
  // shared with the worker's other streams, valid until the next call.
  const std::string& PushEvent(const hub::Event& event);
  // Appends the hub's pending events that are new to this stream to `into`; returns how many,
  // and lowers `committed` to the oldest one's commit time.
  unsigned TakeEvents(std::string& into, std::chrono::steady_clock::time_point& committed);
  // Writes `data` without waiting and puts what is left in out_; true when nothing is left to
  // write (or the stream failed).
  bool WriteNow(std::string_view data);
  // `events` (committed at `committed`) are written: metrics, ping clock, closeafter=state.
  void Pushed(unsigned events, std::chrono::steady_clock::time_point committed);
  // Writes `events` already in out_, then any that come meanwhile.
  boost::asio::awaitable<void> Push(unsigned events,
                                    std::chrono::steady_clock::time_point committed);
  // Waits for the client to close (or for the next ping) with no coroutine frame.
  void Hibernate();
  boost::asio::awaitable<void> Wake(ErrorCode woke);
  void CloseStream();

  // WebSocket (websocket_session.cc): RFC 6455 framing, RFC 8887 messages. Between messages
  // the connection hibernates like an EventSource stream.
  boost::asio::awaitable<Next> WebSocket(const Request& request);
  std::optional<Response> CheckUpgrade(const Request& request);
  void WsHibernate();
  boost::asio::awaitable<void> WsWake(ErrorCode woke);
  // Reads (first, when `read_first`) and handles messages until no partial frame is left;
  // false when the connection is over.
  boost::asio::awaitable<bool> WsRead(bool read_first);
  boost::asio::awaitable<bool> WsEvent(ws::Event& event);
  boost::asio::awaitable<bool> WsMessage(const std::string& text);
  boost::asio::awaitable<bool> WsPushEnable(jmap::WsPushEnable enable);
  // Where the account stands now, as a StateChange from `pushState` (RFC 8887 4.3.5.2), sent
  // at once when the client is behind.
  boost::asio::awaitable<bool> WsCatchUp(const store::StateChange& now, std::string_view then);
  void WsPushDisable();
  boost::asio::awaitable<bool> WsSend(std::string_view text);
  boost::asio::awaitable<void> WsClose(uint16_t code, std::string_view reason = {});

  // Tokens (tokens.cc): login, logout and the signed EventSource URL.
  boost::asio::awaitable<Next> Login(Request& request);
  boost::asio::awaitable<Next> Logout(const Request& request);
  boost::asio::awaitable<Next> EventSourceToken(const Request& request);
  // A signed EventSource token for `who` when `request` authenticated with a Bearer token (a
  // client that may be a browser); empty otherwise, or when the server cannot sign.
  std::string EventSourceTokenFor(const Request& request, const jmap::Principal& who) const;
  // The account a signed EventSource token in `query` names, or nullopt (401 written). A token
  // that fails with an Authorization header present leaves it to the header.
  boost::asio::awaitable<std::optional<jmap::Principal>> AuthenticateQuery(const Request& request,
                                                                           std::string_view query);
  boost::asio::awaitable<void> SlowDownFailure();

  Server& server_;
  const HttpLimits& limits_;
  net::Stream stream_;
  std::optional<net::IpLimiter::Slot> slot_;
  size_t worker_;
  Metrics::Kind kind_ = Metrics::Kind::kHttp;

  std::string in_;   // received, not yet parsed; released between requests
  std::string out_;  // not yet written
  bool writing_ = false;
  bool reading_ = false;  // waiting for a request or hibernating: a stop may cancel at once
  bool stop_requested_ = false;
  bool closed_ = false;
  bool first_request_ = true;

  // Push stream state (EventSource, or WebSocket with push enabled).
  std::unique_ptr<HubLink> link_;
  jmap::EventSourceOptions options_;  // a WebSocket's wanted types are options_.types
  uint64_t pushed_seq_ = 0;           // the latest push sequence the stream has covered
  bool streaming_ = false;            // the response header is written: events may follow
  bool pushing_ = false;              // a Push coroutine is running
  std::chrono::steady_clock::time_point last_event_;  // for ping

  // WebSocket state, after an upgrade. An idle WebSocket holds no more than this: no frame
  // receiver (it lives in WsRead while a message comes), no copy of the login (the account is
  // enough to answer; the login is read per request) and no copy of its pushState.
  bool websocket_ = false;
  bool ws_deflate_ = false;  // permessage-deflate was negotiated
  bool push_on_ = false;     // WebSocketPushEnable is in force
  bool ping_sent_ = false;   // and nothing heard since: the next timeout closes
  store::AccountId ws_account_ = 0;
  std::chrono::steady_clock::time_point last_message_;  // for the idle timeout without push
};

}  // namespace pushmail::http
