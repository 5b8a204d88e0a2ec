// COPY, MOVE and their UID forms (RFC 9051 6.4.7-8, UIDPLUS COPYUID).
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Copy(const Request& r) {
  const auto& args = std::get<imap::Copy>(r.args);
  bool move = r.verb == Verb::kMove;
  if (move && selected_->read_only()) {
    Tagged(r, "NO", "[READ-ONLY] Mailbox is read-only");
    co_return;
  }
  std::vector<store::Uid> uids;
  for (uint32_t seq : selected_->Resolve(args.set, r.uid)) uids.push_back(selected_->at(seq).uid);
  auto from = selected_->mailbox().id;
  auto result = co_await Writing([&]() -> Result<store::CopyResult> {
    auto to = FindMailboxId(args.mailbox);
    if (!to) return to.error();
    return context_.store.Copy(account_, from, uids, *to, move);
  });
  if (!result) {
    Tagged(r, "NO",
           result.error() == MakeError(Errc::kNotFound)
               ? "[TRYCREATE] No such mailbox"
               : Failure(r, "Copy failed", result.error()));
    co_return;
  }
  std::string code;
  if (!result->source.empty()) {
    // COPYUID lists both sets in the same order; keep the pairs aligned rather than sorted.
    std::string src, dst;
    for (size_t i = 0; i < result->source.size(); ++i) {
      if (i > 0) {
        src += ',';
        dst += ',';
      }
      src += std::to_string(result->source[i]);
      dst += std::to_string(result->destination[i]);
    }
    code = "[COPYUID " + std::to_string(result->uidvalidity) + " " + src + " " + dst + "] ";
  }
  const char* name = move ? "MOVE" : "COPY";
  if (move) {
    // RFC 6851 4.3: the COPYUID goes in an untagged OK before the expunges.
    if (!code.empty()) Send("* OK " + code + "Moved\r\n");
    co_await Sync(true);
    Tagged(r, "OK", std::string(r.uid ? "UID " : "") + name + " completed");
    co_return;
  }
  Tagged(r, "OK", code + (r.uid ? "UID " : "") + name + " completed");
}

}  // namespace pushmail::imap
