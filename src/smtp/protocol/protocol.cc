#include "smtp/protocol/protocol.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "base/base64.h"

namespace pushmail::smtp {
namespace {

// RFC 5321 4.5.3.1 size limits.
constexpr size_t kMaxLocalPart = 64;
constexpr size_t kMaxDomain = 255;
constexpr size_t kMaxPath = 256;

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 32) : c; }

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return Upper(x) == Upper(y); });
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && EqualsNoCase(s.substr(0, prefix.size()), prefix);
}

bool IsAlnum(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// atext of RFC 5322 3.2.3, plus UTF-8 octets when allowed (RFC 6531 3.3).
bool IsAtext(unsigned char c, bool utf8) {
  if (IsAlnum(c)) return true;
  if (c >= 0x80) return utf8;
  return std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
         std::string_view::npos;
}

Reply Syntax(std::string_view what) { return Reply::Make(501, "5.5.4", what); }

// Dot-string: atoms separated by single dots.
bool IsDotString(std::string_view s, bool utf8) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '.') {
      if (s[i + 1] == '.') return false;
    } else if (!IsAtext(c, utf8)) {
      return false;
    }
  }
  return true;
}

// sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2), with U-labels
// when utf8.
bool IsDomain(std::string_view d, bool utf8) {
  if (d.empty() || d.size() > kMaxDomain) return false;
  size_t start = 0;
  for (;;) {
    size_t dot = d.find('.', start);
    std::string_view label = d.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (unsigned char c : label) {
      if (!IsAlnum(c) && c != '-' && !(utf8 && c >= 0x80)) return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

bool IsAddressLiteral(std::string_view d) {
  if (d.size() < 3 || d.front() != '[' || d.back() != ']') return false;
  std::string_view inner = d.substr(1, d.size() - 2);
  if (StartsWithNoCase(inner, "IPv6:")) {
    inner.remove_prefix(5);
    return !inner.empty() && std::all_of(inner.begin(), inner.end(), [](char c) {
      return std::isxdigit(static_cast<unsigned char>(c)) || c == ':' || c == '.';
    });
  }
  int parts = 0;
  size_t start = 0;
  for (;;) {
    size_t dot = inner.find('.', start);
    std::string_view part = inner.substr(start, dot == std::string_view::npos ? dot : dot - start);
    unsigned value = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || part.size() > 3 || ec != std::errc() || end != part.data() + part.size() ||
        value > 255) {
      return false;
    }
    ++parts;
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return parts == 4;
}

bool HasUtf8(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

struct PathResult {
  Address address;
  std::string_view rest;  // after the closing '>'
};

// Parses a quoted-string local part starting at s[0] == '"'; returns the unescaped text and
// sets `used`.
std::optional<std::string> ParseQuoted(std::string_view s, bool utf8, size_t& used) {
  std::string out;
  for (size_t i = 1; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '"') {
      used = i + 1;
      return out;
    }
    if (c == '\\') {
      if (i + 1 >= s.size()) return std::nullopt;
      unsigned char next = s[++i];
      if (next < 0x20 || next == 0x7f || (next >= 0x80 && !utf8)) return std::nullopt;
      out += static_cast<char>(next);
    } else if (c < 0x20 || c == 0x7f || (c >= 0x80 && !utf8)) {
      return std::nullopt;
    } else {
      out += static_cast<char>(c);
    }
  }
  return std::nullopt;
}

// Parses "<...>" at the start of `s`. `bad` is the reply for a malformed address.
Parsed<PathResult> ParsePath(std::string_view s, bool utf8, bool allow_null, bool allow_postmaster,
                             const Reply& bad) {
  if (s.empty() || s.front() != '<') return Syntax("syntax: address must be in <>");
  size_t close = std::string_view::npos;
  // Find the closing '>' outside a quoted string.
  bool quoted = false;
  for (size_t i = 1; i < s.size(); ++i) {
    if (quoted && s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      quoted = !quoted;
    } else if (!quoted && s[i] == '>') {
      close = i;
      break;
    }
  }
  if (close == std::string_view::npos) return Syntax("syntax: missing '>'");
  std::string_view inner = s.substr(1, close - 1);
  PathResult result;
  result.rest = s.substr(close + 1);
  if (inner.size() > kMaxPath - 2) return Reply::Make(501, bad.enhanced, "path too long");
  if (inner.empty()) {
    if (!allow_null) return bad;
    return result;
  }
  if (inner.front() == '@') {  // source route: "@a,@b:" (RFC 5321 4.1.2 A-d-l), ignored
    size_t colon = inner.find(':');
    if (colon == std::string_view::npos) return bad;
    inner.remove_prefix(colon + 1);
  }
  if (allow_postmaster && EqualsNoCase(inner, "postmaster")) {
    result.address.local = "postmaster";
    return result;
  }
  std::string local;
  size_t at = 0;
  if (!inner.empty() && inner.front() == '"') {
    size_t used = 0;
    auto q = ParseQuoted(inner, true, used);
    if (!q) return bad;
    local = *q;
    at = used;
    if (at >= inner.size() || inner[at] != '@') return bad;
  } else {
    at = inner.rfind('@');
    if (at == std::string_view::npos) return bad;
    local = std::string(inner.substr(0, at));
    if (!IsDotString(local, true)) return bad;
  }
  std::string domain(inner.substr(at + 1));
  if (local.empty() || local.size() > kMaxLocalPart) return bad;
  if (!IsAddressLiteral(domain) && !IsDomain(domain, true)) return bad;
  if (!utf8 && (HasUtf8(local) || HasUtf8(domain))) {
    return Reply::Make(553, "5.6.7", "UTF-8 address needs SMTPUTF8");
  }
  result.address.local = std::move(local);
  result.address.domain = std::move(domain);
  return result;
}

// Splits "KEY[=VALUE] KEY[=VALUE]..." after the path.
struct Param {
  std::string_view key;
  std::optional<std::string_view> value;
};

std::optional<std::vector<Param>> SplitParams(std::string_view s) {
  std::vector<Param> params;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != ' ') return std::nullopt;
    while (i < s.size() && s[i] == ' ') ++i;
    if (i == s.size()) break;
    size_t end = s.find(' ', i);
    std::string_view item = s.substr(i, end == std::string_view::npos ? end : end - i);
    size_t eq = item.find('=');
    Param p{item.substr(0, eq), std::nullopt};
    if (eq != std::string_view::npos) p.value = item.substr(eq + 1);
    if (p.key.empty() || !std::all_of(p.key.begin(), p.key.end(), [](char c) {
          return IsAlnum(static_cast<unsigned char>(c)) || c == '-';
        })) {
      return std::nullopt;
    }
    params.push_back(p);
    i += item.size();
  }
  return params;
}

std::optional<uint64_t> ParseNumber(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// Accepts "FROM:" / "TO:" with an optional space before '<' (RFC 5321 says none; many send one).
std::optional<std::string_view> AfterKeyword(std::string_view argument, std::string_view key) {
  if (!StartsWithNoCase(argument, key)) return std::nullopt;
  argument.remove_prefix(key.size());
  while (!argument.empty() && argument.front() == ' ') argument.remove_prefix(1);
  return argument;
}

constexpr std::array<std::pair<std::string_view, Verb>, 14> kVerbs = {{
    {"HELO", Verb::kHelo},
    {"EHLO", Verb::kEhlo},
    {"MAIL", Verb::kMail},
    {"RCPT", Verb::kRcpt},
    {"DATA", Verb::kData},
    {"BDAT", Verb::kBdat},
    {"RSET", Verb::kRset},
    {"NOOP", Verb::kNoop},
    {"QUIT", Verb::kQuit},
    {"VRFY", Verb::kVrfy},
    {"EXPN", Verb::kExpn},
    {"HELP", Verb::kHelp},
    {"AUTH", Verb::kAuth},
    {"STARTTLS", Verb::kStartTls},
}};

}  // namespace

Reply Reply::Make(int code, std::string_view enhanced, std::string_view text) {
  return Reply{code, std::string(enhanced), {std::string(text)}};
}

std::string Reply::Format() const {
  std::string out;
  std::string code_text = std::to_string(code);
  if (lines.empty()) {
    out = code_text;
    if (!enhanced.empty()) out += " " + enhanced;
    return out + "\r\n";
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    out += code_text;
    out += i + 1 < lines.size() ? '-' : ' ';
    if (!enhanced.empty()) {
      out += enhanced;
      if (!lines[i].empty()) out += ' ';
    }
    out += lines[i];
    out += "\r\n";
  }
  return out;
}

Parsed<Command> ParseCommand(std::string_view line) {
  if (line.empty()) return Reply::Make(500, "5.5.2", "syntax error: empty line");
  for (unsigned char c : line) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      return Reply::Make(500, "5.5.2", "syntax error: control character in command");
    }
  }
  size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  Command command;
  for (const auto& [name, verb] : kVerbs) {
    if (EqualsNoCase(word, name)) command.verb = verb;
  }
  if (space != std::string_view::npos) command.argument = line.substr(space + 1);
  return command;
}

