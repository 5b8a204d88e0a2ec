#pragma once
// JMAP Email/query (RFC 8621 4.4) as the store runs it: a filter tree and sort keys, compiled to
// one SQL statement over emails, mailbox_emails and the full-text index. Pure (no database):
// the JMAP layer builds an EmailQuery, Store::QueryEmails runs it, the fuzzer checks that every
// EmailQuery compiles to SQL that SQLite accepts.

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "store/types.h"

namespace pushmail::store {

struct EmailFilter {
  enum class Op {
    kAnd,  // children all match (none: true)
    kOr,   // some child matches (none: false)
    kNot,  // no child matches
    kFalse,
    kInMailbox,           // number: mailbox
    kInMailboxOtherThan,  // numbers: mailboxes
    kBefore,              // number: receivedAt < (Unix seconds)
    kAfter,               // receivedAt >=
    kMinSize,             // size >=
    kMaxSize,             // size <
    kHasKeyword,          // text: keyword
    kNotKeyword,
    kAllInThreadHaveKeyword,
    kSomeInThreadHaveKeyword,
    kNoneInThreadHaveKeyword,
    kHasAttachment,  // number: 1 or 0
    kText,           // text: what to look for; columns: where (TextColumn bits)
    kHeader,         // text: header name; value: words to look for, or empty for "has it"
  };
  enum TextColumn : unsigned {
    kSubject = 1,
    kFrom = 2,
    kTo = 4,
    kCc = 8,
    kBcc = 16,
    kBody = 32,
  };
  Op op = Op::kAnd;
  int64_t number = 0;
  std::vector<int64_t> numbers;
  std::string text;
  std::string value;
  unsigned columns = 0;
  std::vector<EmailFilter> children;
};

struct EmailSort {
  enum class Key {
    kReceivedAt,
    kSize,
    kFrom,
    kTo,
    kSubject,
    kSentAt,
    kHasKeyword,
    kAllInThreadHaveKeyword,
    kSomeInThreadHaveKeyword,
  };
  Key key = Key::kReceivedAt;
  std::string keyword;  // for the keyword keys
  bool ascending = true;
};

struct EmailQuery {
  EmailFilter filter;  // the default kAnd without children matches every email
  std::vector<EmailSort> sort;
  bool collapse_threads = false;
};

// One row of a result: an email and its thread.
struct EmailQueryRow {
  EmailId email = 0;
  ThreadId thread = 0;
};

struct EmailQueryResult {
  std::vector<EmailQueryRow> rows;  // the window asked for, in order
  int64_t total = -1;               // every match, when asked for
};

// SQL and its parameters (1-based in order). Rows are (email id, thread id).
struct CompiledQuery {
  std::string sql;
  std::vector<std::variant<int64_t, std::string>> binds;
  bool full_text = false;  // it reads the full-text index (schema "search")
};
// The query for `account`; with `count`, the statement counts the matches instead (one row).
// `limit` < 0 means no limit.
CompiledQuery CompileEmailQuery(AccountId account, const EmailQuery& query, bool count,
                                int64_t offset = 0, int64_t limit = -1);

// The FTS5 expression for what a user typed: words must all be present (each also as a
// prefix), "quoted phrases" in order. Empty when `text` holds no word.
std::string FtsExpression(std::string_view text);

// RFC 5256 2.1 base subject, lower-cased, for sorting: "Re: [list] Fwd: Hi (fwd)" -> "hi".
std::string BaseSubject(std::string_view subject);

}  // namespace pushmail::store
