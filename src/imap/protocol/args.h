#pragma once
// Readers of typed arguments from tokens, shared by the per-command parsers. Private to
// imap/protocol.

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/error.h"
#include "imap/protocol/parser.h"

namespace pushmail::imap::args {

inline constexpr uint64_t kMaxNumber = std::numeric_limits<uint32_t>::max();   // number
inline constexpr uint64_t kMaxNumber64 = std::numeric_limits<int64_t>::max();  // number64

// Walks a command's arguments left to right.
class Cursor {
 public:
  explicit Cursor(std::span<const Token> tokens) : tokens_(tokens) {}
  bool AtEnd() const { return pos_ >= tokens_.size(); }
  // The next token, or nullptr at the end.
  const Token* Peek() const { return AtEnd() ? nullptr : &tokens_[pos_]; }
  const Token* Next() { return AtEnd() ? nullptr : &tokens_[pos_++]; }
  // Consumes and returns all the tokens left.
  std::span<const Token> TakeRest() {
    auto rest = tokens_.subspan(std::min(pos_, tokens_.size()));
    pos_ = tokens_.size();
    return rest;
  }
  // An atom equal to `upper` is next: consumes it.
  bool TakeAtom(std::string_view upper);

 private:
  std::span<const Token> tokens_;
  size_t pos_ = 0;
};

// Digits only, no sign; nullopt when empty, not all digits, or over `max`.
std::optional<uint64_t> ToNumber(std::string_view text, uint64_t max);

// An atom (ASTRING-CHARs, 8-bit octets allowed for UTF-8 clients) or a string.
Parsed<std::string_view> Astring(const Token* t);
// A quoted string or literal only.
Parsed<std::string_view> String(const Token* t);
// A number atom, at most `max`, at least 1 when `nonzero`.
Parsed<uint64_t> Number(const Token* t, uint64_t max, bool nonzero);
// A mailbox astring decoded with DecodeMailboxName.
Parsed<std::string> Mailbox(const Token* t, bool utf8);
// A flag: system flags ("\seen") come back in their canonical case ("\Seen"); "\Recent" (which
// a client cannot set) and other backslash flags are refused; keywords must be atoms and are
// returned as sent.
Parsed<std::string> Flag(const Token* t);
// "(" [flag *(SP flag)] ")".
Parsed<std::vector<std::string>> FlagList(const Token* t);
// BAD "Missing <what>".
Error Missing(std::string_view what);

}  // namespace pushmail::imap::args
