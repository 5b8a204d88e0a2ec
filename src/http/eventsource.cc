// EventSource push (RFC 8620 7.3). The stream subscribes to the hub before it answers, reads
// the account's states, and sends them as its first event: a change that commits between the
// subscription and the read is either in the states read or delivered by the hub afterwards,
// never neither (events the first one already covers are skipped by push sequence).
//
// Then the connection hibernates: no coroutine frame and no read buffer, only a readiness wait
// on the socket whose callback holds the session. The hub's notification spawns a short
// coroutine that writes the events at once; the wait's timeout is the ping interval.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "base/log.h"
#include "http/session.h"

namespace pushmail::http {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

namespace {

constexpr net::Duration kDrainTimeout = std::chrono::seconds(5);

}  // namespace

awaitable<Session::Next> Session::EventSource(const Request& request, std::string_view query) {
  auto who = co_await AuthenticateQuery(request, query);
  if (!who) co_return closed_ ? Next::kClose : Next::kContinue;
  auto options = jmap::ParseEventSourceQuery(query, limits_.ping_min, limits_.ping_max);
  if (!options) {
    Response r = ErrorResponse(request, beast_http::status::bad_request);
    r.body() = "types, closeafter (state or no) and ping (seconds) are required\n";
    co_return co_await Reply(r, request);
  }
  options_ = *options;
  link_ = std::make_unique<HubLink>(*this, worker_, who->account);
  server_.context().hub.Subscribe(link_.get());
  store::Store& store = server_.context().store;
  store::AccountId id = who->account;
  auto read = [&store, id] { return store.GetAccount(id); };
  auto account = co_await net::OnPool(server_.context().blocking, read);
  if (!account) {
    Response r = ErrorResponse(request, beast_http::status::internal_server_error);
    co_return co_await Reply(r, request);
  }
  server_.metrics().Closed(kind_);
  kind_ = Metrics::Kind::kEventSource;
  server_.metrics().Opened(kind_);
  server_.metrics().Responded(200);
  out_ = StreamHeader(request, "text/event-stream");
  pushed_seq_ = account->push_seq;
  if (!options_.close_after_state) {
    // The current states, so the client knows where it stands from the first moment.
    std::string json = jmap::StateChangeJson(store::CurrentStates(*account), options_.types, true);
    if (!json.empty()) out_ += jmap::StateEvent(json);
  }
  last_event_ = SteadyClock::now();
  bool sent = co_await Flush();
  if (!sent) co_return Next::kClose;
  streaming_ = true;
  in_.clear();
  std::string().swap(in_);
  if (link_ && link_->HasPending()) OnNotify();  // came while the states were read
  Hibernate();
  co_return Next::kStreaming;
}

void Session::OnNotify() {
  if (!streaming_ || pushing_ || closed_) return;
  unsigned events = 0;
  auto committed = SteadyClock::time_point::max();  // the oldest commit the write carries
  if (!writing_ && out_.empty()) {
    // Made in a buffer the worker's streams share, so an event written at once costs this
    // stream no allocation.
    thread_local std::string wire;
    wire.clear();
    events = TakeEvents(wire, committed);
    if (events == 0) return;
    if (WriteNow(wire)) {
      Pushed(events, committed);
      return;
    }
  }
  pushing_ = true;
  asio::co_spawn(
      stream_.executor(),
      [self = shared_from_this(), events, committed] { return self->Push(events, committed); },
      asio::detached);
}

unsigned Session::TakeEvents(std::string& into, SteadyClock::time_point& committed) {
  unsigned events = 0;
  for (const auto& event : link_->TakePending()) {
    if (event->push_seq <= pushed_seq_) continue;  // covered by an earlier event
    pushed_seq_ = event->push_seq;
    committed = std::min(committed, event->committed_at);
    const std::string& wire = PushEvent(event);
    if (wire.empty()) continue;
    into += wire;
    ++events;
  }
  return events;
}

bool Session::WriteNow(std::string_view data) {
  auto done = stream_.WriteNow(asio::buffer(data));
  if (!done) {
    CloseStream();
    return true;
  }
  if (*done == data.size()) return true;
  out_.assign(data.substr(*done));  // over TLS: all of it, which Write then finishes
  return false;
}

void Session::Pushed(unsigned events, SteadyClock::time_point committed) {
  if (closed_) return;
  auto now = SteadyClock::now();
  server_.metrics().Pushed(events, now - committed);
  if (websocket_) server_.metrics().WebSocketPushed(events);
  last_event_ = now;
  if (options_.close_after_state) CloseStream();
}

awaitable<void> Session::Push(unsigned events, SteadyClock::time_point committed) {
  for (;;) {
    if (events > 0) {
      bool ok = co_await Flush();
      if (!ok) break;
      Pushed(events, committed);
    }
    if (closed_ || !link_ || !link_->HasPending()) break;
    committed = SteadyClock::time_point::max();
    events = TakeEvents(out_, committed);
  }
  pushing_ = false;
}

const std::string& Session::PushEvent(const hub::Event& event) {
  PushKind kind = websocket_ ? PushKind::kWebSocket : PushKind::kEventSource;
  return server_.push_texts(worker_).Get(event, kind, options_.types);
}

void Session::OnOverflow() {
  link_.reset();  // the hub has dropped it already
  spdlog::warn("http: a push stream fell behind its change queue; closing");
  CloseStream();
}

void Session::Hibernate() {
  if (closed_ || stop_requested_) {
    CloseStream();
    return;
  }
  net::Duration wait = net::Stream::kNoTimeout;  // the client's close is all there is to wait for
  if (options_.ping.count() > 0) {
    wait = std::max<net::Duration>(last_event_ + options_.ping - SteadyClock::now(),
                                   net::Duration::zero());
  }
  reading_ = true;  // a stop request cancels the wait
  stream_.AsyncWaitReadable(
      wait, [self = shared_from_this()](ErrorCode ec) { self->Spawn(self->Wake(ec)); });
}

awaitable<void> Session::Wake(ErrorCode woke) {
  reading_ = false;
  if (closed_ || stop_requested_) {
    CloseStream();
    co_return;
  }
  if (woke == asio::error::timed_out) {
    bool due = options_.ping.count() > 0 && SteadyClock::now() >= last_event_ + options_.ping;
    if (due) {
      out_ += jmap::PingEvent(options_.ping);
      last_event_ = SteadyClock::now();
      bool ok = co_await Flush();
      if (!ok) {
        CloseStream();
        co_return;
      }
    }
  } else if (woke) {
    CloseStream();
    co_return;
  } else {
    // A client says nothing on an event stream: this is its close (or noise to drop).
    char scratch[512];
    auto n = co_await stream_.ReadSome(asio::buffer(scratch), kDrainTimeout);
    if (!n) {
      CloseStream();
      co_return;
    }
  }
  Hibernate();
}

}  // namespace pushmail::http
