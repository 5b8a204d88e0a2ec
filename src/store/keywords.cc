#include "store/keywords.h"

#include <algorithm>
#include <iterator>

#include "base/strings.h"

namespace pushmail::store {
namespace {

Keywords Normalise(const Keywords& keywords) {
  Keywords out;
  for (const auto& k : keywords) {
    if (!k.empty()) out.push_back(AsciiLower(k));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

std::string JoinKeywords(const Keywords& keywords) {
  std::string out;
  for (const auto& k : Normalise(keywords)) out += " " + k;
  if (!out.empty()) out += ' ';
  return out;
}

Keywords SplitKeywords(std::string_view stored) {
  Keywords out;
  size_t start = 0;
  while (start < stored.size()) {
    size_t space = stored.find(' ', start);
    if (space == std::string_view::npos) space = stored.size();
    if (space > start) out.emplace_back(stored.substr(start, space - start));
    start = space + 1;
  }
  return out;
}

Keywords ApplyKeywords(const Keywords& current, KeywordOp op, const Keywords& keywords) {
  Keywords given = Normalise(keywords);
  Keywords now = Normalise(current);
  Keywords out;
  switch (op) {
    case KeywordOp::kReplace:
      return given;
    case KeywordOp::kAdd:
      std::set_union(now.begin(), now.end(), given.begin(), given.end(), std::back_inserter(out));
      return out;
    case KeywordOp::kRemove:
      std::set_difference(now.begin(), now.end(), given.begin(), given.end(),
                          std::back_inserter(out));
      return out;
  }
  return out;
}

}  // namespace pushmail::store
