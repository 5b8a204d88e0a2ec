// DATA (RFC 5321 4.1.1.4), BDAT (RFC 3030) and delivery into the store.

#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "base/clock.h"
#include "base/internal_errors.h"
#include "base/log.h"
#include "delivery/delivery.h"
#include "delivery/local.h"
#include "net/blocking.h"
#include "smtp/server/session.h"
#include "smtp/server/trace.h"

namespace pushmail::smtp {

namespace asio = boost::asio;
using asio::awaitable;

namespace {

using DeliverResult = Result<std::vector<store::Delivered>>;

constexpr size_t kInlineParseLimit = size_t{256} * 1024;

// Awaits Store::Deliver: the completion is posted back to the session's worker.
template <class Token>
auto AsyncDeliver(store::Store& store, store::Incoming incoming, Token&& token) {
  return asio::async_initiate<Token, void(DeliverResult)>(
      // `in` is moved into Deliver; clang-tidy 14 does not see it through the generic lambda.
      [&store](auto handler, store::Incoming in) {  // NOLINT(performance-unnecessary-value-param)
        auto executor = asio::get_associated_executor(handler);
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        store.Deliver(std::move(in), [shared, executor](DeliverResult r) {
          asio::post(executor, [shared, r = std::move(r)]() mutable { (*shared)(std::move(r)); });
        });
      },
      token, std::move(incoming));
}

}  // namespace

std::optional<Reply> Session::CanStartData() const {
  if (!mail_) return Reply::Make(503, "5.5.1", "need MAIL command");
  if (recipients_.empty()) return Reply::Make(554, "5.5.1", "no valid recipients");
  return std::nullopt;
}

awaitable<Session::Step> Session::Data() {
  if (in_bdat_) {
    Queue(503, "5.5.1", "DATA not allowed after BDAT");
    co_return Step::kContinue;
  }
  if (auto refusal = CanStartData()) {
    Queue(*refusal);
    co_return Step::kContinue;
  }
  if (mail_->body == BodyType::kBinaryMime) {
    Queue(503, "5.6.1", "BODY=BINARYMIME needs BDAT");
    co_return Step::kContinue;
  }
  Queue(354, "", "End data with <CR><LF>.<CR><LF>");
  const auto& limits = context_.config.smtp;
  DataReader reader(limits.max_message_size, limits.max_line);
  for (;;) {
    size_t used = reader.Consume(in_);
    in_.erase(0, used);
    if (reader.done()) break;
    bool filled = co_await Fill(limits.data_timeout);
    if (!filled) co_return Step::kClose;
  }
  if (auto refusal = reader.Verdict()) {
    Queue(*refusal);
    ResetTransaction();
    co_return Step::kContinue;
  }
  co_await Deliver(std::move(reader.message()));
  co_return Step::kContinue;
}

awaitable<Session::Step> Session::Bdat(std::string_view argument) {
  auto bdat = ParseBdat(argument);
  if (!bdat) {
    // Without a size we cannot tell where the chunk ends: the stream is lost.
    Queue(bdat.error());
    co_return Step::kClose;
  }
  const auto& limits = context_.config.smtp;
  std::optional<Reply> refusal = CanStartData();
  bool over = chunks_.size() + bdat->size > limits.max_message_size;
  // The chunk is read in full whatever happens to it, so the next command is found.
  uint64_t left = bdat->size;
  bool keep = !refusal && !over && !bdat_failed_;
  if (keep) chunks_.reserve(chunks_.size() + bdat->size);
  for (;;) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(left, in_.size()));
    if (keep) chunks_.append(in_, 0, take);
    in_.erase(0, take);
    left -= take;
    if (left == 0) break;
    bool filled = co_await Fill(limits.data_timeout);
    if (!filled) co_return Step::kClose;
  }
  if (refusal) {
    Queue(*refusal);
    co_return Step::kContinue;
  }
  in_bdat_ = true;
  if (over || bdat_failed_) {
    bdat_failed_ = true;
    Queue(552, "5.3.4", "message size exceeds fixed maximum message size");
    if (bdat->last) ResetTransaction();
    co_return Step::kContinue;
  }
  if (!bdat->last) {
    Queue(250, "2.0.0", std::to_string(bdat->size) + " octets received");
    co_return Step::kContinue;
  }
  co_await Deliver(std::move(chunks_));
  co_return Step::kContinue;
}

