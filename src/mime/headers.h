#pragma once
// Header fields and body text as JMAP reads them (RFC 8621 4.1.2, 4.1.4), the text the full-text
// index holds, and composing a message from parts (Email/set create). GMime stays inside src/mime.
// Thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mime/mime.h"
#include "mime/words.h"

namespace pushmail::mime {

// One header field as the message has it: the name as written and the raw value, from the octet
// after the colon up to (not including) the CRLF that ends the field; folding is kept.
struct HeaderField {
  std::string name;
  std::string value;
};

// The fields of a header block (a part's header, as Section::mime or Section::header names it).
std::vector<HeaderField> SplitHeader(std::string_view block);

// The parsed forms of a raw value (RFC 8621 4.1.2.1 - 4.1.2.7). nullopt where the value does not
// parse as that form.
std::string HeaderText(std::string_view raw);  // unfolded, RFC 2047 decoded, trimmed
struct AddressGroup {
  std::optional<std::string> name;  // nullopt: addresses outside any group
  std::vector<Address> addresses;
};
std::vector<Address> HeaderAddresses(std::string_view raw);  // groups flattened
std::vector<AddressGroup> HeaderGroupedAddresses(std::string_view raw);
std::optional<std::vector<std::string>> HeaderMessageIds(std::string_view raw);
struct ZonedTime {
  int64_t unix_seconds = 0;
  int offset_minutes = 0;  // east of UTC, as the header gave it
};
std::optional<ZonedTime> HeaderDate(std::string_view raw);
std::optional<std::vector<std::string>> HeaderUrls(std::string_view raw);

// RFC 3339 with the zone's offset ("2014-10-30T14:12:00+08:00"); "Z" for UTC.
std::string FormatDate(const ZonedTime& t);

// A body as text: its Content-Transfer-Encoding undone and its charset converted to UTF-8.
// `problem` is set when the encoding or charset is unknown or the octets were malformed
// (replaced by U+FFFD).
struct Text {
  std::string text;
  bool problem = false;
};
Text DecodeText(std::string_view body, std::string_view encoding, std::string_view charset);
// The text of an HTML document: tags, comments, scripts and styles dropped, entities decoded.
std::string HtmlToText(std::string_view html);
// `text` cut to at most `max` octets, never inside a UTF-8 sequence.
std::string_view CutUtf8(std::string_view text, size_t max);

// What the full-text index holds of a message. `headers` has one token per field for its name
// and one per word of its value, each bound to the name (words.h), so that "header X has
// word W" is a token match.
struct SearchText {
  std::string subject, from, to, cc, bcc, body, headers;
};
SearchText ExtractSearchText(std::string_view message, const Summary& summary);

// --- Composing (JMAP Email/set create).

// One part of a message to compose. A leaf has `content` (decoded octets); a multipart has
// `children` and type "multipart/...".
struct DraftPart {
  std::string type = "text/plain";  // lower case "type/subtype"
  std::string charset;              // for text/*: the charset parameter ("utf-8")
  std::string disposition;          // "inline", "attachment" or empty
  std::string name;                 // filename (RFC 2231-encoded as needed)
  std::string cid;                  // Content-ID without angle brackets
  std::vector<std::string> language;
  std::string location;
  std::vector<HeaderField> headers;  // more fields, values already in raw form
  std::string content;
  std::vector<DraftPart> children;
};

// `headers` in order with values in raw form (see FormatAddresses, EncodeText), then
// MIME-Version and the body's own Content-* fields. Lines end in CRLF.
std::string Compose(const std::vector<HeaderField>& headers, const DraftPart& body);

// Raw header values.
std::string FormatAddresses(const std::vector<AddressGroup>& groups);
std::string EncodeText(std::string_view utf8);  // RFC 2047 encoded words where needed
std::string FormatMessageIds(const std::vector<std::string>& ids);
std::string FormatRfc5322Date(const ZonedTime& t);

}  // namespace pushmail::mime
