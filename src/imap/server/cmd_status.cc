// STATUS (RFC 9051 6.3.11; SIZE, RFC 8438; HIGHESTMODSEQ, RFC 7162; MAILBOXID, RFC 8474).
#include "imap/protocol/format.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

asio::awaitable<void> Session::Status(const Request& r) {
  const auto& args = std::get<imap::Status>(r.args);
  struct Answer {
    store::Mailbox box;
    store::MailboxCounts counts;
  };
  auto answer = co_await Blocking([this, &args]() -> Result<Answer> {
    auto box = context_.store.FindMailbox(account_, args.mailbox);
    if (!box) return box.error();
    auto counts = context_.store.CountMailbox(box->id);
    if (!counts) return counts.error();
    return Answer{*box, *counts};
  });
  if (!answer) {
    Tagged(r, "NO",
           answer.error() == MakeError(Errc::kNotFound)
               ? "[NONEXISTENT] No such mailbox"
               : Failure(r, "Cannot read the mailbox", answer.error()));
    co_return;
  }
  std::string line = "* STATUS ";
  AppendMailbox(line, answer->box.name, utf8_);
  line += " (";
  bool first = true;
  for (const auto& item : args.items) {
    std::string value;
    const auto& c = answer->counts;
    if (item == "MESSAGES") value = std::to_string(c.messages);
    if (item == "UNSEEN") value = std::to_string(c.unseen);
    if (item == "DELETED") value = std::to_string(c.deleted);
    if (item == "SIZE") value = std::to_string(c.size);
    if (item == "RECENT") value = "0";
    if (item == "UIDNEXT") value = std::to_string(answer->box.uidnext);
    if (item == "UIDVALIDITY") value = std::to_string(answer->box.uidvalidity);
    if (item == "HIGHESTMODSEQ") {
      value = std::to_string(std::max<int64_t>(answer->box.highest_modseq, 1));
    }
    if (item == "APPENDLIMIT") value = std::to_string(limits_.max_literal);
    if (item == "MAILBOXID") value = "(" + store::MailboxJmapId(answer->box.id) + ")";
    if (value.empty()) continue;
    if (!first) line += ' ';
    line.append(item).append(" ").append(value);
    first = false;
  }
  Send(line + ")\r\n");
  Tagged(r, "OK", "STATUS completed");
}

}  // namespace pushmail::imap
