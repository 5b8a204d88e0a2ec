// FETCH and UID FETCH (RFC 9051 6.4.5, RFC 7162 CHANGEDSINCE, RFC 3516 BINARY).
#include "imap/server/fetch_render.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

constexpr size_t kChunk = 128;  // messages rendered per trip to the pool

bool Seen(const ViewedMessage& m) {
  return std::find(m.keywords.begin(), m.keywords.end(), "$seen") != m.keywords.end();
}

}  // namespace

asio::awaitable<void> Session::Fetch(const Request& r) {
  const auto& args = std::get<imap::Fetch>(r.args);
  if (args.vanished && (!r.uid || !qresync_ || !args.changed_since)) {
    Tagged(r, "BAD", "VANISHED needs UID FETCH, QRESYNC and CHANGEDSINCE");
    co_return;
  }
  if (args.changed_since) condstore_ = true;  // RFC 7162 3.1: CHANGEDSINCE enables CONDSTORE
  std::vector<uint32_t> seqs = selected_->Resolve(args.set, r.uid);
  if (args.changed_since) {
    std::erase_if(seqs, [&](uint32_t s) {
      return static_cast<uint64_t>(selected_->at(s).modseq) <= *args.changed_since;
    });
  }
  // Fetching a body sets \Seen in a mailbox opened read-write (RFC 9051 6.4.5).
  bool sets_seen =
      !selected_->read_only() && std::any_of(args.items.begin(), args.items.end(),
                                             [](const FetchItem& i) { return i.SetsSeen(); });
  bool flags_asked = std::any_of(args.items.begin(), args.items.end(),
                                 [](const FetchItem& i) { return i.attr == FetchAttr::kFlags; });
  if (args.vanished) {
    // RFC 7162 3.2.6: the UIDs in the set expunged since CHANGEDSINCE.
    auto id = selected_->mailbox().id;
    auto since = static_cast<store::ModSeq>(*args.changed_since);
    auto delta = co_await Blocking([&] { return context_.store.ReadMailboxChanges(id, since); });
    if (delta) {
      uint32_t max = selected_->uids().empty() ? 0 : selected_->uids().back();
      std::vector<uint32_t> gone;
      for (store::Uid uid : delta->expunged) {
        if (args.set.Contains(uid, std::max(max, uid))) gone.push_back(uid);
      }
      if (!gone.empty()) Send("* VANISHED (EARLIER) " + FormatSequenceSet(gone) + "\r\n");
    }
  }
  std::vector<FetchItem> items = args.items;
  if (sets_seen) {
    std::vector<store::Uid> unseen;
    for (uint32_t s : seqs) {
      if (!Seen(selected_->at(s))) unseen.push_back(selected_->at(s).uid);
    }
    if (!unseen.empty()) {
      auto id = selected_->mailbox().id;
      auto update = co_await Writing([&] {
        return context_.store.UpdateKeywords(account_, id, unseen, store::KeywordOp::kAdd,
                                             {"$seen"});
      });
      if (update) {
        for (const auto& m : update->changed) selected_->Update(m);
      }
      if (!flags_asked) items.push_back(FetchItem{FetchAttr::kFlags});
    }
  }
  FetchOptions options{utf8_, r.uid, condstore_};
  bool summary = NeedsSummary(items), bytes = NeedsBytes(items);
  store::MailboxId mailbox = selected_->mailbox().id;
  for (size_t start = 0; start < seqs.size(); start += kChunk) {
    size_t end = std::min(seqs.size(), start + kChunk);
    // The view keeps UIDs and flags; ids, size and date come from the store, per chunk.
    store::Uid first = selected_->at(seqs[start]).uid, last = selected_->at(seqs[end - 1]).uid;
    auto rows =
        co_await Blocking([&] { return context_.store.ReadMessages(mailbox, first, last); });
    if (!rows) {
      Tagged(r, "NO", Failure(r, "Cannot read the mailbox", rows.error()));
      co_return;
    }
    std::vector<FetchInput> inputs;
    size_t next = start;  // rows and seqs both ascend: a merge keeps only the asked ones
    for (auto& [seq, message] : selected_->AsTold(std::move(*rows))) {
      while (next < end && seqs[next] < seq) ++next;
      if (next < end && seqs[next] == seq) inputs.push_back({seq, std::move(message)});
    }
    bool unknown_cte = false;
    std::string rendered = co_await Blocking([&] {
      std::string out;
      for (auto& in : inputs) {
        std::optional<store::EmailRecord> email;
        std::optional<std::string> content;
        if (summary) {
          auto e = context_.store.GetEmail(in.message.email);
          if (!e) continue;  // expunged by another session meanwhile: nothing to say
          email = std::move(*e);
          in.email = &*email;
        }
        if (bytes) {
          auto b = context_.store.ReadEmailBytes(in.message.email);
          if (!b) continue;
          content = std::move(*b);
          in.bytes = &*content;
        }
        out += RenderFetch(in, items, options, unknown_cte);
        if (unknown_cte) return std::string();
      }
      return out;
    });
    if (unknown_cte) {
      Tagged(r, "NO", "[UNKNOWN-CTE] Cannot decode this part");
      co_return;
    }
    Send(rendered);
    bool flushed = co_await Flush();
    if (!flushed) co_return;
  }
  Tagged(r, "OK", std::string(r.uid ? "UID " : "") + "FETCH completed");
}

}  // namespace pushmail::imap