bool Address::IsUtf8() const { return HasUtf8(local) || HasUtf8(domain); }

std::string Address::ToString() const {
  if (IsNull()) return "";
  std::string out;
  if (IsDotString(local, true)) {
    out = local;
  } else {
    out = "\"";
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  if (domain.empty()) return out;
  return out + "@" + domain;
}

Parsed<MailFrom> ParseMailFrom(std::string_view argument) {
  auto rest = AfterKeyword(argument, "FROM:");
  if (!rest) return Syntax("syntax: MAIL FROM:<address>");
  // SMTPUTF8 is a parameter after the path, so look for it first.
  size_t close = rest->rfind('>');
  bool utf8 = false;
  if (close != std::string_view::npos) {
    auto params = SplitParams(rest->substr(close + 1));
    if (params) {
      for (const auto& p : *params) utf8 = utf8 || EqualsNoCase(p.key, "SMTPUTF8");
    }
  }
  auto path =
      ParsePath(*rest, utf8, true, false, Reply::Make(501, "5.1.7", "bad sender address syntax"));
  if (!path) return path.error();
  auto params = SplitParams(path->rest);
  if (!params) return Syntax("syntax: bad MAIL parameters");
  MailFrom mail;
  mail.path = std::move(path->address);
  for (const auto& p : *params) {
    if (EqualsNoCase(p.key, "SIZE")) {
      auto size = p.value ? ParseNumber(*p.value) : std::nullopt;
      if (!size) return Syntax("syntax: SIZE=<number>");
      mail.size = size;
    } else if (EqualsNoCase(p.key, "BODY")) {
      if (!p.value) return Syntax("syntax: BODY=7BIT|8BITMIME|BINARYMIME");
      if (EqualsNoCase(*p.value, "7BIT")) {
        mail.body = BodyType::k7Bit;
      } else if (EqualsNoCase(*p.value, "8BITMIME")) {
        mail.body = BodyType::k8BitMime;
      } else if (EqualsNoCase(*p.value, "BINARYMIME")) {
        mail.body = BodyType::kBinaryMime;
      } else {
        return Reply::Make(501, "5.5.4", "unknown BODY type");
      }
    } else if (EqualsNoCase(p.key, "SMTPUTF8") && !p.value) {
      mail.smtputf8 = true;
    } else if (EqualsNoCase(p.key, "AUTH") && p.value) {
      // RFC 4954 5: accepted and not relayed further.
    } else {
      return Reply::Make(555, "5.5.4", "unsupported MAIL parameter");
    }
  }
  return mail;
}

Parsed<RcptTo> ParseRcptTo(std::string_view argument, bool smtputf8) {
  auto rest = AfterKeyword(argument, "TO:");
  if (!rest) return Syntax("syntax: RCPT TO:<address>");
  auto path = ParsePath(*rest, smtputf8, false, true,
                        Reply::Make(501, "5.1.3", "bad recipient address syntax"));
  if (!path) return path.error();
  auto params = SplitParams(path->rest);
  if (!params) return Syntax("syntax: bad RCPT parameters");
  if (!params->empty()) return Reply::Make(555, "5.5.4", "unsupported RCPT parameter");
  return RcptTo{std::move(path->address)};
}

Parsed<std::string> ParseHelo(std::string_view argument) {
  size_t end = argument.find(' ');
  std::string_view name = argument.substr(0, end);
  // Clients send all kinds of names (bare host names, underscores); anything printable without
  // spaces is accepted, as long as it is there and not absurdly long.
  if (name.empty()) return Syntax("syntax: HELO/EHLO needs a domain");
  if (name.size() > kMaxDomain) return Syntax("syntax: domain too long");
  for (unsigned char c : name) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')') {
      return Syntax("syntax: bad character in domain");
    }
  }
  return std::string(name);
}

