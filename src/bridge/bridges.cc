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

ErrorCode Wait(Session& session, const std::shared_ptr<Write>& write) {
  auto done = session.Submit(write);
  if (done.wait_for(kWriteTimeout) != std::future_status::ready) {
    spdlog::warn("bridge: an upstream write did not finish in {} s", kWriteTimeout.count());
    return MakeError(Errc::kUnavailable);
  }
  return done.get();
}

}  // namespace

Session* Bridges::Find(store::AccountId account) {
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
  return Wait(*session, write);
}

ErrorCode Bridges::RemoveMessages(store::AccountId account, store::MailboxId mailbox,
                                  const std::vector<store::Uid>& uids) {
  Session* session = Find(account);
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = Write::Kind::kRemove;
  write->mailbox = mailbox;
  write->uids = uids;
  return Wait(*session, write);
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
  if (auto ec = Wait(*session, write)) return ec;
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
  if (auto ec = Wait(*session, write)) return ec;
  if (write->destination.empty()) return MakeError(Errc::kNotFound);
  out = {};
  out.account = account;
  out.mailbox = mailbox;
  out.uid = write->destination.front();
  return {};
}

namespace {

ErrorCode MailboxWrite(Session* session, Write::Kind kind, store::MailboxId mailbox,
                       std::string_view name) {
  if (session == nullptr) return MakeError(Errc::kNotFound);
  auto write = std::make_shared<Write>();
  write->kind = kind;
  write->mailbox = mailbox;
  write->name = std::string(name);
  return Wait(*session, write);
}

}  // namespace

ErrorCode Bridges::CreateMailbox(store::AccountId account, std::string_view name) {
  return MailboxWrite(Find(account), Write::Kind::kCreateMailbox, 0, name);
}

ErrorCode Bridges::RenameMailbox(store::AccountId account, store::MailboxId mailbox,
                                 std::string_view new_name) {
  return MailboxWrite(Find(account), Write::Kind::kRenameMailbox, mailbox, new_name);
}

ErrorCode Bridges::DeleteMailbox(store::AccountId account, store::MailboxId mailbox) {
  return MailboxWrite(Find(account), Write::Kind::kDeleteMailbox, mailbox, {});
}

}  // namespace pushmail::bridge
