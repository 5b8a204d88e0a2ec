// APPEND, with MULTIAPPEND (RFC 9051 6.3.12, RFC 3502) and UIDPLUS APPENDUID (RFC 4315).
#include "base/clock.h"
#include "imap/protocol/flags.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Append(const Request& r) {
  const auto& args = std::get<imap::Append>(r.args);
  for (const auto& m : args.messages) {
    if (m.data.empty()) {
      Tagged(r, "NO", "Empty message");
      co_return;
    }
  }
  struct Appended {
    uint32_t uidvalidity = 0;
    std::vector<uint32_t> uids;
  };
  auto result = co_await Writing([&]() -> Result<Appended> {
    auto box = context_.store.FindMailbox(account_, args.mailbox);
    if (!box) return box.error();
    Appended out{box->uidvalidity, {}};
    std::vector<store::Incoming> messages;
    for (const auto& m : args.messages) {
      store::Incoming& in = messages.emplace_back();
      in.message = std::string(m.data);
      in.summary = mime::Parse(in.message);
      in.received_at = m.internal_date ? m.internal_date->unix_seconds : UnixNow();
      in.recipients = {account_};
      in.mailbox = box->id;
      for (const auto& flag : m.flags) {
        if (auto k = FlagToKeyword(flag)) in.keywords.push_back(*k);
      }
    }
    // MULTIAPPEND is all or nothing (RFC 3502 6.3.11): one transaction.
    auto delivered = context_.store.DeliverAll(std::move(messages));
    if (!delivered) return delivered.error();
    for (const auto& d : *delivered) out.uids.push_back(d.uid);
    return out;
  });
  if (!result) {
    Tagged(r, "NO",
           result.error() == MakeError(Errc::kNotFound)
               ? "[TRYCREATE] No such mailbox"
               : Failure(r, "Cannot store the message", result.error()));
    co_return;
  }
  std::string uids;
  for (uint32_t uid : result->uids) {
    if (!uids.empty()) uids += ',';
    uids += std::to_string(uid);
  }
  Tagged(r, "OK",
         "[APPENDUID " + std::to_string(result->uidvalidity) + " " + uids + "] APPEND completed");
}

}  // namespace pushmail::imap
