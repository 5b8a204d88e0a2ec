// Writes of local clients to a bridged account: done upstream first, then mirrored back by a
// sync, and only then acknowledged to the client (store::UpstreamWrites).
#include <algorithm>
#include <boost/asio/post.hpp>

#include "base/log.h"
#include "bridge/session.h"
#include "imap/protocol/sequence.h"
#include "imap/server/flags.h"
#include "net/blocking.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {

thread_local bool mirroring = false;

std::string FlagList(const store::Keywords& keywords) {
  std::string out = "(";
  for (const auto& k : keywords) {
    if (out.size() > 1) out += ' ';
    out += imap::KeywordToFlag(k);
  }
  return out + ")";
}

std::string StoreCommand(const std::string& set, store::KeywordOp op,
                         const store::Keywords& keywords) {
  const char* item = op == store::KeywordOp::kAdd      ? " +FLAGS.SILENT "
                     : op == store::KeywordOp::kRemove ? " -FLAGS.SILENT "
                                                       : " FLAGS.SILENT ";
  return "UID STORE " + set + item + FlagList(keywords);
}

}  // namespace

bool Mirroring() { return mirroring; }
MirrorScope::MirrorScope() : outer_(mirroring) { mirroring = true; }
MirrorScope::~MirrorScope() { mirroring = outer_; }

std::future<ErrorCode> Session::Submit(std::unique_ptr<Write> write) {
  auto future = write->done.get_future();
  asio::post(executor_, [self = shared_from_this(), w = std::move(write)]() mutable {
    if (!self->conn_ || !self->synced_ || self->stopping_) {
      w->done.set_value(MakeError(Errc::kUnavailable));
      return;
    }
    self->writes_.push_back(std::move(w));
    if (self->waiting_) self->conn_->Cancel();  // out of IDLE to send it
  });
  return future;
}

void Session::FailWrites() {
  for (auto& w : writes_) w->done.set_value(MakeError(Errc::kUnavailable));
  writes_.clear();
}

asio::awaitable<ErrorCode> Session::Apply(Write& write) {
  auto box = std::find_if(mailboxes_.begin(), mailboxes_.end(),
                          [&write](const Mailbox& b) { return b.local == write.mailbox; });
  if (box == mailboxes_.end()) {
    write.done.set_value(MakeError(Errc::kNotFound));
    co_return ErrorCode{};
  }
  store::MailboxId local = box->local;
  auto known = co_await net::OnPool(context_.blocking, [this, local] {
    MirrorScope scope;
    return context_.store.ReadUpstreamMailbox(local);
  });
  if (!known) {
    write.done.set_value(known.error());
    co_return ErrorCode{};
  }
  std::vector<uint32_t> upstream;
  for (const auto& m : known->messages) {
    if (std::find(write.uids.begin(), write.uids.end(), m.uid) != write.uids.end()) {
      upstream.push_back(m.upstream_uid);
    }
  }
  if (upstream.empty()) {
    write.done.set_value(ErrorCode{});  // none of them is mirrored any more: nothing to do
    co_return ErrorCode{};
  }
  std::sort(upstream.begin(), upstream.end());
  std::string set = imap::FormatSequenceSet(upstream);
  auto unsolicited = [this](const Response& r) { Unsolicited(r); };
  if (selected_ != &*box) {
    Selected info;
    ErrorCode ec = co_await Select(*box, info);
    if (ec) {
      write.done.set_value(MakeError(Errc::kUnavailable));
      co_return ec == Errc::kNotFound ? ErrorCode{} : ec;
    }
    box->dirty = true;  // what changed before this SELECT is mirrored below too
  }
  std::vector<std::string> commands;
  if (write.kind == Write::Kind::kKeywords) {
    commands.push_back(StoreCommand(set, write.op, write.keywords));
  } else {
    commands.push_back(StoreCommand(set, store::KeywordOp::kAdd, {"$deleted"}));
    // Without UIDPLUS, EXPUNGE also removes what else upstream has marked \Deleted there.
    commands.push_back(conn_->Has("UIDPLUS") ? "UID EXPUNGE " + set : "EXPUNGE");
  }
  for (const auto& command : commands) {
    auto r = co_await conn_->Run(command, unsolicited);
    if (!r) {
      write.done.set_value(MakeError(Errc::kUnavailable));
      co_return r.error();
    }
    if (!r->Ok()) {
      spdlog::warn("bridge {}: upstream refused '{}': {} {}", who_, command, r->status, r->text);
      write.done.set_value(MakeError(Errc::kUnavailable));
      co_return ErrorCode{};
    }
  }
  // Acknowledged only once mirrored: the client then reads what upstream has.
  ErrorCode synced = co_await Sync(*box);
  write.done.set_value(synced ? MakeError(Errc::kUnavailable) : ErrorCode{});
  co_return synced;
}

}  // namespace pushmail::bridge
