#pragma once
// JMAP ids and state strings for store objects. Pure.

#include <optional>
#include <string>
#include <string_view>

#include "store/types.h"

namespace pushmail::jmap {

std::string AccountJmapId(store::AccountId id);  // "A7"
// A blob id for an email's raw bytes: "B" and the email's row number.
std::string EmailBlobId(store::EmailId id);
// State strings are the decimal modseq of the data type.
std::string StateString(store::ModSeq modseq);
// The modseq of a state string we made; nullopt for anything else.
std::optional<store::ModSeq> ParseState(std::string_view state);
// "2026-11-23T05:58:16Z" (RFC 3339 UTCDate).
std::string UtcDate(int64_t unix_seconds);
// The Unix time of an RFC 3339 date-time ("Z" or an offset; fractions of a second dropped).
std::optional<int64_t> ParseUtcDate(std::string_view date);
// The same for a strict UTCDate (RFC 8620 1.4: the offset must be "Z").
inline std::optional<int64_t> ParseUtcDateTime(std::string_view text) {
  return text.ends_with('Z') ? ParseUtcDate(text) : std::nullopt;
}

}  // namespace pushmail::jmap
