// Arguments of the commands that name mailboxes: SELECT/EXAMINE, CREATE, LIST/LSUB, STATUS.
#include <array>
#include <utility>

#include "imap/protocol/chars.h"
#include "imap/protocol/command_internal.h"
#include "imap/protocol/mailbox.h"

namespace pushmail::imap::detail {
namespace {

using args::Cursor;

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = chars::ToUpper(c);
  return out;
}

Parsed<Select::Qresync> ParseQresync(const Token* t, const Limits& limits) {
  if (!t || !t->IsList()) return Bad("QRESYNC needs parameters");
  Cursor in(t->children);
  Select::Qresync q;
  auto uidvalidity = args::Number(in.Next(), args::kMaxNumber, true);
  if (!uidvalidity) return std::move(uidvalidity.error());
  q.uidvalidity = static_cast<uint32_t>(*uidvalidity);
  auto modseq = args::Number(in.Next(), args::kMaxNumber64, false);
  if (!modseq) return std::move(modseq.error());
  q.modseq = *modseq;
  if (const Token* known = in.Peek(); known && !known->IsList()) {
    auto set = SetArgument(in.Next(), limits, false);
    if (!set) return std::move(set.error());
    q.known_uids = std::move(*set);
  }
  if (const Token* match = in.Next()) {
    if (!match->IsList() || match->children.size() != 2) return Bad("Invalid QRESYNC match data");
    auto seqs = SetArgument(&match->children[0], limits, false);
    auto uids = SetArgument(&match->children[1], limits, false);
    if (!seqs || !uids) return Bad("Invalid QRESYNC match data");
    q.known_seqs = std::move(*seqs);
    q.known_seq_uids = std::move(*uids);
  }
  if (!in.AtEnd()) return Leftover();
  return q;
}

bool IsListChar(char c) {
  return chars::IsAstringChar(c) || c == '%' || c == '*' || chars::Is8Bit(c);
}

// list-mailbox: 1*list-char / string, decoded like a mailbox name.
Parsed<std::string> ListMailbox(const Token* t, bool utf8) {
  if (!t || t->IsList()) return Bad("Invalid mailbox pattern");
  if (t->kind == TokenKind::kAtom) {
    for (char c : t->raw) {
      if (!IsListChar(c)) return Bad("Invalid mailbox pattern");
    }
  }
  return DecodeMailboxName(t->text(), utf8);
}

Parsed<bool> ApplySelectionOptions(const Token& list, List& out) {
  for (const Token& o : list.children) {
    if (o.IsAtom("SUBSCRIBED")) {
      out.subscribed = true;
    } else if (o.IsAtom("REMOTE")) {
      out.remote = true;
    } else if (o.IsAtom("RECURSIVEMATCH")) {
      out.recursive_match = true;
    } else if (o.IsAtom("SPECIAL-USE")) {
      out.special_use = true;
    } else {
      return Bad("Unknown LIST selection option");
    }
  }
  // RFC 5258 3.1: RECURSIVEMATCH needs an option it can modify.
  if (out.recursive_match && !out.subscribed && !out.special_use) {
    return Bad("RECURSIVEMATCH needs another selection option");
  }
  return true;
}

constexpr std::array<std::string_view, 10> kStatusItems = {
    "MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN",        "DELETED",
    "SIZE",     "RECENT",  "APPENDLIMIT", "HIGHESTMODSEQ", "MAILBOXID"};

Parsed<std::vector<std::string>> StatusItems(const Token* t) {
  if (!t || !t->IsList() || t->children.empty()) return Bad("Expected a list of status items");
  std::vector<std::string> items;
  for (const Token& i : t->children) {
    bool known = false;
    for (std::string_view k : kStatusItems) known = known || i.IsAtom(k);
    if (!known) return Bad("Unknown status item");
    items.push_back(Upper(i.raw));
  }
  return items;
}

Parsed<bool> ApplyReturnOptions(const Token* t, List& out) {
  if (!t || !t->IsList()) return Bad("RETURN needs a list of options");
  Cursor in(t->children);
  while (const Token* o = in.Next()) {
    if (o->IsAtom("SUBSCRIBED")) {
      out.return_subscribed = true;
    } else if (o->IsAtom("CHILDREN")) {
      out.return_children = true;
    } else if (o->IsAtom("SPECIAL-USE")) {
      out.return_special_use = true;
    } else if (o->IsAtom("MYRIGHTS")) {
      // RFC 8440; pushmail has no ACLs, so there is nothing to return.
    } else if (o->IsAtom("STATUS")) {
      auto items = StatusItems(in.Next());
      if (!items) return std::move(items.error());
      out.return_status = std::move(*items);
      out.return_status_requested = true;
    } else {
      return Bad("Unknown LIST return option");
    }
  }
  return true;
}

Parsed<bool> ReadPatterns(Cursor& in, List& out, bool utf8) {
  const Token* t = in.Next();
  if (!t) return args::Missing("mailbox pattern");
  std::span<const Token> patterns(t, 1);
  if (t->IsList()) {
    if (t->children.empty()) return Bad("Empty pattern list");
    patterns = t->children;
    out.extended = true;
  }
  for (const Token& p : patterns) {
    auto pattern = ListMailbox(&p, utf8);
    if (!pattern) return std::move(pattern.error());
    out.patterns.push_back(std::move(*pattern));
  }
  return true;
}

}  // namespace

