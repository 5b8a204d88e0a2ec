#include "base/log.h"
#include "bridge/bridge.h"
#include "bridge/session.h"

namespace pushmail::bridge {

Bridges::Bridges(Context context) : context_(context) {}

Bridges::~Bridges() = default;

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

}  // namespace pushmail::bridge
