#pragma once
// Response primitives (RFC 9051 7, 9): strings in their cheapest valid form, flag lists and
// status responses. Everything appends to `out` so a response is built in one buffer.
//
// `utf8` says whether the client enabled UTF8=ACCEPT or IMAP4rev2: then quoted strings may hold
// UTF-8; otherwise any octet >= 0x80 forces a literal.

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace pushmail::imap {

// Quoted strings longer than this are sent as literals (easier for clients to read).
inline constexpr size_t kMaxQuoted = 1024;

// Whether `s` can go on the wire as an atom (ATOM-CHAR only, not empty, not "NIL").
bool IsAtom(std::string_view s);

// string: quoted when short and free of CR, LF, NUL and (unless `utf8` and valid UTF-8) 8-bit
// octets; a literal "{n}\r\n..." otherwise. A NUL cannot be sent in a non-binary string: it
// goes out in a literal anyway, so callers should not pass one.
void AppendString(std::string& out, std::string_view s, bool utf8);
// astring: an atom when IsAtom (or "]" allowed too), else as AppendString.
void AppendAstring(std::string& out, std::string_view s, bool utf8);
// nstring: NIL for nullopt, else as AppendString.
void AppendNString(std::string& out, std::optional<std::string_view> s, bool utf8);
// A mailbox name (internal UTF-8 form): encoded for the client (see mailbox.h) then as an
// astring; "INBOX" always as the atom INBOX.
void AppendMailbox(std::string& out, std::string_view name, bool utf8);

// "(\Seen \Answered $Forwarded)": flags and keywords are atoms, written as they are.
void AppendFlagList(std::string& out, std::span<const std::string> flags);

// The condition of a status response (RFC 9051 7.1: resp-cond-state, -auth, -bye).
enum class Condition { kOk, kNo, kBad, kPreauth, kBye };
std::string_view ConditionName(Condition condition);

// "<tag> <condition> [<code>] <text>\r\n"; tag "*" or empty for untagged. `code` without brackets.
// CR and LF in `text` are replaced by spaces so the response stays one line.
std::string FormatStatus(std::string_view tag, Condition condition, std::string_view code,
                         std::string_view text);

}  // namespace pushmail::imap
