#pragma once
// FETCH data items (RFC 9051 6.4.5; RFC 3516 BINARY; RFC 7162 MODSEQ; RFC 8474 EMAILID,
// THREADID; RFC 8514 SAVEDATE) and how each must be named in the response.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/protocol/error.h"
#include "imap/protocol/limits.h"
#include "imap/protocol/parser.h"

namespace pushmail::imap {

// A body section: "[1.2.HEADER.FIELDS (From To)]".
struct Section {
  enum class Text {
    kNone,             // the whole part ("[]", "[1.2]")
    kHeader,           // "HEADER"
    kHeaderFields,     // "HEADER.FIELDS (...)"
    kHeaderFieldsNot,  // "HEADER.FIELDS.NOT (...)"
    kText,             // "TEXT"
    kMime,             // "MIME": only after a part number
  };
  std::vector<uint32_t> part;  // "1.2.3" as {1, 2, 3}; empty for the message itself
  Text text = Text::kNone;
  std::vector<std::string> fields;  // kHeaderFields(Not): names as sent, for echo; match
                                    // them ignoring case
  bool operator==(const Section&) const = default;
  // "1.2.HEADER.FIELDS (From To)": what goes between the brackets in the response; field names
  // echoed as sent, each as an astring.
  std::string ToString() const;
};

// "<origin.length>". The response names only the origin: "BODY[]<0>".
struct Partial {
  uint64_t origin = 0;
  uint64_t length = 0;  // > 0
  bool operator==(const Partial&) const = default;
};

enum class FetchAttr {
  kUid,
  kFlags,
  kInternalDate,
  kRfc822,        // = BODY[] (sets \Seen); response name "RFC822"
  kRfc822Header,  // = BODY.PEEK[HEADER]; response name "RFC822.HEADER"
  kRfc822Size,
  kRfc822Text,  // = BODY[TEXT] (sets \Seen); response name "RFC822.TEXT"
  kEnvelope,
  kBody,           // BODY without a section: the non-extensible body structure
  kBodyStructure,  // BODYSTRUCTURE
  kBodySection,    // BODY[section]<partial>, BODY.PEEK[...]
  kBinary,         // BINARY[part]<partial>, BINARY.PEEK[...]
  kBinarySize,     // BINARY.SIZE[part]
  kModSeq,
  kEmailId,
  kThreadId,
  kSaveDate,
};

struct FetchItem {
  FetchAttr attr = FetchAttr::kUid;
  bool peek = false;  // BODY.PEEK / BINARY.PEEK
  Section section;    // kBodySection; kBinary(Size) use `section.part` only
  std::optional<Partial> partial;
  bool operator==(const FetchItem&) const = default;

  // The item's name in the FETCH response: "UID", "BODY[1.HEADER]<0>", "BINARY.SIZE[2]",
  // "BODY[]" for BODY.PEEK[], ...
  std::string ResponseName() const;
  // Whether fetching it sets \Seen (in a mailbox opened read-write).
  bool SetsSeen() const;
};

// Parses the FETCH items argument: a macro (ALL, FAST, FULL, expanded), one item, or a
// parenthesised list of items (not empty). BAD for an unknown item, a bad section ("MIME"
// without a part number, "0" in a part number, an empty field list, a field name that is not
// printable ASCII without ":", a section on BINARY other than part numbers), a bad partial,
// BODY.PEEK without a section.
Parsed<std::vector<FetchItem>> ParseFetchItems(const Token& token, const Limits& limits);

// Parses one item from an atom ("BODY.PEEK[1]<0.10>").
Parsed<FetchItem> ParseFetchItem(std::string_view atom, const Limits& limits);

}  // namespace pushmail::imap
