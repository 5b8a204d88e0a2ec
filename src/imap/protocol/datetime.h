#pragma once
// IMAP dates (RFC 9051 9): "date" as in SEARCH SINCE 1-Feb-1994, and "date-time" as in APPEND
// and INTERNALDATE: "17-Jul-1996 02:44:25 -0700".

#include <cstdint>
#include <string>
#include <string_view>

#include "imap/protocol/error.h"

namespace pushmail::imap {

// A calendar day, no time zone (SEARCH compares days, RFC 9051 6.4.4).
struct Date {
  int year = 1970;
  int month = 1;  // 1..12
  int day = 1;    // 1..31
  bool operator==(const Date&) const = default;
  auto operator<=>(const Date&) const = default;
  // Days since 1970-01-01 (negative before).
  int64_t DaysSinceEpoch() const;
  // The day of a Unix time as seen at `offset_minutes` east of UTC.
  static Date FromUnix(int64_t unix_seconds, int offset_minutes = 0);
};

// An instant with the zone it was written in.
struct DateTime {
  int64_t unix_seconds = 0;
  int offset_minutes = 0;  // east of UTC: "-0700" is -420
  bool operator==(const DateTime&) const = default;
};

// Parses a date: day (1 or 2 digits) "-" month name (any case) "-" 4-digit year; the quotes
// of a quoted date are already gone (Token::text()). BAD for anything else or a day that
// does not exist (31-Feb-2020), or a year before 1 or after 9999.
Parsed<Date> ParseDate(std::string_view text);

// Parses a date-time without its quotes: day as " 7", "07" or "7", "-" month "-" year SP
// hh:mm:ss SP zone (+|-)hhmm. BAD for anything else or an impossible day or time.
Parsed<DateTime> ParseDateTime(std::string_view text);

// "17-Jul-1996" (day as 1 or 2 digits, as in SEARCH).
std::string FormatDate(const Date& date);

// "\"17-Jul-1996 02:44:25 -0700\"", quotes included (the grammar's date-time has them); a day
// below 10 is written with a leading zero ("07-Jul-1996"), which date-day-fixed allows.
std::string FormatDateTime(const DateTime& time);

// RFC 5322 3.3 date for ENVELOPE: "Wed, 17 Jul 1996 02:44:25 -0700".
std::string FormatRfc5322Date(const DateTime& time);

}  // namespace pushmail::imap
