#include <chrono>

#include "base/log.h"
#include "bridge/bridge.h"
#include "bridge/session.h"

namespace pushmail::bridge {
namespace {

constexpr auto kWriteTimeout = std::chrono::seconds(60);

}  // namespace

Bridges::Bridges(Context context)
    : context_{context.config, context.store, context.workers, pool_} {}

Bridges::~Bridges() { pool_.join(); }

size_t Bridges::Start() {
  auto entries = LoadBridges(context_.config.data_dir);
  if (!entries) {
    spdlog::error("bridge: cannot read {}/bridges.json: {}", context_.config.data_dir,
                  entries.error().message());
    return 0;
  }
  auto executors = context_.workers.Executors();
  for (auto& e : *entries) {
    auto account = context_.store.FindAccount(e.account);
    if (!account) {
      spdlog::error("bridge {}: no such local account; not started", e.account);
      continue;
    }
    auto executor = executors[context_.workers.Next()];
    auto session = std::make_shared<Session>(context_, std::move(e), account->id, executor);
    by_account_[account->id] = session.get();
    session->Start();
    sessions_.push_back(std::move(session));
  }
  if (!sessions_.empty()) spdlog::info("bridge: {} bridged accounts", sessions_.size());
  return sessions_.size();
}

void Bridges::Stop() {
  for (auto& s : sessions_) s->Stop();
}

void Bridges::Abort() {
  for (auto& s : sessions_) s->Abort();
}

size_t Bridges::Active() const {
  size_t n = 0;
  for (const auto& s : sessions_) n += s->running() ? 1 : 0;
  return n;
}

bool Bridges::Intercepts(store::AccountId account) {
  return !Mirroring() && by_account_.count(account) > 0;
}

namespace {

ErrorCode Wait(Session& session, std::unique_ptr<Write> write) {
  auto done = session.Submit(std::move(write));
  if (done.wait_for(kWriteTimeout) != std::future_status::ready) {
    spdlog::warn("bridge: an upstream write did not finish in {} s", kWriteTimeout.count());
    return MakeError(Errc::kUnavailable);
  }
  return done.get();
}

}  // namespace

ErrorCode Bridges::StoreKeywords(store::AccountId account, store::MailboxId mailbox,
                                 const std::vector<store::Uid>& uids, store::KeywordOp op,
                                 const store::Keywords& keywords) {
  auto it = by_account_.find(account);
  if (it == by_account_.end()) return MakeError(Errc::kNotFound);
  auto write = std::make_unique<Write>();
  write->kind = Write::Kind::kKeywords;
  write->mailbox = mailbox;
  write->uids = uids;
  write->op = op;
  write->keywords = keywords;
  return Wait(*it->second, std::move(write));
}

ErrorCode Bridges::RemoveMessages(store::AccountId account, store::MailboxId mailbox,
                                  const std::vector<store::Uid>& uids) {
  auto it = by_account_.find(account);
  if (it == by_account_.end()) return MakeError(Errc::kNotFound);
  auto write = std::make_unique<Write>();
  write->kind = Write::Kind::kRemove;
  write->mailbox = mailbox;
  write->uids = uids;
  return Wait(*it->second, std::move(write));
}

}  // namespace pushmail::bridge
