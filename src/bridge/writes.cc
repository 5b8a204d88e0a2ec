// Writes of local clients to a bridged account: done upstream first, then mirrored back by a
// sync, and only then acknowledged to the client (store::UpstreamWrites). Copies, moves and
// appends are never made locally: upstream's new messages reach the store through the sync,
// keyed on their upstream UIDs like any other, so they exist exactly once.
#include <algorithm>
#include <boost/asio/post.hpp>
#include <map>

#include "base/log.h"
#include "bridge/quote.h"
#include "bridge/session.h"
#include "imap/protocol/datetime.h"
#include "imap/protocol/flags.h"
#include "imap/protocol/mailbox.h"
#include "imap/protocol/sequence.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {

thread_local bool mirroring = false;

std::string StoreCommand(const std::string& set, store::KeywordOp op,
                         const store::Keywords& keywords) {
  const char* item = op == store::KeywordOp::kAdd      ? " +FLAGS.SILENT "
                     : op == store::KeywordOp::kRemove ? " -FLAGS.SILENT "
                                                       : " FLAGS.SILENT ";
  return "UID STORE " + set + item + imap::FormatFlags(keywords);
}

}  // namespace

bool Mirroring() { return mirroring; }
MirrorScope::MirrorScope() : outer_(mirroring) { mirroring = true; }
MirrorScope::~MirrorScope() { mirroring = outer_; }

std::future<ErrorCode> Session::Submit(const std::shared_ptr<Write>& write) {
  auto future = write->done.get_future();
  asio::post(executor_, [self = shared_from_this(), write] {
    if (!self->conn_ || !self->synced_ || self->stopping_) {
      write->done.set_value(MakeError(Errc::kUnavailable));
      return;
    }
    self->writes_.push_back(write);
    if (self->waiting_) self->conn_->Cancel();  // out of IDLE to send it
  });
  return future;
}

void Session::FailWrites() {
  for (auto& w : writes_) w->done.set_value(MakeError(Errc::kUnavailable));
  writes_.clear();
}

Session::Mailbox* Session::FindLocal(store::MailboxId local) {
  for (auto& box : mailboxes_) {
    if (box.local == local) return &box;
  }
  return nullptr;
}

asio::awaitable<ErrorCode> Session::ApplyMailbox(Write& write) {
  Mailbox* box = FindLocal(write.mailbox);
  if (write.kind != Write::Kind::kCreateMailbox && box == nullptr) {
    write.done.set_value(MakeError(Errc::kNotFound));
    co_return ErrorCode{};
  }
  // The upstream name: its delimiter between levels, modified UTF-7.
  char delimiter = delimiter_ != 0 ? delimiter_ : '/';
  std::string name = write.name;
  if (delimiter != '/' && name.find(delimiter) != std::string::npos) {
    write.done.set_value(MakeError(Errc::kInvalidArgument));  // upstream reads it as a level
    co_return ErrorCode{};
  }
  std::replace(name.begin(), name.end(), '/', delimiter);
  name = Quote(imap::EncodeMutf7(name));
  std::string command = write.kind == Write::Kind::kCreateMailbox ? "CREATE " + name
                        : write.kind == Write::Kind::kRenameMailbox
                            ? "RENAME " + Quote(box->name) + " " + name
                            : "DELETE " + Quote(box->name);
  auto unsolicited = [this](const Response& r) { Unsolicited(r); };
  auto done = co_await conn_->Run(command, unsolicited);
  if (!done) {
    write.done.set_value(MakeError(Errc::kUnavailable));
    co_return done.error();
  }
  if (!done->Ok()) {
    spdlog::warn("bridge {}: upstream refused '{}': {} {}", Who(), command, done->status,
                 done->text);
    bool exists = done->code == "ALREADYEXISTS";
    write.done.set_value(MakeError(exists ? Errc::kAlreadyExists : Errc::kUnavailable));
    co_return ErrorCode{};
  }
  if (write.kind == Write::Kind::kRenameMailbox) {
    box->name = imap::EncodeMutf7(write.name);
    std::replace(box->name.begin(), box->name.end(), '/', delimiter);
    box->renamed = true;
  }
  if (write.kind == Write::Kind::kDeleteMailbox && selected_ == box) selected_ = nullptr;
  ErrorCode listed = co_await ListMailboxes();
  write.done.set_value(listed ? MakeError(Errc::kUnavailable) : ErrorCode{});
  co_return listed;
}

