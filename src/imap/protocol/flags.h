#pragma once
// IMAP flags and keywords as the store keeps them (JMAP keywords, RFC 8621 4.1.1): system
// flags map to "$seen", "$answered", "$flagged", "$draft", "$deleted"; other keywords are
// stored in lower case (IMAP keywords are case-insensitive in practice; JMAP's are lower case).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace pushmail::imap {

// The store keyword of an IMAP flag; nullopt for \Recent (not storable) and unknown system
// flags ("\Foo").
std::optional<std::string> FlagToKeyword(std::string_view flag);
// The IMAP flag of a store keyword ("$seen" -> "\Seen"; others as they are).
std::string KeywordToFlag(std::string_view keyword);
// "(\Seen $Label1)" for a message's keywords.
std::string FormatFlags(const std::vector<std::string>& keywords);

// What FLAGS and PERMANENTFLAGS announce on SELECT.
inline constexpr std::string_view kFlags = "(\\Answered \\Flagged \\Deleted \\Seen \\Draft)";
inline constexpr std::string_view kPermanentFlags =
    "(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)";

}  // namespace pushmail::imap
