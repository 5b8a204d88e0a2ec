#pragma once
// Parses one framed command (see reader.h) into its tag, its name and a tree of generic tokens
// (RFC 9051 9: atoms, quoted strings, literals, parenthesised lists). The typed per-command
// parsers in command.h read the tokens.
//
// Tokens and the Command borrow from the command text: keep the text alive while they are used.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/error.h"
#include "imap/protocol/limits.h"

namespace pushmail::imap {

enum class TokenKind {
  // A bare word: any run of printable (or 8-bit) octets other than SP ( ) ". Covers atoms,
  // numbers, NIL, sequence sets, flags ("\Seen"), list patterns ("%", "*") and FETCH items with
  // their bracketed section and partial kept verbatim ("BODY[HEADER.FIELDS (From To)]<0.100>";
  // inside the brackets spaces, parentheses and quoted strings are allowed; literals are not).
  kAtom,
  kQuoted,   // "..." with \" and \\ escapes
  kLiteral,  // {n} / {n+} / ~{n} / ~{n+} and its n octets
  kList,     // ( ... )
};

struct Token {
  TokenKind kind = TokenKind::kAtom;
  // kAtom: the word. kLiteral: the octets. kQuoted: between the quotes, escapes still in.
  // kList: the whole "( ... )" text.
  std::string_view raw;
  std::string unescaped;        // kQuoted: the string's value
  bool binary = false;          // kLiteral: literal8 ("~{n}"); may hold NUL
  std::vector<Token> children;  // kList

  // The string value: atom and literal as they are, quoted strings unescaped.
  std::string_view text() const { return kind == TokenKind::kQuoted ? unescaped : raw; }
  bool IsString() const { return kind == TokenKind::kQuoted || kind == TokenKind::kLiteral; }
  bool IsList() const { return kind == TokenKind::kList; }
  // An atom equal to `upper` ignoring case.
  bool IsAtom(std::string_view upper) const;
  bool IsNil() const { return IsAtom("NIL"); }
};

enum class Verb {
  kCapability,
  kNoop,
  kLogout,
  kStartTls,
  kAuthenticate,
  kLogin,
  kEnable,
  kId,
  kCompress,
  kSelect,
  kExamine,
  kCreate,
  kDelete,
  kRename,
  kSubscribe,
  kUnsubscribe,
  kList,
  kLsub,
  kNamespace,
  kStatus,
  kAppend,
  kIdle,
  kNotify,
  kCheck,
  kClose,
  kUnselect,
  kExpunge,
  kSearch,
  kFetch,
  kStore,
  kCopy,
  kMove,
};

// The command name in upper case ("UID" not included).
std::string_view VerbName(Verb verb);

struct Command {
  std::string tag;
  Verb verb = Verb::kNoop;
  bool uid = false;  // "UID" prefix (COPY, MOVE, FETCH, SEARCH, STORE, EXPUNGE only)
  std::vector<Token> args;
};

// Parses `text` (one command as CommandReader returns it, without the last line end).
// Errors (all BAD): untagged when no valid tag starts the text (empty command, invalid tag
// character); tagged for a missing or unknown command name, UID with a command it cannot
// prefix, and any malformed token: bad literal syntax ("{12x}"), a literal marker not followed
// by a line end, a literal longer than the text, NUL in a non-binary literal, NUL or another
// control character outside literals, unterminated quoted string, bad escape, unbalanced
// parentheses, nesting over Limits::max_depth, more than Limits::max_tokens tokens. Runs of
// spaces between tokens are tolerated, and so are lists side by side ("(a)(b)").
Parsed<Command> ParseCommand(std::string_view text, const Limits& limits);

// Tokenizes `text` as a space-separated token sequence (no tag or name); for reading parts of a
// FETCH section and for tests. Errors as ParseCommand, untagged.
Parsed<std::vector<Token>> Tokenize(std::string_view text, const Limits& limits);

}  // namespace pushmail::imap
