#include "imap/protocol/sequence.h"

#include <algorithm>
#include <limits>

#include "imap/protocol/chars.h"

namespace pushmail::imap {
namespace {

// Reads one seq-number at `pos`: nz-number or "*".
bool ReadNumber(std::string_view text, size_t& pos, uint32_t& out) {
  if (pos < text.size() && text[pos] == '*') {
    ++pos;
    out = SeqRange::kStar;
    return true;
  }
  if (pos >= text.size() || text[pos] < '1' || text[pos] > '9') return false;
  uint64_t n = 0;
  for (; pos < text.size() && chars::IsDigit(text[pos]); ++pos) {
    n = n * 10 + static_cast<uint64_t>(text[pos] - '0');
    if (n > std::numeric_limits<uint32_t>::max()) return false;
  }
  out = static_cast<uint32_t>(n);
  return true;
}

void AppendRange(std::string& out, uint32_t first, uint32_t last) {
  if (!out.empty()) out += ',';
  out += first == SeqRange::kStar ? std::string("*") : std::to_string(first);
  if (first == last) return;
  out += ':';
  out += last == SeqRange::kStar ? std::string("*") : std::to_string(last);
}

}  // namespace

bool SequenceSet::Contains(uint32_t n, uint32_t max) const {
  for (const SeqRange& r : ranges) {
    uint32_t a = r.first == SeqRange::kStar ? max : r.first;
    uint32_t b = r.last == SeqRange::kStar ? max : r.last;
    if (a == 0 || b == 0) continue;  // "*" in an empty mailbox
    if (a > b) std::swap(a, b);
    if (n >= a && n <= b) return true;
  }
  return false;
}

std::vector<SeqRange> SequenceSet::Normalize(uint32_t max) const {
  std::vector<SeqRange> out;
  if (max == 0) return out;
  for (const SeqRange& r : ranges) {
    uint32_t a = r.first == SeqRange::kStar ? max : r.first;
    uint32_t b = r.last == SeqRange::kStar ? max : r.last;
    if (a > b) std::swap(a, b);
    if (a > max) continue;
    out.push_back({a, std::min(b, max)});
  }
  std::sort(out.begin(), out.end(),
            [](const SeqRange& x, const SeqRange& y) { return x.first < y.first; });
  std::vector<SeqRange> merged;
  for (const SeqRange& r : out) {
    if (!merged.empty() && uint64_t{r.first} <= uint64_t{merged.back().last} + 1) {
      merged.back().last = std::max(merged.back().last, r.last);
    } else {
      merged.push_back(r);
    }
  }
  return merged;
}

std::vector<uint32_t> SequenceSet::Expand(std::span<const uint32_t> sorted) const {
  std::vector<uint32_t> out;
  if (sorted.empty()) return out;
  // With "*" as the largest UID, a range past it ("559:*") still reaches down to it.
  for (const SeqRange& r : Normalize(sorted.back())) {
    auto lo = std::lower_bound(sorted.begin(), sorted.end(), r.first);
    auto hi = std::upper_bound(lo, sorted.end(), r.last);
    out.insert(out.end(), lo, hi);
  }
  return out;
}

Parsed<SequenceSet> ParseSequenceSet(std::string_view text, const Limits& limits,
                                     bool allow_saved) {
  SequenceSet set;
  if (text == "$") {
    if (!allow_saved) return Bad("\"$\" is not allowed here");
    set.saved = true;
    return set;
  }
  size_t pos = 0;
  for (;;) {
    if (set.ranges.size() >= limits.max_ranges) return Bad("Too many ranges in sequence set");
    SeqRange r;
    if (!ReadNumber(text, pos, r.first)) return Bad("Invalid sequence set");
    r.last = r.first;
    if (pos < text.size() && text[pos] == ':') {
      ++pos;
      if (!ReadNumber(text, pos, r.last)) return Bad("Invalid sequence set");
    }
    set.ranges.push_back(r);
    if (pos == text.size()) return set;
    if (text[pos] != ',') return Bad("Invalid sequence set");
    ++pos;
  }
}

std::string FormatSequenceSet(std::span<const uint32_t> sorted) {
  std::string out;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j + 1 < sorted.size() && uint64_t{sorted[j + 1]} == uint64_t{sorted[j]} + 1) ++j;
    AppendRange(out, sorted[i], sorted[j]);
    i = j + 1;
  }
  return out;
}

std::string FormatSequenceSet(const SequenceSet& set) {
  if (set.saved) return "$";
  std::string out;
  for (const SeqRange& r : set.ranges) AppendRange(out, r.first, r.last);
  return out;
}

}  // namespace pushmail::imap
