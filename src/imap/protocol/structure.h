#pragma once
// ENVELOPE, BODY and BODYSTRUCTURE (RFC 9051 7.5.2) from what mime::Parse found. Library
// pushmail_imap_structure (needs pushmail_mime); the rest of imap/protocol does not need GMime.
//
// `utf8` says whether the client enabled UTF8=ACCEPT or IMAP4rev2. mime::Summary holds decoded
// UTF-8 text; for other clients non-ASCII text is encoded again as RFC 2047 encoded words
// ("=?UTF-8?B?...?="), because they may not see raw 8-bit in these strings.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "mime/mime.h"

namespace pushmail::imap {

// Appends "(date subject from sender reply-to to cc bcc in-reply-to message-id)".
// date: Summary::sent_at as an RFC 5322 date in UTC ("+0000", the original zone is not kept),
// NIL when absent. subject: NIL when empty. sender and reply-to are from when empty (RFC 9051
// 7.5.2). Each address is (name NIL mailbox host), split at the last "@"; an address without "@"
// has host "" (NIL would mean group syntax). An empty list is NIL. in-reply-to: the ids in
// angle brackets separated by spaces, NIL when none. message-id: "<id>" or NIL.
void AppendEnvelope(std::string& out, const mime::Summary& summary, bool utf8);

// For a message/rfc822 (or message/global) part, the summary of the embedded message, whose
// envelope BODYSTRUCTURE must show; nullopt when unknown. mime::Part does not keep the embedded
// header, so a server gets it by parsing the part's body octets (mime::FindSection(...).body,
// then mime::Parse). Called once per such part.
using EmbeddedSummary = std::function<std::optional<mime::Summary>(const mime::Part& part)>;

// Appends BODY (extended false) or BODYSTRUCTURE (extended true) of `part` (normally
// Summary::body).
// - Types and subtypes are written upper case; parameters as (NAME value ...), names upper
//   case; a text part without charset gets ("CHARSET" "us-ascii") (RFC 2045 5.2); an encoding
//   left empty is "7BIT".
// - text/*: lines from Part::lines.
// - message/rfc822 and message/global: the envelope from `embedded` (all NIL when `embedded`
//   is empty or returns nullopt), the body from the part's only child (an empty text/plain when
//   it has none), size and lines from Part::size and Part::lines.
// - multipart/*: the children; one with no children gets a single empty text/plain child, as
//   the grammar wants at least one body.
// - Extension data (extended only): single part: md5 NIL, disposition (with FILENAME from
//   Part::filename), language (a string or a list when Part::language has several
//   comma-separated tags), location. Multipart: parameters, disposition, language, location.
void AppendBodyStructure(std::string& out, const mime::Part& part, bool extended, bool utf8,
                         const EmbeddedSummary& embedded = {});

// `text` as RFC 2047 "B" encoded words of at most 75 octets, separated by spaces, never
// splitting a UTF-8 character; `text` itself when it is all ASCII.
std::string EncodeWords(std::string_view text);

}  // namespace pushmail::imap
