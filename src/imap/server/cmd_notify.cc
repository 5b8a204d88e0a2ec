// NOTIFY (RFC 5465): one connection hears of changes in every mailbox it names, between
// commands as well as in IDLE. The selected mailbox is reported as in IDLE (EXISTS, EXPUNGE,
// FETCH); other mailboxes with STATUS (MessageNew, MessageExpunge, FlagChange), and changes
// of the mailbox list with LIST (MailboxName, SubscriptionChange).
#include "imap/protocol/format.h"
#include "imap/server/session.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

using Filter = imap::Notify::Filter;

constexpr uint32_t kSupported = imap::Notify::kMessageNew | imap::Notify::kMessageExpunge |
                                imap::Notify::kFlagChange | imap::Notify::kMailboxName |
                                imap::Notify::kSubscriptionChange;

bool Matches(const imap::Notify::Group& g, const store::Mailbox& box) {
  switch (g.filter) {
    case Filter::kSelected:
    case Filter::kSelectedDelayed:
      return false;  // the selected mailbox is handled by Sync
    case Filter::kInboxes:
      return box.role == "inbox";
    case Filter::kPersonal:
      return true;
    case Filter::kSubscribed:
      return box.subscribed;
    case Filter::kSubtree:
      for (const auto& name : g.mailboxes) {
        if (box.name == name || box.name.starts_with(name + "/")) return true;
      }
      return false;
    case Filter::kMailboxes:
      return std::find(g.mailboxes.begin(), g.mailboxes.end(), box.name) != g.mailboxes.end();
  }
  return false;
}

// The events the first group naming `box` asks for (RFC 5465 5: the first match wins).
uint32_t EventsFor(const imap::Notify& n, const store::Mailbox& box) {
  for (const auto& g : n.groups) {
    if (Matches(g, box)) return g.events;
  }
  return 0;
}

std::string StatusLine(const store::Mailbox& box, const store::MailboxCounts& c, bool utf8,
                       bool condstore) {
  std::string line = "* STATUS ";
  AppendMailbox(line, box.name, utf8);
  line += " (MESSAGES " + std::to_string(c.messages) + " UIDNEXT " + std::to_string(box.uidnext) +
          " UIDVALIDITY " + std::to_string(box.uidvalidity) + " UNSEEN " + std::to_string(c.unseen);
  if (condstore)
    line += " HIGHESTMODSEQ " + std::to_string(std::max<int64_t>(box.highest_modseq, 1));
  return line + ")\r\n";
}

std::string ListLine(const store::Mailbox& box, bool utf8, bool gone) {
  std::string line = gone ? "* LIST (\\NonExistent) \"/\" " : "* LIST () \"/\" ";
  if (!gone && box.subscribed) line = "* LIST (\\Subscribed) \"/\" ";
  AppendMailbox(line, box.name, utf8);
  return line + "\r\n";
}

}  // namespace

asio::awaitable<void> Session::Notify(const Request& r) {
  const auto& args = std::get<imap::Notify>(r.args);
  if (args.none) {
    notify_.reset();
    notify_selected_ = false;
    Tagged(r, "OK", "NOTIFY completed");
    co_return;
  }
  for (const auto& g : args.groups) {
    if (g.events & ~kSupported) {
      Tagged(r, "NO",
             "[BADEVENT (MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange)] "
             "Unsupported event");
      co_return;
    }
  }
  auto boxes = co_await Blocking([this] { return context_.store.ListMailboxes(account_); });
  if (!boxes) {
    Tagged(r, "NO", Failure(r, "Cannot list mailboxes", boxes.error()));
    co_return;
  }
  notify_ = args;
  notify_selected_ = false;
  for (const auto& g : args.groups) {
    notify_selected_ = notify_selected_ || ((g.filter == Filter::kSelected) && (g.events != 0));
  }
  known_boxes_ = std::move(*boxes);
  changed_boxes_.clear();
  mailbox_list_changed_ = false;
  if (args.status) {
    // SET STATUS: the current state of every mailbox named, before the first event.
    for (const auto& box : known_boxes_) {
      if (selected_ && selected_->mailbox().id == box.id) continue;
      if (!(EventsFor(args, box) & (imap::Notify::kMessageNew | imap::Notify::kMessageExpunge))) {
        continue;
      }
      auto counts =
          co_await Blocking([this, id = box.id] { return context_.store.CountMailbox(id); });
      if (counts) Send(StatusLine(box, *counts, utf8_, condstore_));
    }
  }
  Tagged(r, "OK", "NOTIFY completed");
}

asio::awaitable<void> Session::NotifyOthers() {
  Collect();
  std::set<store::MailboxId> changed = std::move(changed_boxes_);
  changed_boxes_.clear();
  bool list_changed = std::exchange(mailbox_list_changed_, false);
  auto boxes = co_await Blocking([this] { return context_.store.ListMailboxes(account_); });
  if (!boxes || !notify_) co_return;
  if (list_changed) {
    for (const auto& box : *boxes) {
      auto old = std::find_if(known_boxes_.begin(), known_boxes_.end(),
                              [&box](const store::Mailbox& b) { return b.id == box.id; });
      uint32_t events = EventsFor(*notify_, box);
      bool renamed_or_new = old == known_boxes_.end() || old->name != box.name;
      bool resubscribed = old != known_boxes_.end() && old->subscribed != box.subscribed;
      if ((renamed_or_new && (events & imap::Notify::kMailboxName)) ||
          (resubscribed && (events & imap::Notify::kSubscriptionChange))) {
        Send(ListLine(box, utf8_, false));
      }
    }
    for (const auto& old : known_boxes_) {
      bool gone = std::none_of(boxes->begin(), boxes->end(),
                               [&old](const store::Mailbox& b) { return b.id == old.id; });
      if (gone && (EventsFor(*notify_, old) & imap::Notify::kMailboxName)) {
        Send(ListLine(old, utf8_, true));
      }
    }
  }
  for (const auto& box : *boxes) {
    if (!changed.count(box.id)) continue;
    if (selected_ && selected_->mailbox().id == box.id) continue;
    uint32_t events = EventsFor(*notify_, box);
    if (!(events & (imap::Notify::kMessageNew | imap::Notify::kMessageExpunge |
                    imap::Notify::kFlagChange))) {
      continue;
    }
    auto counts =
        co_await Blocking([this, id = box.id] { return context_.store.CountMailbox(id); });
    if (counts) Send(StatusLine(box, *counts, utf8_, condstore_));
  }
  known_boxes_ = std::move(*boxes);
}

}  // namespace pushmail::imap
