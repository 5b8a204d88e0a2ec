#pragma once
// The client side of the IMAP codec: parses one server response (RFC 9051 7) as framed by
// imap::CommandReader (server literals "{n}" are framed exactly like a client's). Pure: no I/O.
//
// Status responses (tagged, or untagged OK/NO/BAD/PREAUTH/BYE) are split into their condition,
// response code and text by hand, because human-readable text need not tokenize. Every other
// untagged response is "* [number] NAME data...", and its data are imap::Tokenize'd, so
// literals, quoted strings and nested lists are read by the same code as the server's commands,
// with the same limits.
//
// A Response borrows from the framed text (its tokens point into it): keep the text alive and
// unchanged while the Response is used.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/error.h"
#include "imap/protocol/limits.h"
#include "imap/protocol/parser.h"

namespace pushmail::bridge {

struct Response {
  enum class Kind { kTagged, kUntagged, kContinuation };
  Kind kind = Kind::kUntagged;
  std::string_view tag;  // kTagged
  // OK, NO, BAD, PREAUTH or BYE in upper case for a status response; empty for data.
  std::string status;
  std::string_view code;  // the response code between [ ], brackets excluded; may be empty
  std::string_view text;  // the rest of a status or continuation line
  // Data: "* 12 EXISTS" has number 12 and name "EXISTS"; "* LIST ..." has no number.
  std::optional<uint32_t> number;
  std::string name;               // upper case
  std::vector<imap::Token> data;  // the tokens after the name

  bool IsStatus() const { return !status.empty(); }
  bool Ok() const { return status == "OK"; }
};

// Parses one response line (with its literals, without the last line end). Errors: an empty
// line, a tag or name that is not an atom, a number over 2^32-1 or without a name after it, a
// response code without its "]", a status other than OK/NO/BAD after a tag, and any error of
// imap::Tokenize in the data (bad literal, unbalanced parentheses, control characters, too deep
// or too many tokens).
imap::Parsed<Response> ParseResponse(std::string_view text, const imap::Limits& limits);

// The limits the bridge reads an upstream server with: a whole response may carry one message
// of up to `max_message` octets.
imap::Limits UpstreamLimits(uint64_t max_message);

// Finds "NAME value" in a list of alternating names and values (FETCH and STATUS data);
// nullptr when absent. Names compare without case.
const imap::Token* FindItem(const std::vector<imap::Token>& pairs, std::string_view name);

// The items of "* n FETCH (...)"; nullptr for any other response.
const std::vector<imap::Token>* FetchItems(const Response& r);

// A UIDPLUS response code (RFC 4315 3): "APPENDUID uidvalidity uid-set" or "COPYUID uidvalidity
// source-set destination-set", the sets expanded in the order given (COPYUID pairs them up).
struct UidCode {
  uint32_t uidvalidity = 0;
  std::vector<uint32_t> source;  // COPYUID only
  std::vector<uint32_t> destination;
};
// Parses `code` (a Response's code). Errors: another code, a UIDVALIDITY that is not a nonzero
// 32-bit number, a set that does not parse (imap::ParseSequenceSet) or holds "*" or more than
// limits.max_tokens UIDs, COPYUID sets of different sizes, anything after the last set.
imap::Parsed<UidCode> ParseUidCode(std::string_view code, const imap::Limits& limits);

// ASCII upper case.
std::string Upper(std::string_view s);

// A token's number, when it is one that fits in 64 bits.
std::optional<uint64_t> Number(const imap::Token& token);

}  // namespace pushmail::bridge
