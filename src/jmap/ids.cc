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

std::optional<int64_t> ParseUtcDate(std::string_view d) {
  auto num = [&d](size_t at, size_t n) -> int {
    int v = 0;
    if (at + n > d.size()) return -1;
    for (size_t i = at; i < at + n; ++i) {
      if (d[i] < '0' || d[i] > '9') return -1;
      v = v * 10 + (d[i] - '0');
    }
    return v;
  };
  if (d.size() < 20 || d[4] != '-' || d[7] != '-' || (d[10] != 'T' && d[10] != 't') ||
      d[13] != ':' || d[16] != ':') {
    return std::nullopt;
  }
  std::tm tm{};
  int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  int hour = num(11, 2), minute = num(14, 2), second = num(17, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > 31 || hour < 0 || hour > 23 ||
      minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  size_t i = 19;
  if (i < d.size() && d[i] == '.') {
    ++i;
    size_t start = i;
    while (i < d.size() && d[i] >= '0' && d[i] <= '9') ++i;
    if (i == start) return std::nullopt;
  }
  int64_t offset = 0;
  if (i < d.size() && (d[i] == 'Z' || d[i] == 'z')) {
    ++i;
  } else if (i + 6 == d.size() && (d[i] == '+' || d[i] == '-') && d[i + 3] == ':') {
    int oh = num(i + 1, 2), om = num(i + 4, 2);
    if (oh < 0 || om < 0 || oh > 23 || om > 59) return std::nullopt;
    offset = (d[i] == '-' ? -1 : 1) * (int64_t{oh} * 3600 + int64_t{om} * 60);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != d.size()) return std::nullopt;
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) - offset;
}

}  // namespace pushmail::jmap
