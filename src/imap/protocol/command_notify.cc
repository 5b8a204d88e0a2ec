// Arguments of NOTIFY (RFC 5465 8).
#include <array>
#include <utility>

#include "imap/protocol/chars.h"
#include "imap/protocol/command_internal.h"

namespace pushmail::imap::detail {
namespace {

using args::Cursor;
using Filter = Notify::Filter;

struct EventName {
  std::string_view name;
  uint32_t bit;
};

constexpr std::array<EventName, 8> kEvents{{
    {"MESSAGENEW", Notify::kMessageNew},
    {"MESSAGEEXPUNGE", Notify::kMessageExpunge},
    {"FLAGCHANGE", Notify::kFlagChange},
    {"ANNOTATIONCHANGE", Notify::kAnnotationChange},
    {"MAILBOXNAME", Notify::kMailboxName},
    {"SUBSCRIPTIONCHANGE", Notify::kSubscriptionChange},
    {"MAILBOXMETADATACHANGE", Notify::kMailboxMetadataChange},
    {"SERVERMETADATACHANGE", Notify::kServerMetadataChange},
}};

struct FilterName {
  std::string_view name;
  Filter filter;
};

constexpr std::array<FilterName, 7> kFilters{{
    {"SELECTED", Filter::kSelected},
    {"SELECTED-DELAYED", Filter::kSelectedDelayed},
    {"INBOXES", Filter::kInboxes},
    {"PERSONAL", Filter::kPersonal},
    {"SUBSCRIBED", Filter::kSubscribed},
    {"SUBTREE", Filter::kSubtree},
    {"MAILBOXES", Filter::kMailboxes},
}};

// one-or-more-mailbox: a mailbox or a parenthesised list of them.
Parsed<std::vector<std::string>> Mailboxes(const Token* t, bool utf8) {
  if (!t) return args::Missing("mailbox");
  std::span<const Token> list(t, 1);
  if (t->IsList()) list = t->children;
  if (list.empty()) return Bad("Empty mailbox list");
  std::vector<std::string> out;
  for (const Token& m : list) {
    auto name = args::Mailbox(&m, utf8);
    if (!name) return std::move(name.error());
    out.push_back(std::move(*name));
  }
  return out;
}

Parsed<bool> ReadEvents(const Token* t, Notify::Group& group, const Limits& limits) {
  if (t && t->IsAtom("NONE")) return true;
  if (!t || !t->IsList() || t->children.empty()) return Bad("Invalid NOTIFY events");
  Cursor in(t->children);
  while (const Token* e = in.Next()) {
    uint32_t bit = 0;
    for (const EventName& n : kEvents) bit = e->IsAtom(n.name) ? n.bit : bit;
    if (bit == 0) return Bad("Unknown NOTIFY event");
    group.events |= bit;
    if (bit == Notify::kMessageNew && in.Peek() && in.Peek()->IsList()) {
      auto items = ParseFetchItems(*in.Next(), limits);
      if (!items) return std::move(items.error());
      group.message_new_items = std::move(*items);
    }
  }
  // RFC 5465 5: MessageNew and MessageExpunge go together, and FlagChange / AnnotationChange
  // need both.
  uint32_t both = Notify::kMessageNew | Notify::kMessageExpunge;
  uint32_t message = group.events & both;
  if (message != 0 && message != both) return Bad("MessageNew and MessageExpunge go together");
  if ((group.events & (Notify::kFlagChange | Notify::kAnnotationChange)) && message != both) {
    return Bad("FlagChange needs MessageNew and MessageExpunge");
  }
  return true;
}

Parsed<Notify::Group> ReadGroup(const Token& t, const ParseOptions& options) {
  if (!t.IsList()) return Bad("Invalid NOTIFY event group");
  Cursor in(t.children);
  const Token* f = in.Next();
  Notify::Group group;
  const FilterName* filter = nullptr;
  for (const FilterName& n : kFilters) filter = f && f->IsAtom(n.name) ? &n : filter;
  if (!filter) return Bad("Unknown NOTIFY mailbox filter");
  group.filter = filter->filter;
  if (group.filter == Filter::kSubtree || group.filter == Filter::kMailboxes) {
    auto mailboxes = Mailboxes(in.Next(), options.utf8);
    if (!mailboxes) return std::move(mailboxes.error());
    group.mailboxes = std::move(*mailboxes);
  }
  auto ok = ReadEvents(in.Next(), group, options.limits);
  if (!ok) return std::move(ok.error());
  if (!in.AtEnd()) return Leftover();
  return group;
}

}  // namespace

Parsed<Notify> ParseNotify(Cursor& in, const ParseOptions& options) {
  Notify notify;
  if (in.TakeAtom("NONE")) {
    notify.none = true;
    return notify;
  }
  if (!in.TakeAtom("SET")) return Bad("NOTIFY takes SET or NONE");
  // RFC 5465 8: status-indicator = SP "STATUS"; "(STATUS)" is taken too.
  if (in.TakeAtom("STATUS")) {
    notify.status = true;
  } else if (const Token* t = in.Peek();
             t && t->IsList() && t->children.size() == 1 && t->children[0].IsAtom("STATUS")) {
    in.Next();
    notify.status = true;
  }
  while (const Token* t = in.Next()) {
    auto group = ReadGroup(*t, options);
    if (!group) return std::move(group.error());
    notify.groups.push_back(std::move(*group));
  }
  if (notify.groups.empty()) return args::Missing("event group");
  return notify;
}

}  // namespace pushmail::imap::detail
