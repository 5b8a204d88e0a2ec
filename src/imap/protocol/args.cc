#include "imap/protocol/args.h"

#include <array>

#include "imap/protocol/chars.h"
#include "imap/protocol/mailbox.h"

namespace pushmail::imap::args {
namespace {

constexpr std::array<std::string_view, 5> kSystemFlags = {"\\Answered", "\\Flagged", "\\Deleted",
                                                          "\\Seen", "\\Draft"};

bool IsAstringAtom(std::string_view s) {
  for (char c : s) {
    if (!chars::IsAstringChar(c) && !chars::Is8Bit(c)) return false;
  }
  return !s.empty();
}

}  // namespace

bool Cursor::TakeAtom(std::string_view upper) {
  if (AtEnd() || !tokens_[pos_].IsAtom(upper)) return false;
  ++pos_;
  return true;
}

std::optional<uint64_t> ToNumber(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t n = 0;
  for (char c : text) {
    if (!chars::IsDigit(c)) return std::nullopt;
    uint64_t d = static_cast<uint64_t>(c - '0');
    if (n > (max - d) / 10) return std::nullopt;
    n = n * 10 + d;
  }
  return n;
}

Error Missing(std::string_view what) { return Bad(std::string("Missing ").append(what)); }

Parsed<std::string_view> Astring(const Token* t) {
  if (!t) return Missing("argument");
  if (t->IsString()) return t->text();
  if (t->kind != TokenKind::kAtom || !IsAstringAtom(t->raw)) return Bad("Invalid string argument");
  return t->raw;
}

Parsed<std::string_view> String(const Token* t) {
  if (!t) return Missing("argument");
  if (!t->IsString()) return Bad("Expected a quoted string or literal");
  return t->text();
}

Parsed<uint64_t> Number(const Token* t, uint64_t max, bool nonzero) {
  if (!t) return Missing("number");
  std::optional<uint64_t> n;
  if (t->kind == TokenKind::kAtom) n = ToNumber(t->raw, max);
  if (!n || (nonzero && *n == 0)) return Bad("Invalid number");
  return *n;
}

Parsed<std::string> Mailbox(const Token* t, bool utf8) {
  if (!t) return Missing("mailbox name");
  auto s = Astring(t);
  if (!s) return Bad("Invalid mailbox name");
  return DecodeMailboxName(*s, utf8);
}

Parsed<std::string> Flag(const Token* t) {
  if (!t) return Missing("flag");
  if (t->kind != TokenKind::kAtom || t->raw.empty()) return Bad("Invalid flag");
  std::string_view raw = t->raw;
  if (raw[0] == '\\') {
    for (std::string_view f : kSystemFlags) {
      if (chars::EqualsIgnoreCase(raw, f)) return std::string(f);
    }
    return Bad("Invalid system flag");
  }
  for (char c : raw) {
    if (!chars::IsAtomChar(c)) return Bad("Invalid keyword");
  }
  return std::string(raw);
}

Parsed<std::vector<std::string>> FlagList(const Token* t) {
  if (!t || !t->IsList()) return Bad("Expected a flag list");
  std::vector<std::string> flags;
  for (const Token& f : t->children) {
    auto flag = Flag(&f);
    if (!flag) return std::move(flag.error());
    flags.push_back(std::move(*flag));
  }
  return flags;
}

}  // namespace pushmail::imap::args
