// STORE and UID STORE (RFC 9051 6.4.6, RFC 7162 UNCHANGEDSINCE).
#include "imap/protocol/flags.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Store(const Request& r) {
  const auto& args = std::get<imap::Store>(r.args);
  if (selected_->read_only()) {
    Tagged(r, "NO", "[READ-ONLY] Mailbox is read-only");
    co_return;
  }
  if (args.unchanged_since) condstore_ = true;
  store::Keywords keywords;
  for (const auto& flag : args.flags) {
    if (auto k = FlagToKeyword(flag)) keywords.push_back(*k);  // \Recent is ignored
  }
  std::vector<store::Uid> uids;
  for (uint32_t seq : selected_->Resolve(args.set, r.uid)) uids.push_back(selected_->at(seq).uid);
  auto op = args.mode == imap::Store::Mode::kAdd      ? store::KeywordOp::kAdd
            : args.mode == imap::Store::Mode::kRemove ? store::KeywordOp::kRemove
                                                      : store::KeywordOp::kReplace;
  auto id = selected_->mailbox().id;
  std::optional<store::ModSeq> since;
  if (args.unchanged_since) since = static_cast<store::ModSeq>(*args.unchanged_since);
  auto update = co_await Writing(
      [&] { return context_.store.UpdateKeywords(account_, id, uids, op, keywords, since); });
  if (!update) {
    Tagged(r, "NO", Failure(r, "Cannot store flags", update.error()));
    co_return;
  }
  for (const auto& m : update->changed) {
    selected_->Update(m);
    auto seq = selected_->SeqOf(m.uid);
    // .SILENT still reports MODSEQ under CONDSTORE (RFC 7162 3.1.3).
    if (seq && (!args.silent || condstore_)) {
      Send(FlagsResponse(*seq, selected_->at(*seq), r.uid, condstore_));
    }
  }
  for (store::Uid uid : update->unchanged) {
    auto seq = selected_->SeqOf(uid);
    if (seq && !args.silent) Send(FlagsResponse(*seq, selected_->at(*seq), r.uid, condstore_));
  }
  if (!update->modified.empty()) {
    std::vector<uint32_t> modified;
    for (store::Uid uid : update->modified) {
      if (r.uid) {
        modified.push_back(uid);
      } else if (auto seq = selected_->SeqOf(uid)) {
        modified.push_back(*seq);
      }
    }
    std::sort(modified.begin(), modified.end());
    Tagged(r, "OK", "[MODIFIED " + FormatSequenceSet(modified) + "] Conditional STORE failed");
    co_return;
  }
  Tagged(r, "OK", std::string(r.uid ? "UID " : "") + "STORE completed");
}

}  // namespace pushmail::imap
