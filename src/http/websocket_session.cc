// JMAP over WebSocket (RFC 8887) on an upgraded connection. The frame codec is our own
// (websocket.h) rather than Beast's websocket::stream, so that the connection hibernates like
// an EventSource stream: between messages there is no coroutine frame, no read buffer and no
// zlib state, only a readiness wait whose timeout is the ping interval. Readiness spawns a
// coroutine that reads and answers whatever came, then hibernates again.
//
// Messages are handled one at a time in the order they came (the next is read after the answer
// is queued), which also bounds what one connection can make the server hold. Pushes are written
// from the hub's notification between and during requests; Flush keeps one write in flight.
#include <boost/asio/co_spawn.hpp>

#include "base/log.h"
#include "http/session.h"

namespace pushmail::http {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;
using Status = beast_http::status;

namespace {

// Smaller messages go out uncompressed (RFC 7692 lets each message choose): a StateChange is a
// couple of hundred octets, and a fresh deflate context for each would cost more than it saves.
constexpr size_t kCompressFrom = 512;

}  // namespace

std::optional<Response> Session::CheckUpgrade(const Request& request) {
  auto header = [&request](beast_http::field f) {
    auto v = request[f];
    return std::string_view(v.data(), v.size());
  };
  auto bad = [&request](Status status, std::string_view why) {
    Response r = ErrorResponse(request, status);
    r.body() = std::string(why) + "\n";
    return r;
  };
  if (request.version() != 11 || !ws::ListHas(header(beast_http::field::upgrade), "websocket") ||
      !ws::ListHas(header(beast_http::field::connection), "upgrade")) {
    Response r = bad(Status::upgrade_required, "this is a WebSocket endpoint (RFC 8887)");
    r.set(beast_http::field::upgrade, "websocket");
    return r;
  }
  if (header(beast_http::field::sec_websocket_version) != "13") {
    Response r = bad(Status::upgrade_required, "WebSocket version 13 is required");
    r.set(beast_http::field::sec_websocket_version, "13");
    return r;
  }
  if (!ws::ValidClientKey(header(beast_http::field::sec_websocket_key))) {
    return bad(Status::bad_request, "Sec-WebSocket-Key must be 16 octets in base64");
  }
  if (!ws::ListHas(header(beast_http::field::sec_websocket_protocol), "jmap")) {
    return bad(Status::bad_request, "the \"jmap\" subprotocol is required (RFC 8887 4.2)");
  }
  return std::nullopt;
}

awaitable<Session::Next> Session::WebSocket(const Request& request) {
  std::optional<Response> refused = CheckUpgrade(request);
  if (refused) co_return co_await Reply(*refused, request);
  auto who = co_await Authenticate(request);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  auto key = request[beast_http::field::sec_websocket_key];
  auto offers = request[beast_http::field::sec_websocket_extensions];
  std::string deflate = ws::NegotiateDeflate(std::string_view(offers.data(), offers.size()));
  out_ +=
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Protocol: jmap\r\nSec-WebSocket-Accept: " +
      ws::AcceptKey(std::string_view(key.data(), key.size())) + "\r\n";
  if (!deflate.empty()) out_ += "Sec-WebSocket-Extensions: " + deflate + "\r\n";
  out_ += "\r\n";
  server_.metrics().Responded(101);
  websocket_ = true;
  ws_deflate_ = !deflate.empty();
  ws_account_ = who->account;
  last_message_ = SteadyClock::now();
  server_.metrics().Closed(kind_);
  kind_ = Metrics::Kind::kWebSocket;
  server_.metrics().Opened(kind_);
  bool sent = co_await Flush();
  if (!sent) co_return Next::kClose;
  if (in_.empty()) {
    std::string().swap(in_);
    WsHibernate();
  } else {
    // Frames that came right behind the upgrade request.
    Spawn([](std::shared_ptr<Session> self) -> awaitable<void> {
      bool open = co_await self->WsRead(false);
      if (open) {
        self->WsHibernate();
      } else {
        self->CloseStream();
      }
    }(shared_from_this()));
  }
  co_return Next::kStreaming;
}

void Session::WsHibernate() {
  if (closed_) return;
  if (stop_requested_) {
    Spawn(WsClose(ws::kGoingAway, "shutting down"));
    return;
  }
  reading_ = true;  // a stop request cancels the wait
  stream_.AsyncWaitReadable(limits_.websocket_ping, [self = shared_from_this()](ErrorCode ec) {
    self->Spawn(self->WsWake(ec));
  });
}

awaitable<void> Session::WsWake(ErrorCode woke) {
  reading_ = false;
  if (closed_) co_return;
  if (stop_requested_) {
    co_await WsClose(ws::kGoingAway, "shutting down");
    co_return;
  }
  if (woke == asio::error::timed_out) {
    bool idle = !push_on_ && SteadyClock::now() - last_message_ >= limits_.idle_timeout;
    if (ping_sent_ || idle) {
      // No answer to the last ping within a whole interval, or nothing to do for too long.
      std::string_view reason = ping_sent_ ? "no pong" : "idle";  // named: GCC 12 and co_await
      co_await WsClose(ws::kGoingAway, reason);
      co_return;
    }
    ping_sent_ = true;
    ws::AppendFrame(out_, ws::Opcode::kPing, {});
    bool ok = co_await Flush();
    if (!ok) {
      CloseStream();
      co_return;
    }
    WsHibernate();
    co_return;
  }
  if (woke) {
    CloseStream();
    co_return;
  }
  bool open = co_await WsRead(true);
  if (!open) {
    CloseStream();
    co_return;
  }
  WsHibernate();
}

awaitable<bool> Session::WsRead(bool read_first) {
  if (read_first) {
    bool more = co_await ReadMore(limits_.request_timeout);
    if (!more) co_return false;
  }
  ping_sent_ = false;  // the client is alive
  // Lives only while messages come: this loop returns only with no fragment held.
  ws::Receiver receiver(limits_.max_size_request, ws_deflate_);
  // Bounded by the input: each round consumes a frame or reads more, and a read that brings
  // nothing ends the connection.
  for (;;) {
    size_t used = 0;
    ws::Event event = receiver.Next(in_, used);
    in_.erase(0, used);
    if (event.kind == ws::Event::Kind::kNeedMore) {
      if (used > 0) continue;
      if (in_.empty() && receiver.Idle()) break;
      bool more = co_await ReadMore(limits_.request_timeout);
      if (!more) co_return false;
      continue;
    }
    bool go_on = co_await WsEvent(event);
    if (!go_on || closed_) co_return false;
  }
  std::string().swap(in_);
  co_return true;
}

awaitable<bool> Session::WsEvent(ws::Event& event) {
  using Kind = ws::Event::Kind;
  switch (event.kind) {
    case Kind::kMessage:
      if (event.opcode != ws::Opcode::kText) {
        co_await WsClose(ws::kUnsupportedData, "JMAP messages are text (RFC 8887 4.2)");
        co_return false;
      }
      co_return co_await WsMessage(event.payload);
    case Kind::kPing: {
      ws::AppendFrame(out_, ws::Opcode::kPong, event.payload);
      bool ok = co_await Flush();
      co_return ok;
    }
    case Kind::kPong:
      co_return true;
    case Kind::kClose:
      // Echo the client's code (5.5.1), then the connection is over.
      {
        uint16_t code = event.code == ws::kNoStatus ? uint16_t{ws::kNormal} : event.code;
        co_await WsClose(code);
        co_return false;
      }
    case Kind::kError:
      server_.metrics().WebSocketFailed();
      spdlog::debug("http: WebSocket from {} failed with close code {}",
                    stream_.remote().address().to_string(), event.code);
      co_await WsClose(event.code);
      co_return false;
    case Kind::kNeedMore:
      break;
  }
  co_return true;
}

awaitable<bool> Session::WsMessage(const std::string& text) {
  last_message_ = SteadyClock::now();
  server_.metrics().WebSocketMessage();
  jmap::WsMessage message = jmap::ParseWsMessage(text);
  if (auto* bad = std::get_if<jmap::WsBad>(&message)) {
    std::string reply = jmap::WsResponse(std::move(bad->error), bad->id);
    co_return co_await WsSend(reply);
  }
  if (std::holds_alternative<jmap::WsPushDisable>(message)) {
    WsPushDisable();
    co_return true;
  }
  if (auto* enable = std::get_if<jmap::WsPushEnable>(&message)) {
    jmap::WsPushEnable wanted = std::move(*enable);
    co_return co_await WsPushEnable(std::move(wanted));
  }
  auto id = std::get<jmap::WsRequest>(message).id;
  auto slot = server_.requests().Acquire(ws_account_);
  if (!slot) {
    std::string reply =
        jmap::WsResponse(jmap::LimitError("maxConcurrentRequests",
                                          "more concurrent requests than maxConcurrentRequests"),
                         id);
    co_return co_await WsSend(reply);
  }
  const jmap::Api& api = server_.api();
  store::Store& store = server_.context().store;
  store::AccountId account = ws_account_;
  auto run = [&api, &text, &store, account] {
    // Read here rather than kept by every idle connection.
    auto found = store.GetAccount(account);
    jmap::Principal who{account, found ? found->login : std::string()};
    return api.Answer(text, who);
  };
  auto answer = co_await net::OnPool(server_.PoolFor(account), run);
  std::string reply = jmap::WsResponse(std::move(answer), id);
  co_return co_await WsSend(reply);
}

awaitable<bool> Session::WsPushEnable(jmap::WsPushEnable enable) {
  options_.types = enable.types;
  // Subscribe, then read where the account stands: a commit in between is in the states read
  // or delivered by the hub afterwards (and skipped by push sequence if both).
  bool first = !link_;
  if (first) {
    link_ = std::make_unique<HubLink>(*this, worker_, ws_account_);
    server_.context().hub.Subscribe(link_.get());
  }
  store::Store& store = server_.context().store;
  store::AccountId id = ws_account_;
  auto read = [&store, id] { return store.GetAccount(id); };
  auto account = co_await net::OnPool(server_.context().blocking, read);
  if (!account) {
    co_await WsClose(ws::kInternalError);
    co_return false;
  }
  store::StateChange now{account->id,          account->push_seq,      account->modseq,
                         account->email_state, account->mailbox_state, account->thread_state};
  if (first || !push_on_) pushed_seq_ = account->push_seq;
  push_on_ = true;
  streaming_ = true;
  if (enable.push_state) {
    bool ok = co_await WsCatchUp(now, *enable.push_state);
    if (!ok) co_return false;
  }
  if (link_ && link_->HasPending()) OnNotify();
  co_return true;
}

awaitable<bool> Session::WsCatchUp(const store::StateChange& now, std::string_view then_text) {
  // Everything since the client's pushState, at once (RFC 8887 4.3.5.2); a pushState we did
  // not make counts as older than everything.
  auto then = jmap::ParsePushState(then_text);
  if (then && then->push_seq >= now.push_seq) co_return true;
  store::StateChange since = now;
  since.changed = then ? jmap::ChangedSince(*then, now) : store::DataTypes(0xFF);
  std::string json = jmap::WsStateChange(since, options_.types);
  if (json.empty()) co_return true;
  bool ok = co_await WsSend(json);
  if (ok) server_.metrics().WebSocketPushed(1);
  co_return ok;
}

void Session::WsPushDisable() {
  if (link_) server_.context().hub.Unsubscribe(link_.get());
  link_.reset();
  push_on_ = false;
  streaming_ = false;
}

awaitable<bool> Session::WsSend(std::string_view text) {
  std::optional<std::string> packed;
  if (ws_deflate_ && text.size() >= kCompressFrom) packed = ws::DeflateMessage(text);
  if (packed) {
    ws::AppendFrame(out_, ws::Opcode::kText, *packed, true);
  } else {
    ws::AppendFrame(out_, ws::Opcode::kText, text);
  }
  bool ok = co_await Flush();
  co_return ok;
}

awaitable<void> Session::WsClose(uint16_t code, std::string_view reason) {
  if (closed_) co_return;
  ws::AppendClose(out_, code, reason);
  co_await Flush();
  CloseStream();
}

}  // namespace pushmail::http
