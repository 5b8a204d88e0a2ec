#pragma once
// Everything pushmail knows about a message's structure comes from here; this is the only
// place GMime appears. Thread-safe: any thread may call Parse.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "mime/error.h"

namespace pushmail::mime {

struct Address {
  std::string name;   // display name, decoded to UTF-8; may be empty
  std::string email;  // addr-spec
};

// One node of the MIME tree, numbered as IMAP numbers sections ("1", "1.2", ...; the
// top-level part of a single-part message is "1").
//
// A message/rfc822 part has one child: the body of the embedded message, whose header is the
// embedded message's header. When that body is a multipart it carries the message/rfc822 part's
// own id (its children are "2.1", "2.2", ...); otherwise its id is "2.1". The top level works the
// same way: Summary::body is the body of the message, and its header is the message header.
//
// Offsets count octets from the start of the raw message (-1 when unknown, see
// Summary::offsets_known). [header_offset, body_offset) is the part's header with the blank line
// that ends it; [body_offset, end_offset) is its body as transferred. The line break before a
// delimiter line belongs to the delimiter (RFC 2046 5.1.1): a multipart child's body ends before
// it, and a child whose header a delimiter follows at once has no blank line and an empty body.
// The type is what GMime made of the part: a multipart type it could not read is text/plain.
struct Part {
  std::string part_id;
  std::string type = "text";  // lower case
  std::string subtype = "plain";
  std::vector<std::pair<std::string, std::string>> params;  // Content-Type parameters
  std::string id;                                           // Content-ID
  std::string description;                                  // Content-Description
  std::string encoding;     // Content-Transfer-Encoding, lower case ("base64", "x-foo"); empty
                            // when absent
  std::string disposition;  // "inline", "attachment" or empty
  std::string filename;
  std::string charset;
  std::string language;
  std::string location;
  int64_t size = 0;   // octets of the body as transferred (still encoded)
  int64_t lines = 0;  // lines of the body as transferred; only for text/* and message/*
  int64_t header_offset = -1;
  int64_t body_offset = -1;
  int64_t end_offset = -1;
  std::vector<Part> children;
};

struct Summary {
  std::string message_id;  // without angle brackets
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  std::string subject;  // decoded to UTF-8
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
  std::optional<int64_t> sent_at;  // the Date: header, Unix seconds
  std::string preview;             // up to kPreviewLength characters of text, whitespace folded
  bool has_attachment = false;
  // False for a summary stored before parts had offsets: Parse the raw message again before
  // asking for a section.
  bool offsets_known = false;
  Part body;
};

inline constexpr size_t kPreviewLength = 256;

// Parses `message` (RFC 5322 + MIME) in one pass of GMime's parser, offsets included.
// Never fails: what GMime cannot make sense of is left empty, and the caller still stores the
// raw bytes; a message whose header GMime cannot read at all is one text/plain part whose header
// is all of the message.
Summary Parse(std::string_view message);

boost::json::value ToJson(const Summary& summary);
// The inverse of ToJson; fields missing from `json` are left at their defaults, and
// offsets_known is true only when every part has its offsets.
Summary FromJson(const boost::json::value& json);

// A run of octets of the raw message: [begin, end).
struct Range {
  int64_t begin = 0;
  int64_t end = 0;
  int64_t size() const { return end - begin; }
};

// The octets `range` names in `message`, cut to what `message` holds.
std::string_view Slice(std::string_view message, Range range);

// Where one IMAP section lies in the raw message (RFC 9051 6.4.5, RFC 3516).
struct Section {
  const Part* part = nullptr;  // the part the path names; for "" the top-level body
  Range mime;                  // [path.MIME]: the part's header; for "" the message header
  Range body;                  // [path]: for "" the whole message; for message/rfc822 the
                               // embedded message, header included
  bool is_message = false;     // "" or a message/rfc822 part: HEADER and TEXT apply
  Range header;                // [path.HEADER], [path.HEADER.FIELDS ...]: the (embedded)
                               // message's header with its blank line; only when is_message
  Range text;                  // [path.TEXT]: the (embedded) message's body; only when is_message
};

// Finds the section that `path` ("" or "1.2.3", nz-numbers joined by dots) names, following
// IMAP's rules: on a multipart, n is its n-th child; on a message/rfc822 part, n is the n-th part
// of the embedded message's body, or that body itself when it is not a multipart and n is 1; the
// same rule applies at the top level, so [1] of a single-part message is its body. A
// message/rfc822 part GMime could not read as a message (empty, or base64-encoded) has all of its
// body as HEADER and an empty TEXT. Returns nullopt for a malformed path, a part that does not
// exist, or a summary without offsets (check offsets_known first).
std::optional<Section> FindSection(const Summary& summary, std::string_view path);

// Undoes the Content-Transfer-Encoding `encoding` (case-insensitive, e.g. Part::encoding) of a
// body as transferred, for IMAP BINARY (RFC 3516). "", "7bit", "8bit" and "binary" return the
// octets unchanged. "base64" and "quoted-printable" are decoded by GMime, leniently as RFC 2045
// asks: base64 skips octets outside its alphabet, stops at the padding and drops an incomplete
// final quantum; quoted-printable keeps a "=" that starts no escape as it is and drops an escape
// cut off by the end. Anything else (x-uuencode too) fails with Error::kUnknownEncoding (IMAP:
// NO [UNKNOWN-CTE]).
Result<std::string> DecodeBody(std::string_view body, std::string_view encoding);

}  // namespace pushmail::mime
