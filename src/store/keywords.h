#pragma once
// Keywords as stored in mailbox_emails.keywords: sorted, lower case, space-separated with a
// space before and after each (" $flagged $seen "), so that "contains keyword k" is the exact
// SQL test `keywords LIKE '% k %'`. No keywords is the empty string.

#include <string>
#include <string_view>

#include "store/types.h"

namespace pushmail::store {

std::string JoinKeywords(const Keywords& keywords);
Keywords SplitKeywords(std::string_view stored);
// `current` changed by `op` with `keywords` (lower-cased); the result is sorted and unique.
Keywords ApplyKeywords(const Keywords& current, KeywordOp op, const Keywords& keywords);

}  // namespace pushmail::store
