#include "bridge/connection.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/log.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kConnectTimeout = std::chrono::seconds(30);
constexpr auto kResponseTimeout = std::chrono::seconds(120);
constexpr size_t kReadChunk = size_t{16} * 1024;

}  // namespace

Connection::Connection(std::unique_ptr<net::Stream> stream, uint64_t max_message)
    : stream_(std::move(stream)), max_message_(max_message), reader_(UpstreamLimits(max_message)) {}

asio::awaitable<Result<std::unique_ptr<Connection>>> Connection::Open(
    asio::any_io_executor executor, const UpstreamUrl& url, asio::ssl::context* tls,
    uint64_t max_message) {
  asio::ip::tcp::resolver resolver(executor);
  std::string port = std::to_string(url.port);
  auto [rec, endpoints] = co_await resolver.async_resolve(url.host, port, kTuple);
  if (rec) co_return rec;
  asio::ip::tcp::socket socket(executor);
  asio::steady_timer timer(executor, kConnectTimeout);
  timer.async_wait([&socket](ErrorCode ec) {
    if (!ec) socket.close();
  });
  auto [cec, endpoint] = co_await asio::async_connect(socket, endpoints, kTuple);
  timer.cancel();
  if (cec) co_return cec;
  auto stream = std::make_unique<net::Stream>(std::move(socket));
  if (url.tls) {
    if (tls == nullptr) co_return MakeError(Errc::kInvalidArgument);
    auto ec = co_await stream->StartTlsClient(*tls, url.host, kConnectTimeout);
    if (ec) co_return ec;
  }
  auto c = std::make_unique<Connection>(std::move(stream), max_message);
  ErrorCode bye;
  auto greeting = [&c, &bye](const Response& r) {
    if (r.status == "BYE" || !r.IsStatus()) bye = MakeError(Errc::kUnavailable);
    if (r.code.starts_with("CAPABILITY ")) c->TakeCapabilities(r.code.substr(11));
  };
  auto ec = co_await c->ReadOne(greeting, kConnectTimeout);
  if (ec) co_return ec;
  if (bye) co_return bye;
  co_return c;
}

void Connection::TakeCapabilities(std::string_view words) {
  capabilities_ = 0;
  while (!words.empty()) {
    size_t sp = words.find(' ');
    std::string word = Upper(words.substr(0, sp));
    words = sp == std::string_view::npos ? std::string_view() : words.substr(sp + 1);
    for (size_t i = 0; i < std::size(kKnown); ++i) {
      if (word == kKnown[i]) capabilities_ |= static_cast<uint16_t>(1u << i);
    }
  }
}

void Connection::SetCapabilities(const Response& r) {
  std::string words;
  for (const auto& t : r.data) {
    words += t.raw;
    words += ' ';
  }
  TakeCapabilities(words);
}

bool Connection::Has(std::string_view capability) const {
  std::string upper = Upper(capability);
  for (size_t i = 0; i < std::size(kKnown); ++i) {
    if (upper == kKnown[i]) return (capabilities_ & (1u << i)) != 0;
  }
  return false;
}

asio::awaitable<ErrorCode> Connection::Write(const std::string& data) {
  co_return co_await stream_->Write(asio::buffer(data), kResponseTimeout);
}

asio::awaitable<ErrorCode> Connection::SendLine(const std::string& line) {
  std::string data = line + "\r\n";
  co_return co_await Write(data);
}

void Connection::ReleaseMemory() {
  // The last read leaves a 16 KiB capacity behind even when every octet was framed.
  if (input_.empty()) std::string().swap(input_);
  reader_.ReleaseMemory();  // keeps a half-read response
}

asio::awaitable<Result<std::string_view>> Connection::NextFrame(net::Duration timeout) {
  for (;;) {
    auto ev = reader_.Feed(input_);
    input_.erase(0, ev.consumed);
    switch (ev.kind) {
      case imap::CommandReader::Kind::kCommand:
      case imap::CommandReader::Kind::kLine:
        co_return ev.text;
      case imap::CommandReader::Kind::kContinue:
        continue;  // a server's literal: its octets follow without asking
      case imap::CommandReader::Kind::kTooBig:
      case imap::CommandReader::Kind::kLineTooLong:
        co_return MakeError(Errc::kLimitExceeded);
      case imap::CommandReader::Kind::kNeedMore:
        break;
    }
    size_t old = input_.size();
    input_.resize(old + kReadChunk);
    auto n = co_await stream_->ReadSome(asio::buffer(input_.data() + old, kReadChunk), timeout);
    input_.resize(old + (n ? *n : 0));
    if (!n) co_return n.error();
  }
}

asio::awaitable<ErrorCode> Connection::ReadOne(const Untagged& fn, net::Duration timeout) {
  auto frame = co_await NextFrame(timeout);
  if (!frame) co_return frame.error();
  auto r = ParseResponse(*frame, UpstreamLimits(max_message_));
  if (!r) {
    spdlog::warn("upstream sent a response that does not parse ({}): {:.200}", r.error().text,
                 *frame);
    co_return MakeError(Errc::kInvalidArgument);
  }
  fn(*r);
  co_return ErrorCode{};
}

asio::awaitable<Result<std::string>> Connection::Start(const std::string& command) {
  std::string tag = "b" + std::to_string(next_tag_++);
  std::string line = tag + " " + command + "\r\n";
  ErrorCode written = co_await Write(line);
  if (written) co_return written;
  co_return tag;
}

asio::awaitable<Result<Tagged>> Connection::Finish(const std::string& tag,
                                                   const Untagged& untagged) {
  Tagged out;
  bool done = false;
  auto handle = [&](const Response& r) {
    if (r.code.starts_with("CAPABILITY ")) TakeCapabilities(r.code.substr(11));
    if (r.kind == Response::Kind::kTagged && r.tag == tag) {
      out.status = r.status;
      out.code = std::string(r.code);
      out.text = std::string(r.text);
      done = true;
      return;
    }
    if (r.name == "CAPABILITY") SetCapabilities(r);
    if (r.kind == Response::Kind::kUntagged) untagged(r);
  };
  while (!done) {
    ErrorCode read = co_await ReadOne(handle, kResponseTimeout);
    if (read) co_return read;
  }
  co_return out;
}

asio::awaitable<Result<Tagged>> Connection::Run(const std::string& command,
                                                const Untagged& untagged) {
  auto tag = co_await Start(command);
  if (!tag) co_return tag.error();
  co_return co_await Finish(*tag, untagged);
}

asio::awaitable<ErrorCode> Connection::WaitReadable(net::Duration timeout) {
  if (!input_.empty()) co_return ErrorCode{};
  co_return co_await stream_->WaitReadable(timeout);
}

}  // namespace pushmail::bridge