asio::awaitable<ErrorCode> Session::Apply(Write& write) {
  if (write.kind == Write::Kind::kCreateMailbox || write.kind == Write::Kind::kRenameMailbox ||
      write.kind == Write::Kind::kDeleteMailbox) {
    co_return co_await ApplyMailbox(write);
  }
  Mailbox* box = FindLocal(write.mailbox);
  if (box == nullptr || (write.kind == Write::Kind::kCopy && FindLocal(write.to) == nullptr)) {
    write.done.set_value(MakeError(Errc::kNotFound));  // a mailbox upstream does not have
    co_return ErrorCode{};
  }
  store::MailboxId local = box->local;
  auto known =
      co_await Blocking([this, local] { return context_.store.ReadUpstreamMailbox(local); });
  if (!known) {
    write.done.set_value(known.error());
    co_return ErrorCode{};
  }
  // The upstream UIDs of the local ones, ascending, and the local UIDs in the same order.
  std::vector<uint32_t> upstream;
  std::vector<store::Uid> source;
  for (const auto& m : known->messages) {
    if (std::find(write.uids.begin(), write.uids.end(), m.uid) != write.uids.end()) {
      upstream.push_back(m.upstream_uid);
      source.push_back(m.uid);
    }
  }
  if (write.kind == Write::Kind::kAppend) {
    source = {known->max_upstream_uid};  // to tell the new message without APPENDUID
  } else if (upstream.empty()) {
    write.done.set_value(ErrorCode{});  // none of them is mirrored any more: nothing to do
    co_return ErrorCode{};
  }
  if (write.kind != Write::Kind::kAppend && selected_ != box) {
    Selected info;
    ErrorCode ec = co_await Select(*box, info);
    if (ec) {
      write.done.set_value(MakeError(Errc::kUnavailable));
      co_return ec == Errc::kNotFound ? ErrorCode{} : ec;
    }
    box->dirty = true;  // what changed before this SELECT is mirrored below too
  }
  std::string code;
  std::string set = imap::FormatSequenceSet(upstream);
  auto sent = co_await Send(write, *box, set, code);
  if (!sent) {
    write.done.set_value(MakeError(Errc::kUnavailable));
    co_return sent.error();
  }
  if (!sent->Ok()) {
    write.done.set_value(MakeError(Errc::kUnavailable));
    co_return ErrorCode{};
  }
  std::vector<store::Uid> pairs = write.kind == Write::Kind::kCopy ? upstream : source;
  if (write.kind == Write::Kind::kCopy) write.source = std::move(source);
  co_return co_await Finish(write, *box, code, pairs);
}

asio::awaitable<Result<Tagged>> Session::Send(Write& write, Mailbox& box, const std::string& set,
                                              std::string& uid_code) {
  auto on_response = [this, &uid_code](const Response& r) {
    // UID MOVE sends its COPYUID in an untagged OK (RFC 6851 4.3).
    if (r.IsStatus() && (r.code.starts_with("COPYUID ") || r.code.starts_with("APPENDUID "))) {
      uid_code = std::string(r.code);
    }
    Unsolicited(r);
  };
  std::vector<std::string> commands;
  switch (write.kind) {
    case Write::Kind::kKeywords:
      commands.push_back(StoreCommand(set, write.op, write.keywords));
      break;
    case Write::Kind::kRemove:
      commands.push_back(StoreCommand(set, store::KeywordOp::kAdd, {"$deleted"}));
      // Without UIDPLUS, EXPUNGE also removes what else upstream has marked \Deleted there.
      commands.push_back(conn_->Has("UIDPLUS") ? "UID EXPUNGE " + set : "EXPUNGE");
      break;
    case Write::Kind::kCopy: {
      const std::string& to = FindLocal(write.to)->name;
      if (write.move && conn_->Has("MOVE")) {
        commands.push_back("UID MOVE " + set + " " + Quote(to));
        break;
      }
      commands.push_back("UID COPY " + set + " " + Quote(to));
      if (write.move) {
        commands.push_back(StoreCommand(set, store::KeywordOp::kAdd, {"$deleted"}));
        commands.push_back(conn_->Has("UIDPLUS") ? "UID EXPUNGE " + set : "EXPUNGE");
      }
      break;
    }
    case Write::Kind::kAppend:
      co_return co_await SendAppend(write, box, on_response);
    case Write::Kind::kCreateMailbox:
    case Write::Kind::kRenameMailbox:
    case Write::Kind::kDeleteMailbox:
      break;  // ApplyMailbox
  }
  Result<Tagged> last = MakeError(Errc::kInvalidArgument);
  for (const auto& command : commands) {
    last = co_await conn_->Run(command, on_response);
    if (!last) co_return last;
    if (!last->Ok()) {
      spdlog::warn("bridge {}: upstream refused '{}': {} {}", Who(), command, last->status,
                   last->text);
      co_return last;
    }
    if (last->code.starts_with("COPYUID ")) uid_code = last->code;
  }
  co_return last;
}

