#pragma once
// SEARCH programs (RFC 9051 6.4.4; RFC 3501 NEW/OLD/RECENT; RFC 4731 ESEARCH RETURN; RFC 5182
// SAVE and "$"; RFC 7162 MODSEQ; RFC 8474 EMAILID/THREADID; RFC 5032 OLDER/YOUNGER) as a tree.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/protocol/datetime.h"
#include "imap/protocol/error.h"
#include "imap/protocol/limits.h"
#include "imap/protocol/parser.h"
#include "imap/protocol/sequence.h"

namespace pushmail::imap {

struct SearchKey {
  enum class Kind {
    kAll,
    kAnd,          // every child matches (a parenthesised group, or the program itself)
    kOr,           // one of two children
    kNot,          // one child
    kSequenceSet,  // `set`, message sequence numbers
    kUid,          // `set`, UIDs
    kFlag,         // `text` is set: "\Seen", "\Answered", ..., or a keyword (KEYWORD x)
    kNoFlag,       // `text` is not set (UNSEEN, UNKEYWORD x, ...)
    kRecent,       // RECENT (NEW = AND(RECENT, UNSEEN); OLD = NOT RECENT)
    kHeader,       // header `field` contains `text` ("" matches any message with the field);
                   // BCC, CC, FROM, SUBJECT, TO become HEADER with that field name
    kBody,         // body contains `text`
    kText,         // header or body contains `text`
    kBefore,       // internal date (as a day) before `date`
    kOn,
    kSince,       // on or after
    kSentBefore,  // Date: header, as a day
    kSentOn,
    kSentSince,
    kLarger,    // RFC822.SIZE > `number`
    kSmaller,   // RFC822.SIZE < `number`
    kModSeq,    // MODSEQ >= `number` (`text`: entry name, `field`: entry type, may be empty)
    kEmailId,   // `text`
    kThreadId,  // `text`
    kOlder,     // internal date older than `number` seconds
    kYounger,   // internal date within the last `number` seconds
  };
  Kind kind = Kind::kAll;
  std::string field;
  std::string text;  // strings are UTF-8
  uint64_t number = 0;
  Date date;
  SequenceSet set;
  std::vector<SearchKey> children;
};

// RETURN options (ESEARCH). `present` false: a plain SEARCH, answer "* SEARCH ...".
struct SearchReturn {
  bool present = false;
  bool min = false, max = false, all = false, count = false, save = false;
};

struct Search {
  SearchReturn ret;
  std::string charset;  // upper case; empty when not given
  SearchKey key;        // kAnd of the keys, or the single key
};

// Parses the SEARCH arguments. Errors: BAD for syntax, an unknown key, a bad date, number or
// set, a string that is not valid UTF-8, nesting over Limits::max_depth (NOT and OR count as a
// level), more than Limits::max_search_keys keys; NO [BADCHARSET (US-ASCII UTF-8)] for a charset
// other than US-ASCII and UTF-8.
Parsed<Search> ParseSearch(std::span<const Token> args, const Limits& limits);

}  // namespace pushmail::imap
