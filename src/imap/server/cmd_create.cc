// CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE (RFC 9051 6.3.4-8).
#include "imap/protocol/mailbox.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

// The refusal for what the client asked wrongly; empty for an internal failure.
std::string_view Refusal(const ErrorCode& ec) {
  if (ec == MakeError(Errc::kAlreadyExists)) return "[ALREADYEXISTS] Mailbox exists";
  if (ec == MakeError(Errc::kNotFound)) return "[NONEXISTENT] No such mailbox";
  if (ec == MakeError(Errc::kInvalidArgument)) return "[CANNOT] Not allowed for this mailbox";
  return {};
}

}  // namespace

asio::awaitable<void> Session::MailboxCommand(const Request& r) {
  auto& store = context_.store;
  ErrorCode ec;
  switch (r.verb) {
    case Verb::kCreate: {
      std::string name = std::get<imap::Create>(r.args).mailbox;
      while (!name.empty() && name.back() == '/') name.pop_back();  // "a/" means "a"
      if (name == "INBOX" || !IsCreatableMailboxName(name)) {
        ec = name == "INBOX" ? MakeError(Errc::kAlreadyExists) : MakeError(Errc::kInvalidArgument);
        break;
      }
      auto made = co_await Writing([&] { return store.CreateMailbox(account_, name); });
      if (!made) ec = made.error();
      break;
    }
    case Verb::kRename: {
      const auto& args = std::get<imap::Rename>(r.args);
      ec = co_await Writing([&]() -> ErrorCode {
        auto id = FindMailboxId(args.from);
        if (!id) return id.error();
        return store.RenameMailbox(account_, *id, args.to);
      });
      break;
    }
    default: {
      const auto& name = std::get<MailboxArgument>(r.args).mailbox;
      if (r.verb == Verb::kDelete && selected_ && selected_->mailbox().name == name) {
        selected_.reset();  // RFC 9051 6.3.5: deleting the selected mailbox unselects it
        state_ = State::kAuthenticated;
      }
      ec = co_await Writing([&]() -> ErrorCode {
        auto id = FindMailboxId(name);
        if (!id) return id.error();
        if (r.verb == Verb::kDelete) return store.DeleteMailbox(account_, *id);
        return store.SetSubscribed(account_, *id, r.verb == Verb::kSubscribe);
      });
      break;
    }
  }
  std::string done = std::string(VerbName(r.verb)) + " completed";
  if (ec) {
    std::string_view refusal = Refusal(ec);
    Tagged(r, "NO", refusal.empty() ? Failure(r, "Store error", ec) : std::string(refusal));
  } else {
    Tagged(r, "OK", done);
  }
}

}  // namespace pushmail::imap
