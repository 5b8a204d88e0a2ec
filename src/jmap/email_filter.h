#pragma once
// The "filter", "sort" and "collapseThreads" arguments of Email/query and Email/queryChanges
// (RFC 8621 4.4.1, 4.4.2) read into a store::EmailQuery. Pure: the fuzzer drives it.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <vector>

#include "jmap/result_reference.h"
#include "store/email_query.h"

namespace pushmail::jmap {

inline constexpr int kMaxFilterDepth = 10;       // nested FilterOperators
inline constexpr int kMaxFilterConditions = 64;  // properties of all FilterConditions
inline constexpr size_t kMaxSortKeys = 8;

struct ParsedEmailQuery {
  store::EmailQuery query;
  // The filter or sort looks at the other emails of a thread: a change to one email can move
  // another in or out of the results.
  bool thread_dependent = false;
  // What the text, subject and body conditions look for (SearchSnippet/get).
  std::vector<std::string> search_texts;
};

// unsupportedFilter, unsupportedSort or invalidArguments on failure.
std::optional<MethodError> ParseEmailQuery(const boost::json::object& args, ParsedEmailQuery& out);

// RFC 8621 4.1.1: 1-255 of %x21-%x7E except ( ) { ] % * " \.
bool ValidKeyword(std::string_view keyword);

}  // namespace pushmail::jmap
