#pragma once
// Mailbox names on the wire: modified UTF-7 (RFC 3501 5.1.3) for IMAP4rev1 clients, raw UTF-8
// once the client has enabled UTF8=ACCEPT (RFC 6855) or IMAP4rev2 (RFC 9051). Inside pushmail
// names are always UTF-8, with "/" as the hierarchy delimiter and "INBOX" in upper case.

#include <optional>
#include <string>
#include <string_view>

#include "imap/protocol/error.h"

namespace pushmail::imap {

inline constexpr char kHierarchyDelimiter = '/';

// Modified UTF-7 to UTF-8. nullopt unless `text` is canonical modified UTF-7: printable ASCII,
// "&-" for "&", base64 runs that encode only non-printable-ASCII characters as whole UTF-16
// units with zero padding bits and valid surrogate pairs, no two runs side by side (so that
// each name has exactly one spelling).
std::optional<std::string> DecodeMutf7(std::string_view text);
// UTF-8 to modified UTF-7. `utf8` must be valid UTF-8 (invalid octets are encoded as U+FFFD).
std::string EncodeMutf7(std::string_view utf8);

// The internal name of a mailbox name as the client sent it (the astring's value). With `utf8`
// (UTF8=ACCEPT or IMAP4rev2 enabled) the name must be valid UTF-8 and is taken as it is; else it
// must be valid modified UTF-7 and is decoded. Control characters are refused either way.
// "INBOX" in any case becomes "INBOX", and so does the first component of "inbox/...".
// Errors (BAD): invalid UTF-8, invalid modified UTF-7, a control character.
Parsed<std::string> DecodeMailboxName(std::string_view wire, bool utf8);

// The wire form of an internal (UTF-8) name: modified UTF-7 unless `utf8`. Quote it with
// AppendAstring (format.h).
std::string EncodeMailboxName(std::string_view name, bool utf8);

// Whether an internal name may be created: not empty, no empty component (no leading, trailing
// or doubled "/"), no "*" or "%" (they are LIST wildcards). The server answers NO otherwise.
bool IsCreatableMailboxName(std::string_view name);

// Whether an internal name matches a LIST pattern (RFC 9051 6.3.9): "*" matches any octets,
// "%" any octets but the hierarchy delimiter, everything else itself (octet for octet; INBOX is
// already upper case on both sides after DecodeMailboxName). At worst quadratic in the name's
// length whatever the pattern's, so a long hostile pattern costs no more than a short one.
bool MatchesListPattern(std::string_view pattern, std::string_view name);

}  // namespace pushmail::imap
