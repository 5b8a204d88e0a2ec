// Mirroring one upstream mailbox into its local mailbox: SELECT, then the UIDs upstream against
// the UIDs mirrored (gone ones removed, ones past the last mirrored fetched and delivered), then
// the flags that changed (CONDSTORE's CHANGEDSINCE when offered, all of them otherwise).
#include <algorithm>
#include <charconv>

#include "base/clock.h"
#include "base/log.h"
#include "bridge/quote.h"
#include "bridge/session.h"
#include "imap/protocol/datetime.h"
#include "imap/protocol/flags.h"
#include "imap/protocol/sequence.h"

namespace pushmail::bridge {

namespace asio = boost::asio;
namespace {

constexpr size_t kFetchChunk = 100;  // messages per UID FETCH of bodies

uint64_t CodeNumber(std::string_view value) {
  uint64_t n = 0;
  std::from_chars(value.data(), value.data() + value.size(), n);
  return n;
}

store::Keywords KeywordsOf(const imap::Token& flags) {
  store::Keywords out;
  for (const auto& f : flags.children) {
    if (auto k = imap::FlagToKeyword(f.text())) out.push_back(std::move(*k));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

// The UIDs of a sequence set without "*", ascending.
void AppendSet(const imap::SequenceSet& set, std::vector<store::Uid>& out) {
  for (const auto& r : set.ranges) {
    if (r.first == imap::SeqRange::kStar || r.last == imap::SeqRange::kStar) continue;
    for (uint64_t u = std::min(r.first, r.last); u <= std::max(r.first, r.last); ++u) {
      out.push_back(static_cast<store::Uid>(u));
    }
  }
}

std::string Chunk(const std::vector<store::Uid>& uids, size_t from, size_t n) {
  std::vector<uint32_t> part(
      uids.begin() + static_cast<ptrdiff_t>(from),
      uids.begin() + static_cast<ptrdiff_t>(std::min(uids.size(), from + n)));
  return imap::FormatSequenceSet(part);
}

}  // namespace

asio::awaitable<ErrorCode> Session::Select(Mailbox& box, Selected& info) {
  info = {};
  auto on_select = [&](const Response& r) {
    if (r.number && r.name == "EXISTS") {
      info.exists = *r.number;
    } else if (r.IsStatus() && !r.code.empty()) {
      std::string_view code = r.code;
      size_t sp = code.find(' ');
      std::string_view name = code.substr(0, sp);
      std::string_view value = sp == std::string_view::npos ? "" : code.substr(sp + 1);
      if (name == "UIDVALIDITY") info.uidvalidity = static_cast<uint32_t>(CodeNumber(value));
      if (name == "UIDNEXT") info.uidnext = static_cast<uint32_t>(CodeNumber(value));
      if (name == "HIGHESTMODSEQ") info.modseq = static_cast<int64_t>(CodeNumber(value));
      if (name == "NOMODSEQ") info.modseq = 0;
    } else if (r.name == "STATUS") {
      Unsolicited(r);
    }
  };
  selected_ = nullptr;
  auto sel = co_await conn_->Run("SELECT " + Quote(box.name), on_select);
  if (!sel) co_return sel.error();
  if (!sel->Ok()) {
    spdlog::warn("bridge {}: SELECT {} refused: {}", Who(), box.name, sel->text);
    co_return MakeError(Errc::kNotFound);
  }
  if (!condstore_) info.modseq = 0;
  selected_ = &box;
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::Sync(Mailbox& box) {
  box.dirty = false;  // a change heard of from here on makes it dirty again
  store::MailboxId local = box.local;
  if (selected_ == &box) {
    // New mail first, in one round trip and before anything else, so that it is pushed at
    // once; the full sync below then finds it mirrored. UIDVALIDITY cannot change while the
    // mailbox stays selected.
    auto known =
        co_await Blocking([this, local] { return context_.store.ReadUpstreamMailbox(local); });
    if (!known) co_return known.error();
    if (known->uidvalidity != 0 && known->uidvalidity == box.uidvalidity) {
      std::string set = std::to_string(known->max_upstream_uid + 1) + ":*";
      ErrorCode ec = co_await FetchAndDeliver(box, box.uidvalidity, set, known->max_upstream_uid);
      if (ec && ec != Errc::kNotFound) co_return ec;  // refused: the full sync decides
    }
  }
  Selected info;
  ErrorCode selected = co_await Select(box, info);
  if (selected == Errc::kNotFound) co_return ErrorCode{};
  if (selected) co_return selected;
  box.uidvalidity = info.uidvalidity;
  box.uidnext = info.uidnext;
  box.messages = info.exists;
  box.modseq = info.modseq;
  auto known =
      co_await Blocking([this, local] { return context_.store.ReadUpstreamMailbox(local); });
  if (!known) co_return known.error();
  if (known->uidvalidity != info.uidvalidity) {
    if (known->uidvalidity != 0) {
      spdlog::warn("bridge {}: {}: UIDVALIDITY changed from {} to {}; mirroring it afresh", Who(),
                   box.name, known->uidvalidity, info.uidvalidity);
      std::vector<store::Uid> all;
      for (const auto& m : known->messages) all.push_back(m.uid);
      auto removed = co_await Blocking(
          [this, local, &all] { return context_.store.RemoveMessages(account_, local, all); });
      if (!removed) co_return removed.error();
    }
    // Recorded before any message is, so that what is mirrored is always under a known
    // UIDVALIDITY; HIGHESTMODSEQ 0 until this sync is done.
    uint32_t uv = info.uidvalidity;
    auto set = co_await Blocking(
        [this, local, uv] { return context_.store.SetUpstreamMailbox(local, uv, 0); });
    if (set) co_return set;
    *known = store::UpstreamMailbox{};
    known->uidvalidity = info.uidvalidity;
  } else if (info.modseq != 0 && known->highest_modseq == info.modseq) {
    co_return ErrorCode{};  // nothing changed upstream since the last sync
  }
  std::vector<store::Uid> uids;
  if (info.exists > 0) {
    auto searched = co_await SearchUids();
    if (!searched) co_return searched.error();
    uids = std::move(*searched);
  }
  std::vector<store::Uid> gone;
  for (const auto& m : known->messages) {
    if (!std::binary_search(uids.begin(), uids.end(), m.upstream_uid)) gone.push_back(m.uid);
  }
  if (!gone.empty()) {
    auto removed = co_await Blocking(
        [this, local, &gone] { return context_.store.RemoveMessages(account_, local, gone); });
    if (!removed) co_return removed.error();
    spdlog::info("bridge {}: {}: {} messages gone upstream, removed", Who(), box.name, gone.size());
  }
  std::vector<store::Uid> fresh;
  for (store::Uid u : uids) {
    if (u > known->max_upstream_uid) fresh.push_back(u);
  }
  if (!fresh.empty()) {
    ErrorCode fetched = co_await FetchNew(box, info.uidvalidity, fresh);
    if (fetched) co_return fetched;
  }
  bool incremental = condstore_ && known->highest_modseq > 0;
  if (!known->messages.empty()) {
    int64_t since = incremental ? known->highest_modseq : 0;
    ErrorCode flagged = co_await SyncFlags(box, *known, since);
    if (flagged) co_return flagged;
  }
  uint32_t uv = info.uidvalidity;
  int64_t modseq = info.modseq;
  co_return co_await Blocking(
      [this, local, uv, modseq] { return context_.store.SetUpstreamMailbox(local, uv, modseq); });
}

asio::awaitable<Result<std::vector<store::Uid>>> Session::SearchUids() {
  std::vector<store::Uid> uids;
  ErrorCode bad;
  imap::Limits limits = UpstreamLimits(0);
  auto on_search = [&](const Response& r) {
    if (r.name == "SEARCH") {
      for (const auto& t : r.data) {
        if (auto n = Number(t); n && *n > 0 && *n <= UINT32_MAX) {
          uids.push_back(static_cast<store::Uid>(*n));
        }
      }
    } else if (r.name == "ESEARCH") {
      for (size_t i = 0; i + 1 < r.data.size(); ++i) {
        if (!r.data[i].IsAtom("ALL")) continue;
        auto set = imap::ParseSequenceSet(r.data[i + 1].text(), limits, false);
        if (!set) {
          bad = MakeError(Errc::kInvalidArgument);
          return;
        }
        AppendSet(*set, uids);
      }
    } else {
      Unsolicited(r);
    }
  };
  const std::string search = esearch_ ? "UID SEARCH RETURN (ALL) ALL" : "UID SEARCH ALL";
  auto done = co_await conn_->Run(search, on_search);
  if (!done) co_return done.error();
  if (bad || !done->Ok()) co_return MakeError(Errc::kInvalidArgument);
  std::sort(uids.begin(), uids.end());
  uids.erase(std::unique(uids.begin(), uids.end()), uids.end());
  co_return uids;
}

asio::awaitable<ErrorCode> Session::FetchNew(Mailbox& box, uint32_t uidvalidity,
                                             const std::vector<store::Uid>& uids) {
  bool progress = uids.size() > kFetchChunk;
  for (size_t from = 0; from < uids.size(); from += kFetchChunk) {
    if (stopping_) co_return MakeError(Errc::kUnavailable);
    auto chunk = Chunk(uids, from, kFetchChunk);
    ErrorCode delivered = co_await FetchAndDeliver(box, uidvalidity, chunk, 0);
    if (delivered) co_return delivered;
    if (progress) {
      spdlog::info("bridge {}: {}: {}/{} new messages mirrored", Who(), box.name,
                   std::min(uids.size(), from + kFetchChunk), uids.size());
    }
  }
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::FetchAndDeliver(Mailbox& box, uint32_t uidvalidity,
                                                    const std::string& set, store::Uid above) {
  std::vector<store::Incoming> batch;
  auto on_fetch = [&](const Response& r) {
    const auto* fetched = FetchItems(r);
    if (fetched == nullptr) {
      Unsolicited(r);
      return;
    }
    const auto& items = *fetched;
    const imap::Token* uid = FindItem(items, "UID");
    const imap::Token* body = FindItem(items, "BODY[]");
    if (uid == nullptr || body == nullptr || !body->IsString()) {
      Unsolicited(r);  // a flag change of another message
      return;
    }
    store::Incoming in;
    in.message = std::string(body->text());
    in.recipients = {account_};
    in.mailbox = box.local;
    in.upstream =
        store::UpstreamRef{uidvalidity, static_cast<store::Uid>(Number(*uid).value_or(0))};
    if (const imap::Token* flags = FindItem(items, "FLAGS"); flags && flags->IsList()) {
      in.keywords = KeywordsOf(*flags);
    }
    in.received_at = UnixNow();
    if (const imap::Token* date = FindItem(items, "INTERNALDATE")) {
      if (auto t = imap::ParseDateTime(date->text())) in.received_at = t->unix_seconds;
    }
    // "n:*" names the last message even when its UID is below n (RFC 9051 6.4.8).
    if (in.upstream->uid > above) batch.push_back(std::move(in));
  };
  auto done =
      co_await conn_->Run("UID FETCH " + set + " (UID FLAGS INTERNALDATE BODY.PEEK[])", on_fetch);
  if (!done) co_return done.error();
  if (!done->Ok()) co_return MakeError(Errc::kNotFound);
  if (batch.empty()) co_return ErrorCode{};
  std::sort(batch.begin(), batch.end(),
            [](const auto& a, const auto& b) { return a.upstream->uid < b.upstream->uid; });
  size_t n = batch.size();
  auto delivered = co_await Blocking([this, &batch] {
    for (auto& in : batch) in.summary = mime::Parse(in.message);
    return context_.store.DeliverAll(std::move(batch));
  });
  if (!delivered) co_return delivered.error();
  spdlog::debug("bridge {}: {}: {} new messages mirrored", Who(), box.name, n);
  co_return ErrorCode{};
}

asio::awaitable<ErrorCode> Session::SyncFlags(Mailbox& box, const store::UpstreamMailbox& known,
                                              int64_t changed_since) {
  std::vector<std::pair<store::Uid, store::Keywords>> seen;  // upstream UID, keywords
  auto on_fetch = [&](const Response& r) {
    const auto* items = FetchItems(r);
    if (items == nullptr) {
      Unsolicited(r);
      return;
    }
    const imap::Token* uid = FindItem(*items, "UID");
    const imap::Token* flags = FindItem(*items, "FLAGS");
    if (uid == nullptr || flags == nullptr || !flags->IsList()) return;
    seen.emplace_back(static_cast<store::Uid>(Number(*uid).value_or(0)), KeywordsOf(*flags));
  };
  std::string command = "UID FETCH 1:" + std::to_string(known.max_upstream_uid) + " (UID FLAGS)";
  if (changed_since > 0) command += " (CHANGEDSINCE " + std::to_string(changed_since) + ")";
  auto done = co_await conn_->Run(command, on_fetch);
  if (!done) co_return done.error();
  if (!done->Ok()) co_return MakeError(Errc::kUnavailable);
  size_t changed = 0;
  for (auto& [upstream_uid, seen_keywords] : seen) {
    const store::Keywords& keywords = seen_keywords;  // a lambda cannot capture a binding
    auto it = std::lower_bound(
        known.messages.begin(), known.messages.end(), upstream_uid,
        [](const store::UpstreamMessage& m, store::Uid u) { return m.upstream_uid < u; });
    if (it == known.messages.end() || it->upstream_uid != upstream_uid) continue;
    if (it->keywords == keywords) continue;
    std::vector<store::Uid> one{it->uid};
    store::MailboxId local = box.local;
    auto updated = co_await Blocking([this, local, &one, &keywords] {
      return context_.store.UpdateKeywords(account_, local, one, store::KeywordOp::kReplace,
                                           keywords);
    });
    if (!updated) co_return updated.error();
    ++changed;
  }
  if (changed > 0) {
    spdlog::info("bridge {}: {}: flags of {} messages changed upstream", Who(), box.name, changed);
  }
  co_return ErrorCode{};
}

}  // namespace pushmail::bridge
