// LIST (RFC 9051 6.3.9, LIST-EXTENDED RFC 5258, LIST-STATUS RFC 5819, SPECIAL-USE RFC 6154)
// and LSUB (RFC 3501 6.3.9).
#include "imap/protocol/format.h"
#include "imap/protocol/mailbox.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

std::string SpecialUse(std::string_view role) {
  static const std::pair<std::string_view, std::string_view> kRoles[] = {
      {"sent", "\\Sent"}, {"drafts", "\\Drafts"},   {"trash", "\\Trash"},
      {"junk", "\\Junk"}, {"archive", "\\Archive"},
  };
  for (const auto& [r, attr] : kRoles) {
    if (r == role) return std::string(attr);
  }
  return {};
}

bool HasChildren(const std::vector<store::Mailbox>& all, const store::Mailbox& box) {
  for (const auto& m : all) {
    if (m.parent == box.id) return true;
  }
  return false;
}

}  // namespace

asio::awaitable<void> Session::List(const Request& r) {
  const auto& args = std::get<imap::List>(r.args);
  bool lsub = r.verb == Verb::kLsub;
  const char* name = lsub ? "LSUB" : "LIST";
  if (args.patterns.size() == 1 && args.patterns[0].empty()) {
    Send(std::string("* ") + name + " (\\Noselect) \"/\" \"\"\r\n");
    Tagged(r, "OK", std::string(name) + " completed");
    co_return;
  }
  auto boxes = co_await Blocking([this] { return context_.store.ListMailboxes(account_); });
  if (!boxes) {
    Tagged(r, "NO", Failure(r, "Cannot list mailboxes", boxes.error()));
    co_return;
  }
  for (const auto& box : *boxes) {
    bool match = false;
    for (const auto& pattern : args.patterns) {
      std::string full = args.reference.empty() ? pattern : args.reference + pattern;
      match = match || MatchesListPattern(full, box.name);
    }
    bool only_subscribed = lsub || args.subscribed;
    if (!match || (only_subscribed && !box.subscribed)) continue;
    std::string special = SpecialUse(box.role);
    if (args.special_use && special.empty()) continue;
    std::string attrs = HasChildren(*boxes, box) ? "\\HasChildren" : "\\HasNoChildren";
    if (!special.empty() && !lsub) attrs += " " + special;
    if ((args.subscribed || args.return_subscribed) && box.subscribed) attrs += " \\Subscribed";
    std::string line = std::string("* ") + name + " (" + attrs + ") \"/\" ";
    AppendMailbox(line, box.name, utf8_);
    Send(line + "\r\n");
    if (!args.return_status.empty()) {
      auto counts =
          co_await Blocking([this, id = box.id] { return context_.store.CountMailbox(id); });
      if (!counts) continue;
      std::string status = "* STATUS ";
      AppendMailbox(status, box.name, utf8_);
      status += " (";
      bool first = true;
      for (const auto& item : args.return_status) {
        std::string value;
        if (item == "MESSAGES") value = std::to_string(counts->messages);
        if (item == "UNSEEN") value = std::to_string(counts->unseen);
        if (item == "UIDNEXT") value = std::to_string(box.uidnext);
        if (item == "UIDVALIDITY") value = std::to_string(box.uidvalidity);
        if (item == "RECENT") value = "0";
        if (value.empty()) continue;
        if (!first) status += ' ';
        status.append(item).append(" ").append(value);
        first = false;
      }
      Send(status + ")\r\n");
    }
  }
  Tagged(r, "OK", std::string(name) + " completed");
}

}  // namespace pushmail::imap
