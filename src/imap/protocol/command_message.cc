// Arguments of the commands that carry or name messages: APPEND, STORE, COPY/MOVE, FETCH.
#include <utility>

#include "imap/protocol/chars.h"
#include "imap/protocol/command_internal.h"

namespace pushmail::imap::detail {
namespace {

using args::Cursor;

// One message of an APPEND: [flag-list] [date-time] (literal | literal8 | UTF8 (literal8)).
Parsed<AppendMessage> ReadMessage(Cursor& in) {
  AppendMessage m;
  if (const Token* t = in.Peek(); t && t->IsList()) {
    auto flags = args::FlagList(in.Next());
    if (!flags) return std::move(flags.error());
    m.flags = std::move(*flags);
  }
  if (const Token* t = in.Peek(); t && t->kind == TokenKind::kQuoted) {
    auto date = ParseDateTime(in.Next()->text());
    if (!date) return std::move(date.error());
    m.internal_date = *date;
  }
  const Token* data = in.Next();
  if (data && data->IsAtom("UTF8")) {  // RFC 6855 4: UTF8 (~{n}...)
    const Token* list = in.Next();
    if (!list || !list->IsList() || list->children.size() != 1 ||
        list->children[0].kind != TokenKind::kLiteral || !list->children[0].binary) {
      return Bad("UTF8 takes a literal8 in parentheses");
    }
    data = &list->children[0];
  }
  if (!data) return args::Missing("message literal");
  if (data->kind != TokenKind::kLiteral) return Bad("The message must be a literal");
  m.data = data->raw;
  m.binary = data->binary;
  return m;
}

Parsed<std::optional<uint64_t>> ReadUnchangedSince(Cursor& in) {
  const Token* t = in.Peek();
  if (!t || !t->IsList()) return std::optional<uint64_t>();
  in.Next();
  Cursor m(t->children);
  if (!m.TakeAtom("UNCHANGEDSINCE")) return Bad("Unknown STORE modifier");
  auto n = args::Number(m.Next(), args::kMaxNumber64, false);
  if (!n) return std::move(n.error());
  if (!m.AtEnd()) return Bad("Unknown STORE modifier");
  return std::optional<uint64_t>(*n);
}

// "FLAGS", "+FLAGS.SILENT", ...
bool ReadStoreAction(const Token* t, Store& store) {
  if (!t || t->kind != TokenKind::kAtom) return false;
  std::string_view a = t->raw;
  if (a.starts_with('+') || a.starts_with('-')) {
    store.mode = a[0] == '+' ? Store::Mode::kAdd : Store::Mode::kRemove;
    a.remove_prefix(1);
  }
  store.silent = chars::EqualsIgnoreCase(a, "FLAGS.SILENT");
  return store.silent || chars::EqualsIgnoreCase(a, "FLAGS");
}

Parsed<bool> ReadFetchModifiers(const Token* t, Fetch& fetch, bool uid) {
  if (!t->IsList() || t->children.empty()) return Bad("Invalid FETCH modifiers");
  Cursor in(t->children);
  while (const Token* m = in.Next()) {
    if (m->IsAtom("CHANGEDSINCE") && !fetch.changed_since) {
      auto n = args::Number(in.Next(), args::kMaxNumber64, false);
      if (!n) return std::move(n.error());
      fetch.changed_since = *n;
    } else if (m->IsAtom("VANISHED") && !fetch.vanished) {
      fetch.vanished = true;
    } else {
      return Bad("Unknown FETCH modifier");
    }
  }
  // RFC 7162 3.2.6: VANISHED only with UID FETCH and together with CHANGEDSINCE.
  if (fetch.vanished && (!uid || !fetch.changed_since)) {
    return Bad("VANISHED needs UID FETCH and CHANGEDSINCE");
  }
  return true;
}

}  // namespace

Parsed<Append> ParseAppend(Cursor& in, const ParseOptions& options) {
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  Append append{std::move(*mailbox), {}};
  do {
    auto message = ReadMessage(in);
    if (!message) return std::move(message.error());
    append.messages.push_back(std::move(*message));
  } while (!in.AtEnd());
  return append;
}

Parsed<Store> ParseStore(Cursor& in, const ParseOptions& options) {
  Store store;
  auto set = SetArgument(in.Next(), options.limits);
  if (!set) return std::move(set.error());
  store.set = std::move(*set);
  auto unchanged = ReadUnchangedSince(in);
  if (!unchanged) return std::move(unchanged.error());
  store.unchanged_since = *unchanged;
  if (!ReadStoreAction(in.Next(), store)) return Bad("Expected FLAGS, +FLAGS or -FLAGS");
  if (const Token* t = in.Peek(); t && t->IsList()) {
    auto flags = args::FlagList(in.Next());
    if (!flags) return std::move(flags.error());
    store.flags = std::move(*flags);
    return store;
  }
  while (const Token* t = in.Next()) {
    auto flag = args::Flag(t);
    if (!flag) return std::move(flag.error());
    store.flags.push_back(std::move(*flag));
  }
  if (store.flags.empty()) return args::Missing("flags");
  return store;
}

Parsed<Copy> ParseCopy(Cursor& in, const ParseOptions& options) {
  auto set = SetArgument(in.Next(), options.limits);
  if (!set) return std::move(set.error());
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  return Copy{std::move(*set), std::move(*mailbox)};
}

Parsed<Fetch> ParseFetch(Cursor& in, const ParseOptions& options, bool uid) {
  Fetch fetch;
  auto set = SetArgument(in.Next(), options.limits);
  if (!set) return std::move(set.error());
  fetch.set = std::move(*set);
  const Token* items = in.Next();
  if (!items) return args::Missing("FETCH items");
  auto parsed = ParseFetchItems(*items, options.limits);
  if (!parsed) return std::move(parsed.error());
  fetch.items = std::move(*parsed);
  if (const Token* modifiers = in.Next()) {
    auto ok = ReadFetchModifiers(modifiers, fetch, uid);
    if (!ok) return std::move(ok.error());
  }
  return fetch;
}

}  // namespace pushmail::imap::detail
