// EXPUNGE and UID EXPUNGE (RFC 9051 6.4.3, RFC 4315).
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Expunge(const Request& r) {
  if (selected_->read_only()) {
    Tagged(r, "NO", "[READ-ONLY] Mailbox is read-only");
    co_return;
  }
  std::optional<std::vector<store::Uid>> only;
  if (r.uid) {
    only.emplace();
    for (uint32_t seq : selected_->Resolve(std::get<UidExpunge>(r.args).set, true)) {
      only->push_back(selected_->at(seq).uid);
    }
  }
  auto id = selected_->mailbox().id;
  auto gone = co_await Writing([&] { return context_.store.Expunge(account_, id, only); });
  if (!gone) {
    Tagged(r, "NO", Failure(r, "Expunge failed", gone.error()));
    co_return;
  }
  co_await Sync(true);  // reports the expunges (and anything else that changed)
  Tagged(r, "OK", std::string(r.uid ? "UID " : "") + "EXPUNGE completed");
}

}  // namespace pushmail::imap