asio::awaitable<Result<Tagged>> Session::SendAppend(Write& write, Mailbox& box,
                                                    const Connection::Untagged& on_response) {
  std::string command = "APPEND " + Quote(box.name) + " " + imap::FormatFlags(write.keywords) +
                        " " + imap::FormatDateTime({write.received_at, 0}) + " {" +
                        std::to_string(write.message.size());
  Result<Tagged> done = MakeError(Errc::kInvalidArgument);
  if (conn_->Has("LITERAL+")) {
    done = co_await conn_->Run(command + "+}\r\n" + write.message, on_response);
  } else {
    // A synchronizing literal: the octets follow once upstream said "+" (RFC 9051 7.5).
    auto tag = co_await conn_->Start(command + "}");
    if (!tag) co_return tag.error();
    bool go = false;
    std::optional<Tagged> refused;
    auto on_start = [&](const Response& r) {
      if (r.kind == Response::Kind::kContinuation) {
        go = true;
      } else if (r.kind == Response::Kind::kTagged && r.tag == *tag) {
        refused = Tagged{r.status, std::string(r.code), std::string(r.text)};
      } else {
        on_response(r);
      }
    };
    while (!go && !refused) {
      ErrorCode read = co_await conn_->ReadOne(on_start, std::chrono::seconds(120));
      if (read) co_return read;
    }
    if (refused) {
      done = *refused;
    } else {
      ErrorCode sent = co_await conn_->SendLine(write.message);
      if (sent) co_return sent;
      done = co_await conn_->Finish(*tag, on_response);
    }
  }
  if (done && !done->Ok()) {
    spdlog::warn("bridge {}: upstream refused APPEND to {}: {} {}", Who(), box.name, done->status,
                 done->text);
  }
  co_return done;
}

asio::awaitable<ErrorCode> Session::Finish(Write& write, Mailbox& box, const std::string& code,
                                           const std::vector<store::Uid>& pairs) {
  // Acknowledged only once mirrored: the client then reads what upstream has.
  Mailbox* target = write.kind == Write::Kind::kCopy ? FindLocal(write.to) : &box;
  target->dirty = true;
  ErrorCode synced = co_await Sync(*target);
  if (!synced && write.kind == Write::Kind::kCopy && write.move) synced = co_await Sync(box);
  if (synced || write.kind == Write::Kind::kKeywords || write.kind == Write::Kind::kRemove) {
    write.done.set_value(synced ? MakeError(Errc::kUnavailable) : ErrorCode{});
    co_return synced;
  }
  // Which mirrored messages upstream's new ones became.
  store::MailboxId local = target->local;
  auto known =
      co_await Blocking([this, local] { return context_.store.ReadUpstreamMailbox(local); });
  if (!known) {
    write.done.set_value(known.error());
    co_return ErrorCode{};
  }
  std::map<store::Uid, store::Uid> mirrored;  // upstream UID -> local
  for (const auto& m : known->messages) mirrored[m.upstream_uid] = m.uid;
  auto uids = ParseUidCode(code, UpstreamLimits(0));
  if (uids && uids->uidvalidity != known->uidvalidity) uids = imap::Bad("another UIDVALIDITY");
  std::vector<store::Uid> source, destination;
  if (write.kind == Write::Kind::kCopy && uids) {
    for (size_t i = 0; i < uids->source.size(); ++i) {
      auto from = std::find(pairs.begin(), pairs.end(), uids->source[i]);
      auto to = mirrored.find(uids->destination[i]);
      if (from == pairs.end() || to == mirrored.end()) continue;
      source.push_back(write.source[static_cast<size_t>(from - pairs.begin())]);
      destination.push_back(to->second);
    }
  } else if (write.kind == Write::Kind::kAppend) {
    // Without APPENDUID: the newest message mirrored since the APPEND.
    auto it = uids && !uids->destination.empty() ? mirrored.find(uids->destination.front())
              : mirrored.empty() || mirrored.rbegin()->first <= pairs.front()
                  ? mirrored.end()
                  : std::prev(mirrored.end());
    if (it != mirrored.end()) destination.push_back(it->second);
  }
  write.source = std::move(source);
  write.destination = std::move(destination);
  write.done.set_value(ErrorCode{});
  co_return ErrorCode{};
}

}  // namespace pushmail::bridge
