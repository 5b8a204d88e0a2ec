#include <sys/inotify.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <chrono>

#include "base/log.h"
#include "bridge/bridge.h"
#include "bridge/session.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {}  // namespace

Bridges::Bridges(Context context)
    : context_{context.config, context.store, context.workers, pool_,
               [this](Session& session, const std::string& state) { Report(session, state); }} {}

Bridges::~Bridges() { pool_.join(); }

void Bridges::Report(Session& session, const std::string& state) {
  std::lock_guard lock(states_mutex_);
  session.state() = state;
  ScheduleStates();
}

void Bridges::ScheduleStates() {
  if (states_pending_) return;  // the write already queued takes this change too
  states_pending_ = true;
  asio::post(pool_, [this] { WriteStates(); });
}

void Bridges::WriteStates() {
  std::lock_guard file(states_file_mutex_);  // one write at a time, the newest copy last
  std::map<std::string, std::string> states;
  {
    std::shared_lock sessions(mutex_);
    std::lock_guard lock(states_mutex_);
    states = unstarted_;
    for (const auto& [id, session] : by_account_) {
      states[session->entry().account] = session->state();
    }
    states_pending_ = false;
  }
  if (auto ec = SaveBridgeStates(context_.config.data_dir, states)) {
    spdlog::warn("bridge: cannot write {}/bridges.state: {}", context_.config.data_dir,
                 ec.message());
  }
}

void Bridges::StartOne(BridgeEntry entry) {
  auto account = context_.store.FindAccount(entry.account);
  std::unique_lock lock(states_mutex_);
  if (!account) {
    spdlog::error("bridge {}: no such local account; not started", entry.account);
    unstarted_[entry.account] = "failed: no such local account";
    ScheduleStates();
    return;
  }
  unstarted_.erase(entry.account);
  auto executors = context_.workers.Executors();
  auto executor = executors[context_.workers.Next()];
  auto session = std::make_shared<Session>(context_, std::move(entry), account->id, executor);
  by_account_[account->id] = session.get();
  sessions_.push_back(session);
  session->state() = "connecting";
  ScheduleStates();
  lock.unlock();
  session->Start();
}

size_t Bridges::Start() {
  auto entries = LoadBridges(context_.config.data_dir);
  if (!entries) {
    spdlog::error("bridge: cannot read {}/bridges.json: {}", context_.config.data_dir,
                  entries.error().message());
    return 0;
  }
  {
    std::unique_lock lock(mutex_);
    for (auto& e : *entries) StartOne(std::move(e));
  }
  // bridge add|del rename a new bridges.json into DATA: IN_MOVED_TO.
  int fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd < 0 ||
      ::inotify_add_watch(fd, context_.config.data_dir.c_str(), IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
    spdlog::warn("bridge: cannot watch {} (inotify); bridge add|del apply at the next start",
                 context_.config.data_dir);
    if (fd >= 0) ::close(fd);
  } else {
    watcher_ = std::make_unique<asio::posix::stream_descriptor>(
        context_.workers.Executors()[context_.workers.Next()], fd);
    asio::post(watcher_->get_executor(), [this] { WatchData(); });
  }
  ticker_ =
      std::make_unique<asio::steady_timer>(context_.workers.Executors()[context_.workers.Next()]);
  asio::post(ticker_->get_executor(), [this] { Tick(); });
  std::shared_lock lock(mutex_);
  if (!sessions_.empty()) spdlog::info("bridge: {} bridged accounts", sessions_.size());
  return sessions_.size();
}

void Bridges::WatchData() {
  watcher_->async_read_some(asio::buffer(events_), [this](ErrorCode ec, size_t n) {
    if (ec) return;  // closed by Stop
    bool changed = false;
    for (size_t at = 0; at + sizeof(inotify_event) <= n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(events_.data() + at);
      if (e->len > 0 && std::string_view(e->name) == "bridges.json") changed = true;
      at += sizeof(inotify_event) + e->len;
    }
    if (changed) asio::post(pool_, [this] { Reload(); });
    WatchData();
  });
}

void Bridges::Reload() {
  if (stopped_) return;
  auto entries = LoadBridges(context_.config.data_dir);
  if (!entries) {
    spdlog::error("bridge: cannot read {}/bridges.json: {}; bridges unchanged",
                  context_.config.data_dir, entries.error().message());
    return;
  }
  std::unique_lock lock(mutex_);
  if (stopped_) return;
  auto same = [](const BridgeEntry& a, const BridgeEntry& b) {
    return a.account == b.account && a.upstream == b.upstream && a.user == b.user &&
           a.password == b.password && a.ca_file == b.ca_file;
  };
  for (auto it = by_account_.begin(); it != by_account_.end();) {
    const BridgeEntry& running = it->second->entry();
    bool kept = std::any_of(entries->begin(), entries->end(),
                            [&](const BridgeEntry& e) { return same(e, running); });
    if (kept) {
      ++it;
      continue;
    }
    spdlog::info("bridge {}: removed or changed in bridges.json; stopping", running.account);
    it->second->Stop();
    it = by_account_.erase(it);
  }
  for (auto& e : *entries) {
    bool running = std::any_of(by_account_.begin(), by_account_.end(),
                               [&](const auto& kv) { return same(kv.second->entry(), e); });
    if (running) continue;
    spdlog::info("bridge {}: added to bridges.json; starting", e.account);
    StartOne(std::move(e));
  }
}

