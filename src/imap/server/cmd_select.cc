// SELECT, EXAMINE (RFC 9051 6.3.2-3, RFC 7162 CONDSTORE), CLOSE and UNSELECT.
#include "imap/protocol/flags.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Select(const Request& r) {
  const auto& args = std::get<imap::Select>(r.args);
  selected_.reset();
  state_ = State::kAuthenticated;
  if (args.condstore) condstore_ = true;
  if (args.qresync && !qresync_) {
    Tagged(r, "BAD", "ENABLE QRESYNC first");
    co_return;
  }
  auto snapshot = co_await Blocking([this, &args]() -> Result<store::MailboxSnapshot> {
    auto box = context_.store.FindMailbox(account_, args.mailbox);
    if (!box) return box.error();
    return context_.store.ReadMailbox(box->id);
  });
  if (!snapshot) {
    Tagged(r, "NO",
           snapshot.error() == MakeError(Errc::kNotFound)
               ? "[NONEXISTENT] No such mailbox"
               : Failure(r, "Cannot read the mailbox", snapshot.error()));
    co_return;
  }
  bool read_only = r.verb == Verb::kExamine;
  dirty_ = false;
  selected_.emplace(std::move(*snapshot), read_only);
  const auto& box = selected_->mailbox();
  uint32_t unseen = 0;
  for (uint32_t seq = 1; seq <= selected_->size() && unseen == 0; ++seq) {
    const auto& k = selected_->at(seq).keywords;
    if (std::find(k.begin(), k.end(), "$seen") == k.end()) unseen = seq;
  }
  Send("* " + std::to_string(selected_->size()) + " EXISTS\r\n");
  Send("* 0 RECENT\r\n");
  Send("* FLAGS " + std::string(kFlags) + "\r\n");
  Send("* OK [PERMANENTFLAGS " + std::string(read_only ? "()" : kPermanentFlags) + "] Limited\r\n");
  if (unseen) Send("* OK [UNSEEN " + std::to_string(unseen) + "] First unseen\r\n");
  Send("* OK [UIDVALIDITY " + std::to_string(box.uidvalidity) + "] UIDs valid\r\n");
  Send("* OK [UIDNEXT " + std::to_string(box.uidnext) + "] Predicted next UID\r\n");
  Send("* OK [HIGHESTMODSEQ " + std::to_string(std::max<int64_t>(box.highest_modseq, 1)) +
       "] Highest\r\n");
  Send("* OK [MAILBOXID (" + store::MailboxJmapId(box.id) + ")] Ok\r\n");
  if (args.qresync && args.qresync->uidvalidity == box.uidvalidity) {
    auto delta = co_await Blocking([this, &args, id = box.id] {
      return context_.store.ReadMailboxChanges(id,
                                               static_cast<store::ModSeq>(args.qresync->modseq));
    });
    if (delta) {
      std::vector<uint32_t> vanished(delta->expunged.begin(), delta->expunged.end());
      if (!vanished.empty()) Send("* VANISHED (EARLIER) " + FormatSequenceSet(vanished) + "\r\n");
      for (const auto& m : delta->changed) {
        auto seq = selected_->SeqOf(m.uid);
        if (seq) Send(FlagsResponse(*seq, selected_->at(*seq), true, true));
      }
    }
  }
  state_ = State::kSelected;
  Tagged(r, "OK", read_only ? "[READ-ONLY] EXAMINE completed" : "[READ-WRITE] SELECT completed");
}

asio::awaitable<void> Session::Unselect(const Request& r) {
  if (r.verb == Verb::kClose && !selected_->read_only()) {
    // CLOSE expunges silently (RFC 9051 6.4.1).
    auto id = selected_->mailbox().id;
    auto gone =
        co_await Writing([this, id] { return context_.store.Expunge(account_, id, std::nullopt); });
    (void)gone;  // failures leave the messages in place; nothing to report after CLOSE
  }
  selected_.reset();
  state_ = State::kAuthenticated;
  Tagged(r, "OK", std::string(VerbName(r.verb)) + " completed");
}

}  // namespace pushmail::imap
