#include "imap/protocol/datetime.h"

#include <array>
#include <chrono>
#include <cstdio>

#include "imap/protocol/chars.h"

namespace pushmail::imap {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kWeekdays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};

// Reads exactly `n` digits at `pos`.
bool Digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  out = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!chars::IsDigit(s[pos + i])) return false;
    out = out * 10 + (s[pos + i] - '0');
  }
  pos += n;
  return true;
}

// Reads "d-Mon-yyyy" at `pos`; `day_digits` tells how many digits the day took.
bool ReadDate(std::string_view s, size_t& pos, Date& date) {
  size_t day_len = 0;
  while (pos + day_len < s.size() && chars::IsDigit(s[pos + day_len])) ++day_len;
  if (day_len < 1 || day_len > 2 || !Digits(s, pos, day_len, date.day)) return false;
  if (pos + 5 > s.size() || s[pos] != '-' || s[pos + 4] != '-') return false;
  std::string_view month = s.substr(pos + 1, 3);
  date.month = 0;
  for (size_t m = 0; m < kMonths.size(); ++m) {
    if (chars::EqualsIgnoreCase(month, kMonths[m])) date.month = static_cast<int>(m) + 1;
  }
  pos += 5;
  if (date.month == 0 || !Digits(s, pos, 4, date.year) || date.year < 1) return false;
  std::chrono::year_month_day ymd{std::chrono::year(date.year),
                                  std::chrono::month(static_cast<unsigned>(date.month)),
                                  std::chrono::day(static_cast<unsigned>(date.day))};
  return ymd.ok();
}

std::chrono::sys_days ToSysDays(const Date& d) {
  return std::chrono::sys_days(std::chrono::year_month_day(
      std::chrono::year(d.year), std::chrono::month(static_cast<unsigned>(d.month)),
      std::chrono::day(static_cast<unsigned>(d.day))));
}

// Splits a local time into its day and its seconds of that day.
struct Civil {
  Date date;
  int64_t seconds = 0;  // of the day
  int weekday = 0;      // 0 = Sunday
};

Civil ToCivil(const DateTime& t) {
  int64_t local = t.unix_seconds + int64_t{t.offset_minutes} * 60;
  int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
  Civil c;
  c.seconds = local - days * 86400;
  std::chrono::year_month_day ymd{std::chrono::sys_days(std::chrono::days(days))};
  c.date = Date{static_cast<int>(ymd.year()), static_cast<int>(unsigned(ymd.month())),
                static_cast<int>(unsigned(ymd.day()))};
  c.weekday = static_cast<int>(((days % 7) + 11) % 7);  // 1970-01-01 was a Thursday
  return c;
}

std::string FormatZone(int offset_minutes) {
  int abs = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  char buf[8];
  std::snprintf(buf, sizeof buf, "%c%02d%02d", offset_minutes < 0 ? '-' : '+', (abs / 60) % 100,
                abs % 60);
  return buf;
}

std::string FormatClock(int64_t seconds) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%02d:%02d:%02d", static_cast<int>(seconds / 3600),
                static_cast<int>(seconds / 60 % 60), static_cast<int>(seconds % 60));
  return buf;
}

}  // namespace

int64_t Date::DaysSinceEpoch() const { return ToSysDays(*this).time_since_epoch().count(); }

Date Date::FromUnix(int64_t unix_seconds, int offset_minutes) {
  return ToCivil(DateTime{unix_seconds, offset_minutes}).date;
}

Parsed<Date> ParseDate(std::string_view text) {
  Date date;
  size_t pos = 0;
  if (!ReadDate(text, pos, date) || pos != text.size()) return Bad("Invalid date");
  return date;
}

Parsed<DateTime> ParseDateTime(std::string_view text) {
  if (!text.empty() && text[0] == ' ') text.remove_prefix(1);  // date-day-fixed " 7"
  Date date;
  size_t pos = 0;
  int hh, mm, ss, zh, zm;
  if (!ReadDate(text, pos, date) || pos >= text.size() || text[pos++] != ' ' ||
      !Digits(text, pos, 2, hh) || pos >= text.size() || text[pos++] != ':' ||
      !Digits(text, pos, 2, mm) || pos >= text.size() || text[pos++] != ':' ||
      !Digits(text, pos, 2, ss) || pos + 1 >= text.size() || text[pos++] != ' ' ||
      (text[pos] != '+' && text[pos] != '-')) {
    return Bad("Invalid date-time");
  }
  int sign = text[pos++] == '-' ? -1 : 1;
  if (!Digits(text, pos, 2, zh) || !Digits(text, pos, 2, zm) || pos != text.size() || hh > 23 ||
      mm > 59 || ss > 60 || zh > 23 || zm > 59) {
    return Bad("Invalid date-time");
  }
  DateTime t;
  t.offset_minutes = sign * (zh * 60 + zm);
  int64_t local =
      date.DaysSinceEpoch() * 86400 + int64_t{hh} * 3600 + int64_t{mm} * 60 + (ss > 59 ? 59 : ss);
  t.unix_seconds = local - int64_t{t.offset_minutes} * 60;
  return t;
}

std::string FormatDate(const Date& date) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%d-%s-%04d", date.day, kMonths[(date.month + 11) % 12].data(),
                date.year);
  return buf;
}

// Built with snprintf: GCC 12 warns falsely (-Wrestrict) on long std::string + chains.
std::string FormatDateTime(const DateTime& time) {
  Civil c = ToCivil(time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "\"%02d-%s-%04d %s %s\"", c.date.day,
                kMonths[c.date.month - 1].data(), c.date.year, FormatClock(c.seconds).c_str(),
                FormatZone(time.offset_minutes).c_str());
  return buf;
}

std::string FormatRfc5322Date(const DateTime& time) {
  Civil c = ToCivil(time);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %d %s %04d %s %s", kWeekdays[c.weekday].data(), c.date.day,
                kMonths[c.date.month - 1].data(), c.date.year, FormatClock(c.seconds).c_str(),
                FormatZone(time.offset_minutes).c_str());
  return buf;
}

}  // namespace pushmail::imap