void Bridges::Stop() {
  stopped_ = true;
  std::shared_lock lock(mutex_);
  for (auto& s : sessions_) s->Stop();
  if (watcher_) asio::post(watcher_->get_executor(), [this] { watcher_->close(); });
  if (ticker_) asio::post(ticker_->get_executor(), [this] { ticker_->cancel(); });
}

void Bridges::Tick() {
  if (stopped_) return;
  {
    std::shared_lock lock(mutex_);
    for (const auto& [account, session] : by_account_) session->Poke();
  }
  // An IDLE is renewed, and a STATUS round starts, at most this late.
  auto period = std::clamp<std::chrono::seconds>(context_.config.bridge.status_round,
                                                 std::chrono::seconds(1), std::chrono::seconds(10));
  ticker_->expires_after(period);
  ticker_->async_wait([this](ErrorCode ec) {
    if (!ec) Tick();
  });
}

void Bridges::Abort() {
  std::shared_lock lock(mutex_);
  for (auto& s : sessions_) s->Abort();
}

size_t Bridges::Active() const {
  std::shared_lock lock(mutex_);
  size_t n = 0;
  for (const auto& s : sessions_) n += s->running() ? 1 : 0;
  return n;
}

bool Bridges::Intercepts(store::AccountId account) {
  if (Mirroring()) return false;
  std::shared_lock lock(mutex_);
  return by_account_.count(account) > 0;
}

namespace {

ErrorCode Wait(Session& session, const std::shared_ptr<Write>& write,
               std::chrono::seconds timeout) {
  auto done = session.Submit(write);
  if (done.wait_for(timeout) != std::future_status::ready) {
    spdlog::warn("bridge: an upstream write did not finish in {} s", timeout.count());
    return MakeError(Errc::kUnavailable);
  }
  return done.get();
}

}  // namespace

Session* Bridges::Find(store::AccountId account) {
  std::shared_lock lock(mutex_);  // sessions_ keeps a session alive after it left by_account_
  auto it = by_account_.find(account);
  return it == by_account_.end() ? nullptr : it->second;
}

ErrorCode Bridges::StoreKeywords(store::AccountId account, store::MailboxId mailbox,
                                 const std::vector<store::Uid>& uids, store::KeywordOp op,
                                 const store::Keywords& keywords) {
  Session* session = Find(account);
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = Write::Kind::kKeywords;
  write->mailbox = mailbox;
  write->uids = uids;
  write->op = op;
  write->keywords = keywords;
  return Wait(*session, write, context_.config.bridge.write_timeout);
}

ErrorCode Bridges::RemoveMessages(store::AccountId account, store::MailboxId mailbox,
                                  const std::vector<store::Uid>& uids) {
  Session* session = Find(account);
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = Write::Kind::kRemove;
  write->mailbox = mailbox;
  write->uids = uids;
  return Wait(*session, write, context_.config.bridge.write_timeout);
}

ErrorCode Bridges::CopyMessages(store::AccountId account, store::MailboxId from,
                                const std::vector<store::Uid>& uids, store::MailboxId to, bool move,
                                store::CopyResult& out) {
  Session* session = Find(account);
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = Write::Kind::kCopy;
  write->mailbox = from;
  write->uids = uids;
  write->to = to;
  write->move = move;
  if (auto ec = Wait(*session, write, context_.config.bridge.write_timeout)) return ec;
  auto mailboxes = context_.store.ListMailboxes(account);
  if (!mailboxes) return mailboxes.error();
  out = {};
  for (const auto& m : *mailboxes) {
    if (m.id == to) out.uidvalidity = m.uidvalidity;
  }
  out.source = std::move(write->source);
  out.destination = std::move(write->destination);
  return {};
}

ErrorCode Bridges::AppendMessage(store::AccountId account, store::MailboxId mailbox,
                                 const store::Incoming& message, store::Delivered& out) {
  Session* session = Find(account);
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = Write::Kind::kAppend;
  write->mailbox = mailbox;
  write->keywords = message.keywords;
  write->message = message.message;
  write->received_at = message.received_at;
  if (auto ec = Wait(*session, write, context_.config.bridge.write_timeout)) return ec;
  if (write->destination.empty()) return MakeError(Errc::kNotFound);
  out = {};
  out.account = account;
  out.mailbox = mailbox;
  out.uid = write->destination.front();
  return {};
}

namespace {

ErrorCode MailboxWrite(Session* session, Write::Kind kind, store::MailboxId mailbox,
                       std::string_view name, std::chrono::seconds timeout) {
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = kind;
  write->mailbox = mailbox;
  write->name = std::string(name);
  return Wait(*session, write, timeout);
}

}  // namespace

ErrorCode Bridges::CreateMailbox(store::AccountId account, std::string_view name) {
  return MailboxWrite(Find(account), Write::Kind::kCreateMailbox, 0, name,
                      context_.config.bridge.write_timeout);
}

ErrorCode Bridges::RenameMailbox(store::AccountId account, store::MailboxId mailbox,
                                 std::string_view new_name) {
  return MailboxWrite(Find(account), Write::Kind::kRenameMailbox, mailbox, new_name,
                      context_.config.bridge.write_timeout);
}

ErrorCode Bridges::DeleteMailbox(store::AccountId account, store::MailboxId mailbox) {
  return MailboxWrite(Find(account), Write::Kind::kDeleteMailbox, mailbox, {},
                      context_.config.bridge.write_timeout);
}

}  // namespace pushmail::bridge