Parsed<Select> ParseSelect(Cursor& in, const ParseOptions& options) {
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  Select select;
  select.mailbox = std::move(*mailbox);
  if (const Token* params = in.Next()) {
    if (!params->IsList()) return Bad("Invalid SELECT parameters");
    Cursor p(params->children);
    while (const Token* t = p.Next()) {
      if (t->IsAtom("CONDSTORE")) {
        select.condstore = true;
      } else if (t->IsAtom("QRESYNC") && !select.qresync) {
        auto q = ParseQresync(p.Next(), options.limits);
        if (!q) return std::move(q.error());
        select.qresync = std::move(*q);
      } else {
        return Bad("Unknown SELECT parameter");
      }
    }
  }
  return select;
}

Parsed<Create> ParseCreate(Cursor& in, const ParseOptions& options) {
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  Create create{std::move(*mailbox), {}};
  if (const Token* params = in.Next()) {
    Cursor p(params->IsList() ? std::span<const Token>(params->children)
                              : std::span<const Token>());
    if (!params->IsList() || !p.TakeAtom("USE")) return Bad("Unknown CREATE parameter");
    const Token* uses = p.Next();
    if (!uses || !uses->IsList() || !p.AtEnd()) return Bad("Invalid USE parameter");
    for (const Token& u : uses->children) {
      if (u.kind != TokenKind::kAtom || !u.raw.starts_with('\\')) return Bad("Invalid USE flag");
      create.special_use.emplace_back(u.raw);
    }
  }
  return create;
}

Parsed<List> ParseList(Cursor& in, const ParseOptions& options, bool lsub) {
  List list;
  if (const Token* t = in.Peek(); !lsub && t && t->IsList()) {
    list.extended = true;
    auto ok = ApplySelectionOptions(*in.Next(), list);
    if (!ok) return std::move(ok.error());
  }
  const Token* ref = in.Next();
  if (!ref) return args::Missing("reference");
  auto reference = ListMailbox(ref, options.utf8);
  if (!reference) return std::move(reference.error());
  list.reference = std::move(*reference);
  if (lsub) {
    auto pattern = ListMailbox(in.Next(), options.utf8);
    if (!pattern) return std::move(pattern.error());
    list.patterns.push_back(std::move(*pattern));
    return list;
  }
  auto ok = ReadPatterns(in, list, options.utf8);
  if (!ok) return std::move(ok.error());
  if (in.TakeAtom("RETURN")) {
    list.extended = true;
    ok = ApplyReturnOptions(in.Next(), list);
    if (!ok) return std::move(ok.error());
  }
  return list;
}

Parsed<Status> ParseStatus(Cursor& in, const ParseOptions& options) {
  auto mailbox = args::Mailbox(in.Next(), options.utf8);
  if (!mailbox) return std::move(mailbox.error());
  auto items = StatusItems(in.Next());
  if (!items) return std::move(items.error());
  return Status{std::move(*mailbox), std::move(*items)};
}

}  // namespace pushmail::imap::detail
