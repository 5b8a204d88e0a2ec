// SEARCH and UID SEARCH (RFC 9051 6.4.4, ESEARCH RFC 4731, CONDSTORE MODSEQ RFC 7162).
#include <boost/json/parse.hpp>

#include "base/clock.h"
#include "imap/server/search_eval.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

bool UsesModSeq(const SearchKey& key) {
  if (key.kind == SearchKey::Kind::kModSeq) return true;
  return std::any_of(key.children.begin(), key.children.end(), UsesModSeq);
}

bool UsesSaved(const SearchKey& key) {
  if (key.set.saved) return true;
  return std::any_of(key.children.begin(), key.children.end(), UsesSaved);
}

}  // namespace

asio::awaitable<void> Session::Search(const Request& r) {
  const auto& args = std::get<imap::Search>(r.args);
  if (args.ret.save || UsesSaved(args.key)) {
    Tagged(r, "NO", "SEARCHRES ($) is not offered");
    co_return;
  }
  bool modseq = UsesModSeq(args.key);
  if (modseq) condstore_ = true;
  uint32_t count = selected_->size();
  uint32_t max_uid = selected_->uids().empty() ? 0 : selected_->uids().back();
  store::MailboxId mailbox = selected_->mailbox().id;
  bool content = NeedsContent(args.key);
  std::vector<std::pair<uint32_t, store::MailboxMessage>> messages;  // (seq, as told)
  std::vector<uint32_t> hits;                                        // sequence numbers
  store::ModSeq highest = 0;
  auto rows = co_await Blocking([&] { return context_.store.ReadMessages(mailbox, 1, max_uid); });
  if (!rows) {
    Tagged(r, "NO", Failure(r, "Cannot read the mailbox", rows.error()));
    co_return;
  }
  messages = selected_->AsTold(std::move(*rows));
  co_await Blocking([&] {
    int64_t now = UnixNow();
    for (size_t i = 0; i < messages.size(); ++i) {
      const store::MailboxMessage& m = messages[i].second;
      std::optional<mime::Summary> summary;
      std::optional<std::string> bytes;
      SearchSubject s{messages[i].first, count, max_uid, &m, now, nullptr, nullptr};
      if (content) {
        s.summary = [&]() -> const mime::Summary* {
          if (!summary) {
            auto e = context_.store.GetEmail(m.email);
            if (!e) return nullptr;
            boost::system::error_code ec;
            auto json = boost::json::parse(e->summary_json, ec);
            summary = ec ? mime::Summary() : mime::FromJson(json);
          }
          return &*summary;
        };
        s.bytes = [&]() -> const std::string* {
          if (!bytes) {
            auto b = context_.store.ReadEmailBytes(m.email);
            if (!b) return nullptr;
            bytes = std::move(*b);
          }
          return &*bytes;
        };
      }
      if (Matches(args.key, s)) {
        hits.push_back(messages[i].first);
        highest = std::max(highest, m.modseq);
      }
    }
    return 0;
  });
  std::vector<uint32_t> numbers;
  numbers.reserve(hits.size());
  for (uint32_t seq : hits) numbers.push_back(r.uid ? selected_->at(seq).uid : seq);
  if (args.ret.present) {
    std::string line = "* ESEARCH (TAG \"" + r.tag + "\")";
    if (r.uid) line += " UID";
    bool all = args.ret.all || !(args.ret.min || args.ret.max || args.ret.count);
    if (args.ret.min && !numbers.empty()) line += " MIN " + std::to_string(numbers.front());
    if (args.ret.max && !numbers.empty()) line += " MAX " + std::to_string(numbers.back());
    if (all && !numbers.empty()) line += " ALL " + FormatSequenceSet(numbers);
    if (args.ret.count) line += " COUNT " + std::to_string(numbers.size());
    if (modseq && !numbers.empty()) line += " MODSEQ " + std::to_string(highest);
    Send(line + "\r\n");
  } else {
    std::string line = "* SEARCH";
    for (uint32_t n : numbers) line += " " + std::to_string(n);
    if (modseq && !numbers.empty()) line += " (MODSEQ " + std::to_string(highest) + ")";
    Send(line + "\r\n");
  }
  Tagged(r, "OK", std::string(r.uid ? "UID " : "") + "SEARCH completed");
}

}  // namespace pushmail::imap
