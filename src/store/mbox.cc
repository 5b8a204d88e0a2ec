#include "store/mbox.h"

#include <ctime>

#include "base/strings.h"

namespace pushmail::store {
namespace {

bool IsFromLine(std::string_view line) { return line.substr(0, 5) == "From "; }

// True for a line that is ">" repeated, then "From ".
bool IsQuotedFrom(std::string_view line) {
  size_t i = 0;
  while (i < line.size() && line[i] == '>') ++i;
  return i > 0 && line.substr(i, 5) == "From ";
}

std::string AsctimeUtc(int64_t when) {
  std::time_t t = static_cast<std::time_t>(when);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
  return buf;
}

std::optional<int64_t> ParseAsctime(std::string_view text) {
  std::tm tm{};
  std::string s(text);
  const char* end = strptime(s.c_str(), "%a %b %d %H:%M:%S %Y", &tm);
  if (!end) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

std::string ToCrlf(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() + bytes.size() / 32);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] == '\n' && (i == 0 || bytes[i - 1] != '\r')) out += '\r';
    out += bytes[i];
  }
  return out;
}

}  // namespace

std::string MboxrdEntry(std::string_view sender, int64_t when, std::string_view message) {
  std::string out = "From " + std::string(sender) + " " + AsctimeUtc(when) + "\n";
  out.reserve(out.size() + message.size() + 64);
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    end = end == std::string_view::npos ? message.size() : end + 1;
    std::string_view line = message.substr(pos, end - pos);
    if (IsFromLine(line) || IsQuotedFrom(line)) out += '>';
    out += line;
    pos = end;
  }
  if (!message.empty() && message.back() != '\n') out += '\n';
  out += '\n';
  return out;
}

std::string EnvelopeSender(std::string_view message) {
  size_t pos = 0;
  while (pos < message.size()) {
    size_t end = message.find('\n', pos);
    if (end == std::string_view::npos) end = message.size();
    std::string_view line = message.substr(pos, end - pos);
    if (line.empty() || line == "\r") break;  // end of the header
    if (line.size() > 12 && StartsWithIgnoreCase(line, "Return-Path:")) {
      size_t open = line.find('<'), close = line.rfind('>');
      if (open != std::string_view::npos && close != std::string_view::npos && close > open + 1) {
        std::string address(line.substr(open + 1, close - open - 1));
        if (address.find_first_of(" \t") == std::string::npos) return address;
      }
      break;
    }
    pos = end + 1;
  }
  return "MAILER-DAEMON";
}

std::optional<MboxMessage> MboxReader::Next() {
  // Skip to the next "From " line.
  while (!rest_.empty() && !IsFromLine(rest_)) {
    size_t nl = rest_.find('\n');
    rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
  }
  if (rest_.empty()) return std::nullopt;
  size_t nl = rest_.find('\n');
  std::string_view from_line = rest_.substr(0, nl);
  rest_ = nl == std::string_view::npos ? std::string_view() : rest_.substr(nl + 1);
  MboxMessage m;
  std::string_view after = from_line.substr(5);
  size_t space = after.find(' ');
  m.sender = std::string(after.substr(0, space));
  if (space != std::string_view::npos) m.when = ParseAsctime(after.substr(space + 1));

  std::string body;
  while (!rest_.empty() && !IsFromLine(rest_)) {
    size_t end = rest_.find('\n');
    end = end == std::string_view::npos ? rest_.size() : end + 1;
    std::string_view line = rest_.substr(0, end);
    if (IsQuotedFrom(line)) line.remove_prefix(1);
    body += line;
    rest_.remove_prefix(end);
  }
  if (!body.empty() && body.back() == '\n') body.pop_back();  // the separating empty line
  m.bytes = ToCrlf(body);
  return m;
}

}  // namespace pushmail::store