Parsed<Bdat> ParseBdat(std::string_view argument) {
  size_t space = argument.find(' ');
  auto size = ParseNumber(argument.substr(0, space));
  if (!size) return Syntax("syntax: BDAT <size> [LAST]");
  Bdat bdat{*size, false};
  if (space != std::string_view::npos) {
    if (!EqualsNoCase(argument.substr(space + 1), "LAST"))
      return Syntax("syntax: BDAT <size> [LAST]");
    bdat.last = true;
  }
  return bdat;
}

Parsed<Auth> ParseAuth(std::string_view argument) {
  size_t space = argument.find(' ');
  std::string_view mechanism = argument.substr(0, space);
  if (mechanism.empty() || mechanism.size() > 20 ||
      !std::all_of(mechanism.begin(), mechanism.end(), [](char c) {
        return IsAlnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
      })) {
    return Syntax("syntax: AUTH <mechanism> [initial-response]");
  }
  Auth auth;
  for (char c : mechanism) auth.mechanism += Upper(c);
  if (space != std::string_view::npos) {
    std::string_view response = argument.substr(space + 1);
    if (response.empty() || response.find(' ') != std::string_view::npos) {
      return Syntax("syntax: AUTH <mechanism> [initial-response]");
    }
    auth.initial_response = std::string(response);
  }
  return auth;
}