// RFC 3463: 4.3.1 "mail system full"; 4.3.0 for anything else on our side. Both are
// temporary: the client keeps the message and tries again.
void Session::ReplyNotStored(std::string_view id, ErrorCode cause) {
  CountInternalError(Surface::kSmtp);
  if (cause == store::StoreErrc::kDiskFull) {
    spdlog::warn("smtp: {} not stored: {}", id, cause.message());
    Queue(452, "4.3.1", "insufficient system storage, try again later");
  } else if (cause == store::StoreErrc::kReadOnly) {
    spdlog::error("smtp: {} not stored: {}", id, cause.message());
    Queue(451, "4.3.0", "mail system unavailable after a disk error, try again later");
  } else {
    spdlog::error("smtp: {} not stored: {}", id, cause.message());
    Queue(451, "4.3.0", "local error in processing, try again later");
  }
}

awaitable<void> Session::Deliver(std::string body) {
  TraceInfo trace;
  trace.helo = helo_;
  const auto& ip = stream_.remote().address();
  trace.client_ip = ip.is_v6() ? "IPv6:" + ip.to_string() : ip.to_string();
  trace.by = context_.config.hostname;
  trace.protocol = WithProtocol(esmtp_, stream_.tls(), account_.has_value(), mail_->smtputf8);
  trace.id = delivery::NewId(8);
  if (recipients_.size() == 1) trace.recipient = recipients_.front().address;
  trace.tls = stream_.TlsDescription();
  trace.return_path = mail_->path.ToString();
  trace.when = UnixNow();

  store::Incoming incoming;
  incoming.message = TraceHeaders(trace);
  incoming.message.reserve(incoming.message.size() + body.size());
  incoming.message += body;
  body = std::string();
  incoming.received_at = trace.when;
  for (const auto& r : recipients_) incoming.recipients.push_back(r.account);
  if (incoming.message.size() <= kInlineParseLimit) {
    // Tens of microseconds: cheaper here than two thread hops to the blocking pool and back.
    incoming.summary = mime::Parse(incoming.message);
  } else {
    incoming.summary = co_await net::OnPool(context_.blocking,
                                            [&incoming] { return mime::Parse(incoming.message); });
  }
  // Recipients away answer after the 250, off this worker; only they cost a look at the header.
  auto away = delivery::OnVacation(context_.store, incoming.recipients, trace.when);
  std::optional<delivery::Arrival> arrival;
  if (!away.empty()) {
    arrival = delivery::Describe(incoming.message, incoming.summary, trace.return_path, trace.when);
  }
  size_t size = incoming.message.size();
  size_t count = recipients_.size();
  auto start = SteadyClock::now();
  DeliverResult result =
      co_await AsyncDeliver(context_.store, std::move(incoming), asio::use_awaitable);
  ResetTransaction();
  if (!result) {
    ReplyNotStored(trace.id, result.error());
    co_return;
  }
  auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start).count();
  spdlog::info("smtp: {} from=<{}> rcpts={} size={} stored in {} us", trace.id, trace.return_path,
               count, size, micros);
  Queue(250, "2.0.0", "Ok: stored as " + trace.id);
  if (arrival) {
    asio::post(context_.blocking, [&store = context_.store, &config = context_.config,
                                   arrival = std::move(*arrival), away = std::move(away)] {
      delivery::AnswerVacations(store, config, arrival, away);
    });
  }
}

}  // namespace pushmail::smtp
