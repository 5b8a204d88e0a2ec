#include "http/session.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "base/log.h"
#include "jmap/session_resource.h"

namespace pushmail::http {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

constexpr net::Duration kWriteTimeout = std::chrono::seconds(60);
constexpr size_t kReadChunk = 4096;
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// The target of the request line at the start of `data` ("POST /jmap/api HTTP/1.1"), for an
// error found before the parser has the whole header.
std::string_view RequestLineTarget(std::string_view data) {
  size_t first = data.find(' ');
  if (first == std::string_view::npos) return {};
  size_t second = data.find(' ', first + 1);
  if (second == std::string_view::npos) return {};
  return data.substr(first + 1, second - first - 1);
}

}  // namespace

Session::Session(Server& server, asio::ip::tcp::socket socket, size_t worker,
                 std::optional<net::IpLimiter::Slot> slot)
    : server_(server),
      limits_(server.limits()),
      stream_(std::move(socket)),
      slot_(std::move(slot)),
      worker_(worker) {
  server_.metrics().Opened(kind_);
}

Session::~Session() {
  if (link_) server_.context().hub.Unsubscribe(link_.get());
  server_.metrics().Closed(kind_);
}

void Session::Start() { Spawn(Run()); }

void Session::RequestStop() {
  asio::post(stream_.executor(), [self = shared_from_this()] {
    self->stop_requested_ = true;
    if (self->reading_) self->stream_.Cancel();
  });
}

void Session::Abort() {
  asio::post(stream_.executor(), [self = shared_from_this()] { self->CloseStream(); });
}

void Session::CloseStream() {
  closed_ = true;
  stream_.Close();
}

void Session::Spawn(awaitable<void> work) {
  // The completion handler holds the session until the coroutine is over.
  asio::co_spawn(stream_.executor(), std::move(work),
                 [self = shared_from_this()](std::exception_ptr e) {
                   if (!e) return;
                   try {
                     std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     spdlog::error("http: session ended by exception: {}", x.what());
                   }
                   self->CloseStream();
                 });
}

awaitable<void> Session::Run() {
  if (!slot_) {
    // Too many connections from one address: no TLS handshake, no answer worth its cost.
    CloseStream();
    co_return;
  }
  if (server_.context().tls) {
    net::Duration timeout = limits_.request_timeout;
    ErrorCode failed = co_await stream_.StartTls(*server_.context().tls, timeout);
    if (failed) {
      CloseStream();
      co_return;
    }
  }
  co_await Serve();
}

awaitable<void> Session::Serve() {
  while (!stop_requested_ && !closed_) {
    auto request = co_await ReadRequest();
    if (!request) break;
    Next next = co_await Handle(*request);
    if (next == Next::kStreaming) co_return;  // the push stream lives on without this frame
    if (next == Next::kClose) break;
  }
  CloseStream();
}

awaitable<std::optional<Request>> Session::ReadRequest() {
  RequestReader reader(limits_.max_header_size, limits_.max_size_request);
  reader.AllowBodyFor(jmap::kUploadPath, limits_.max_size_upload);
  // The first request is read at once, not waited for: its octets may have come with the
  // client's last handshake flight, already off the socket and inside the TLS layer, where
  // a readiness wait would not see them.
  bool begun = !in_.empty() || std::exchange(first_request_, false);
  bool continued = false;
  for (;;) {
    if (!in_.empty()) {
      auto step = reader.Feed(in_);
      bool api = RequestLineTarget(in_).starts_with("/jmap/api");
      bool upload = RequestLineTarget(in_).starts_with(jmap::kUploadPath);
      in_.erase(0, step.used);
      if (step.state == RequestReader::State::kDone) co_return reader.Release();
      if (step.state == RequestReader::State::kError) {
        Request bare;
        bare.version(11);
        // Too big for the API is the JMAP limit maxSizeRequest (RFC 8620 3.6.1).
        bool too_large = step.error == beast_http::status::payload_too_large;
        Response r = api && too_large
                         ? Problem(bare, step.error, "urn:ietf:params:jmap:error:limit",
                                   "the request is larger than maxSizeRequest", "maxSizeRequest")
                     : upload && too_large
                         ? Problem(bare, step.error, "urn:ietf:params:jmap:error:limit",
                                   "the upload is larger than maxSizeUpload", "maxSizeUpload")
                         : ErrorResponse(bare, step.error);
        r.keep_alive(false);
        server_.metrics().Responded(static_cast<unsigned>(step.error));
        out_ = Finish(r, bare, false);
        co_await Flush();
        co_return std::nullopt;
      }
      if (reader.ExpectsContinue() && !continued) {
        continued = true;
        out_ += kContinue;
        bool sent = co_await Flush();
        if (!sent) co_return std::nullopt;
      }
    }
    if (!begun) {
      // Between requests: no buffer while the client thinks (DESIGN.md principle 5).
      std::string().swap(in_);
      reading_ = true;
      ErrorCode ec = co_await stream_.WaitReadable(limits_.idle_timeout);
      reading_ = false;
      if (ec || stop_requested_) co_return std::nullopt;
      begun = true;
    }
    bool more = co_await ReadMore(limits_.request_timeout);
    if (!more) co_return std::nullopt;
  }
}

awaitable<bool> Session::ReadMore(net::Duration timeout) {
  size_t old = in_.size();
  in_.resize(old + kReadChunk);
  auto n = co_await stream_.ReadSome(asio::buffer(in_.data() + old, kReadChunk), timeout);
  in_.resize(old + (n ? *n : 0));
  co_return n.has_value();
}

awaitable<bool> Session::Send(Response& response, const Request& request) {
  bool keep_alive = !stop_requested_;
  server_.metrics().Responded(response.result_int());
  out_ += Finish(response, request, keep_alive);
  bool written = co_await Flush();
  co_return written&& response.keep_alive();
}

awaitable<bool> Session::Flush() {
  if (writing_) co_return true;  // the write in progress takes what was queued
  writing_ = true;
  bool ok = true;
  while (ok && !out_.empty() && !closed_) {
    std::string data = std::move(out_);
    out_.clear();
    ErrorCode failed = co_await stream_.Write(asio::buffer(data), kWriteTimeout);
    ok = !failed;
  }
  writing_ = false;
  if (out_.capacity() > kReadChunk) std::string().swap(out_);
  co_return ok && !closed_;
}

}  // namespace pushmail::http
