#pragma once
// Sequence sets (RFC 9051 9 "sequence-set"; RFC 5182 "$"): message sequence numbers or UIDs.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "imap/protocol/error.h"
#include "imap/protocol/limits.h"

namespace pushmail::imap {

// One element of a set: a number (first == last) or a range "first:last". Either end may be
// kStar ("*": the largest number in use). A range is unordered: "5:2" means 2..5.
struct SeqRange {
  static constexpr uint32_t kStar = 0;  // 0 is never a valid number, so it can stand for "*"
  uint32_t first = 0;
  uint32_t last = 0;
  bool operator==(const SeqRange&) const = default;
};

struct SequenceSet {
  std::vector<SeqRange> ranges;  // as sent; empty when `saved`
  bool saved = false;            // "$": the result saved by SEARCH RETURN (SAVE), RFC 5182

  // Whether `n` is in the set when the largest number in use is `max` ("*" stands for `max`;
  // with max 0, "*" matches nothing). RFC 9051 6.4.8: "559:*" with max 500 contains 500.
  // Not meaningful when `saved`.
  bool Contains(uint32_t n, uint32_t max) const;

  // The members of `sorted` (ascending, unique UIDs of a mailbox) that the set contains, "*"
  // being the last of them. O(ranges * log n + result). Not meaningful when `saved`.
  std::vector<uint32_t> Expand(std::span<const uint32_t> sorted) const;

  // The set as sorted, merged, disjoint ranges with "*" replaced by `max` (sequence numbers:
  // pass the message count; ranges past it are clipped, empty ranges dropped).
  std::vector<SeqRange> Normalize(uint32_t max) const;
};

// Parses a sequence set. Errors: empty, "0" or a leading zero, a number over 2^32-1, a dangling
// ":" or ",", more than Limits::max_ranges elements, "$" when `allow_saved` is false or with
// other elements.
Parsed<SequenceSet> ParseSequenceSet(std::string_view text, const Limits& limits,
                                     bool allow_saved = true);

// Formats ascending unique numbers as a set, runs compressed ("1:3,5,7:9"); "" when empty.
std::string FormatSequenceSet(std::span<const uint32_t> sorted);

// Formats a set as parsed, "*" and "$" included (for logs and the bridge's client side).
std::string FormatSequenceSet(const SequenceSet& set);

}  // namespace pushmail::imap