Parsed<PlainCredentials> DecodePlain(std::string_view base64) {
  auto decoded = DecodeBase64(base64);
  if (!decoded) return Reply::Make(501, "5.5.2", "cannot decode response");
  size_t first = decoded->find('\0');
  size_t second = first == std::string::npos ? first : decoded->find('\0', first + 1);
  if (second == std::string::npos || decoded->find('\0', second + 1) != std::string::npos) {
    return Reply::Make(501, "5.5.2", "malformed PLAIN response");
  }
  PlainCredentials c{decoded->substr(0, first), decoded->substr(first + 1, second - first - 1),
                     decoded->substr(second + 1)};
  if (c.authcid.empty()) return Reply::Make(501, "5.5.2", "malformed PLAIN response");
  return c;
}

LineSplitter::Result LineSplitter::Next(std::string_view input) {
  Result r;
  size_t lf = input.find('\n');
  if (skipping_) {
    if (lf == std::string_view::npos) {
      r.consumed = input.size();
      return r;
    }
    skipping_ = false;
    r.consumed = lf + 1;
    r.status = Status::kTooLong;
    return r;
  }
  if (lf == std::string_view::npos) {
    if (input.size() >= max_line_) {  // cannot end within the limit any more
      skipping_ = true;
      r.consumed = input.size();
    }
    return r;
  }
  if (lf + 1 > max_line_) {
    r.consumed = lf + 1;
    r.status = Status::kTooLong;
    return r;
  }
  r.status = Status::kLine;
  r.consumed = lf + 1;
  size_t end = lf > 0 && input[lf - 1] == '\r' ? lf - 1 : lf;
  r.line = input.substr(0, end);
  return r;
}

DataReader::DataReader(size_t max_size, size_t max_line)
    : max_size_(max_size), max_line_(max_line) {}

size_t DataReader::Consume(std::string_view input) {
  size_t used = 0;
  while (!done_ && used < input.size()) {
    size_t lf = input.find('\n', used);
    size_t end = lf == std::string_view::npos ? input.size() : lf + 1;
    // Keep at most one line's worth of the current line: a longer one is already too long.
    std::string_view piece = input.substr(used, end - used);
    if (line_.size() <= max_line_ + 2) {
      line_.append(piece.substr(0, std::min(piece.size(), max_line_ + 3 - line_.size())));
    }
    line_length_ += piece.size();
    used = end;
    if (lf == std::string_view::npos) {
      last_octet_ = piece.back();
      break;
    }
    // Judged on the real octets: line_ may hold only the start of an over-long line.
    bool crlf = piece.size() >= 2 ? piece[piece.size() - 2] == '\r' : last_octet_ == '\r';
    last_octet_ = '\n';
    FinishLine(crlf);
  }
  return used;
}

// Handles one complete line in line_ (ending in LF; `crlf` when a CR came right before it).
void DataReader::FinishLine(bool crlf) {
  size_t ending = crlf ? 2 : 1;
  std::string_view content(line_.data(), line_.size() >= ending ? line_.size() - ending : 0);
  if (content == "." && crlf && prev_crlf_) {
    done_ = true;
    line_.clear();
    line_length_ = 0;
    return;
  }
  if (line_length_ > max_line_) too_long_ = true;
  if (!content.empty() && content.front() == '.') content.remove_prefix(1);
  if (content.find('\0') != std::string_view::npos) has_nul_ = true;
  if (message_.size() + content.size() + 2 > max_size_) too_big_ = true;
  if (!too_big_ && !too_long_ && !has_nul_) {
    message_.append(content);
    message_.append("\r\n");  // a bare LF is stored as CRLF
  }
  prev_crlf_ = crlf;
  line_.clear();
  line_length_ = 0;
}

std::optional<Reply> DataReader::Verdict() const {
  if (too_big_) return Reply::Make(552, "5.3.4", "message size exceeds fixed maximum message size");
  if (has_nul_) return Reply::Make(554, "5.6.0", "message contains NUL octets");
  if (too_long_) return Reply::Make(552, "5.6.0", "message has a line longer than 998 octets");
  return std::nullopt;
}

}  // namespace pushmail::smtp
