#include "jmap/ids.h"

#include <charconv>
#include <ctime>

namespace pushmail::jmap {

std::string AccountJmapId(store::AccountId id) { return "A" + std::to_string(id); }
std::string EmailBlobId(store::EmailId id) { return "B" + std::to_string(id); }
std::string StateString(store::ModSeq modseq) { return std::to_string(modseq); }

std::optional<store::ModSeq> ParseState(std::string_view state) {
  store::ModSeq value = 0;
  if (state.empty() || state.size() > 18 || (state.size() > 1 && state[0] == '0')) {
    return std::nullopt;
  }
  auto [end, ec] = std::from_chars(state.data(), state.data() + state.size(), value);
  if (ec != std::errc() || end != state.data() + state.size() || value < 0) return std::nullopt;
  return value;
}

std::string UtcDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace pushmail::jmap
