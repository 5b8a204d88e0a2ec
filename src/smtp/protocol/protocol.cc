#include "smtp/protocol/protocol.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <limits>
#include <utility>

#include "base/base64.h"
#include "base/strings.h"
#include "base/utf8.h"

namespace pushmail::smtp {
namespace {

// RFC 5321 4.5.3.1 size limits.
constexpr size_t kMaxLocalPart = 64;
constexpr size_t kMaxDomain = 255;
constexpr size_t kMaxPath = 256;
constexpr size_t kMaxLabel = 63;       // RFC 1035 2.3.4
constexpr size_t kMaxMechanism = 20;   // RFC 4422 3.1
constexpr size_t kMaxSizeDigits = 20;  // RFC 1870 size-value = 1*20DIGIT
// RFC 4954 4 asks servers to take AUTH lines of 12288 octets; a longer response is no login.
constexpr size_t kMaxSaslResponse = 12288;

bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAlnum(unsigned char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(unsigned char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool HasNonAscii(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

char Upper(char c) { return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c; }

Reply Syntax(std::string_view text) { return Reply::Make(501, "5.5.4", text); }

// The length of the UTF8-non-ascii character (RFC 3629 4) starting at s[i], or 0 when the octets
// there are not one: overlong forms, surrogates and truncated sequences are refused.
size_t Utf8NonAscii(std::string_view s, size_t i) {
  size_t end = i;
  return DecodeUtf8(s, end) >= 0x80 ? end - i : 0;
}

// A read position in an argument. The grammar functions below advance it past what they accept;
// after a failure its position is meaningless, as the whole parse fails.
struct Cursor {
  std::string_view s;
  size_t pos = 0;

  bool AtEnd() const { return pos == s.size(); }
  int Peek() const { return AtEnd() ? -1 : static_cast<unsigned char>(s[pos]); }
  bool Take(char c) {
    if (AtEnd() || s[pos] != c) return false;
    ++pos;
    return true;
  }
  // Takes one UTF8-non-ascii character when allowed and well formed.
  bool TakeUtf8(bool allowed) {
    size_t n = allowed && !AtEnd() ? Utf8NonAscii(s, pos) : 0;
    pos += n;
    return n > 0;
  }
  std::string_view Since(size_t start) const { return s.substr(start, pos - start); }
};

// sub-domain = Let-dig [Ldh-str] (RFC 5321 4.1.2); with `utf8`, U-labels (RFC 6531 3.3).
bool ParseSubDomain(Cursor& c, bool utf8) {
  size_t start = c.pos;
  bool ascii = true;
  bool hyphen_last = false;
  for (;;) {
    int ch = c.Peek();
    if (ch >= 0 && IsAlnum(static_cast<unsigned char>(ch))) {
      ++c.pos;
      hyphen_last = false;
    } else if (ch == '-' && c.pos != start) {
      ++c.pos;
      hyphen_last = true;
    } else if (ch >= 0x80) {
      if (!c.TakeUtf8(utf8)) return false;
      ascii = false;
      hyphen_last = false;
    } else {
      break;
    }
  }
  size_t length = c.pos - start;
  // A U-label's limit applies to its A-label form, which only IDNA can compute.
  return length > 0 && !hyphen_last && (!ascii || length <= kMaxLabel);
}

// Domain = sub-domain *("." sub-domain).
bool ParseDomain(Cursor& c, bool utf8) {
  size_t start = c.pos;
  do {
    if (!ParseSubDomain(c, utf8)) return false;
  } while (c.Take('.'));
  return c.pos - start <= kMaxDomain;
}

// IPv4-address-literal = Snum 3("." Snum), Snum = 1*3DIGIT of value 0-255.
bool IsIpv4(std::string_view s) {
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return false;
      s.remove_prefix(1);
    }
    size_t digits = 0;
    while (digits < s.size() && digits < 4 && IsDigit(s[digits])) ++digits;
    unsigned value = 0;
    std::from_chars(s.data(), s.data() + digits, value);
    if (digits == 0 || digits > 3 || value > 255) return false;
    s.remove_prefix(digits);
  }
  return s.empty();
}

// Counts the 16-bit groups in "h16:h16:..." (an IPv4 address last, when `v4_last`, counts as two).
// An empty `s` has none; an empty group is an error.
std::optional<size_t> CountIpv6Groups(std::string_view s, bool v4_last) {
  size_t groups = 0;
  while (!s.empty()) {
    size_t colon = s.find(':');
    std::string_view group = s.substr(0, colon);
    if (colon == std::string_view::npos && v4_last && group.find('.') != std::string_view::npos) {
      if (!IsIpv4(group)) return std::nullopt;
      return groups + 2;
    }
    if (group.empty() || group.size() > 4 || !std::all_of(group.begin(), group.end(), IsHex)) {
      return std::nullopt;
    }
    ++groups;
    if (colon == std::string_view::npos) break;
    s.remove_prefix(colon + 1);
    if (s.empty()) return std::nullopt;  // a trailing single colon
  }
  return groups;
}

// IPv6-addr of RFC 5321 4.1.3: eight groups, or "::" standing for at least two zero groups
// with at most six others; the IPv4-embedding forms count the IPv4 part as two groups.
bool IsIpv6(std::string_view s) {
  size_t gap = s.find("::");
  if (gap == std::string_view::npos) {
    auto groups = CountIpv6Groups(s, true);
    return groups && *groups == 8;
  }
  std::string_view right = s.substr(gap + 2);
  if (right.find("::") != std::string_view::npos || right.starts_with(':')) return false;
  auto left_groups = CountIpv6Groups(s.substr(0, gap), false);
  auto right_groups = CountIpv6Groups(right, true);
  return left_groups && right_groups && *left_groups + *right_groups <= 6;
}

// address-literal = "[" ( IPv4-address-literal / IPv6-address-literal ) "]". No other
// Standardized-tag is registered, so a General-address-literal is refused.
bool ParseAddressLiteral(Cursor& c) {
  if (!c.Take('[')) return false;
  size_t close = c.s.find(']', c.pos);
  if (close == std::string_view::npos) return false;
  std::string_view inner = c.s.substr(c.pos, close - c.pos);
  c.pos = close + 1;
  if (StartsWithIgnoreCase(inner, "IPv6:")) return IsIpv6(inner.substr(5));
  return IsIpv4(inner);
}

// atext of RFC 5322 3.2.3 without the UTF-8 extension.
bool IsAsciiAtext(unsigned char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                           std::string_view::npos;
}

// Dot-string = Atom *("." Atom), Atom = 1*atext, atext with UTF-8 (RFC 6531 3.3).
bool ParseDotString(Cursor& c) {
  do {
    size_t start = c.pos;
    for (;;) {
      int ch = c.Peek();
      if (ch >= 0x80) {
        if (!c.TakeUtf8(true)) return false;
      } else if (ch >= 0 && IsAsciiAtext(static_cast<unsigned char>(ch))) {
        ++c.pos;
      } else {
        break;
      }
    }
    if (c.pos == start) return false;
  } while (c.Take('.'));
  return true;
}

// Quoted-string of RFC 5321 4.1.2: qtextSMTP is %d32-33 / %d35-91 / %d93-126 (and UTF-8 with
// RFC 6531), quoted-pairSMTP is "\" %d32-126. Appends the unescaped text to `out`.
bool ParseQuotedString(Cursor& c, std::string& out) {
  if (!c.Take('"')) return false;
  for (;;) {
    int ch = c.Peek();
    size_t start = c.pos;
    if (ch == '"') {
      ++c.pos;
      return true;
    }
    if (ch == '\\') {
      int next = c.pos + 1 < c.s.size() ? static_cast<unsigned char>(c.s[c.pos + 1]) : -1;
      if (next < 32 || next > 126) return false;
      out += static_cast<char>(next);
      c.pos += 2;
    } else if (ch >= 0x80) {
      if (!c.TakeUtf8(true)) return false;
      out += c.Since(start);
    } else if (ch >= 32 && ch <= 126) {
      out += static_cast<char>(ch);
      ++c.pos;
    } else {
      return false;  // the end, or a control character
    }
  }
}

// Mailbox = Local-part "@" ( Domain / address-literal ), within the length limits.
bool ParseMailbox(Cursor& c, Address& address) {
  size_t start = c.pos;
  if (c.Peek() == '"') {
    if (!ParseQuotedString(c, address.local)) return false;
  } else {
    if (!ParseDotString(c)) return false;
    address.local = c.Since(start);
  }
  if (c.pos - start > kMaxLocalPart || !c.Take('@')) return false;
  size_t domain_start = c.pos;
  bool ok = c.Peek() == '[' ? ParseAddressLiteral(c) : ParseDomain(c, true);
  address.domain = c.Since(domain_start);
  return ok && address.domain.size() <= kMaxDomain;
}

// A-d-l ":" where A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain. RFC 5321 4.1.2
// says to accept and ignore it.
bool SkipSourceRoute(Cursor& c) {
  if (c.Peek() != '@') return true;
  do {
    if (!c.Take('@') || !ParseDomain(c, true)) return false;
  } while (c.Take(','));
  return c.Take(':');
}

// "<Postmaster>" (RFC 5321 4.1.1.3; case-insensitive, 2.4), without the opening bracket.
bool TakePostmaster(Cursor& c) {
  constexpr std::string_view kPostmaster = "postmaster>";
  if (!StartsWithIgnoreCase(c.s.substr(c.pos), kPostmaster)) return false;
  c.pos += kPostmaster.size() - 1;  // the '>' is left to the caller
  return true;
}

enum class PathKind { kReverse, kForward };

struct Path {
  Address address;
  bool utf8 = false;  // the path as sent, source route included, had non-ASCII octets
};

// Reverse-path / Forward-path at `c`: "<" [ A-d-l ":" ] Mailbox ">", "<>" for a reverse-path,
// "<Postmaster>" for a forward one.
Parsed<Path> ParsePath(Cursor& c, PathKind kind) {
  Reply bad = kind == PathKind::kReverse
                  ? Reply::Make(501, "5.1.7", "bad sender address syntax")
                  : Reply::Make(501, "5.1.3", "bad recipient address syntax");
  size_t start = c.pos;
  if (!c.Take('<')) return Syntax("syntax: the address must be in <>");
  if (c.s.find('>', c.pos) == std::string_view::npos) return Syntax("syntax: missing '>'");
  Path path;
  if (kind == PathKind::kReverse && c.Take('>')) return path;  // the null reverse-path
  if (kind == PathKind::kForward && TakePostmaster(c)) {
    path.address.local = "postmaster";
  } else if (!SkipSourceRoute(c) || !ParseMailbox(c, path.address)) {
    return bad;
  }
  if (!c.Take('>') || c.pos - start > kMaxPath) return bad;
  path.utf8 = HasNonAscii(c.Since(start));
  return path;
}

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
bool IsEsmtpKeyword(std::string_view s) {
  return !s.empty() && IsAlnum(s.front()) &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '-'; });
}

// esmtp-value = 1*(%d33-60 / %d62-126), with UTF-8 (RFC 6531 3.3).
bool IsEsmtpValue(std::string_view s) {
  Cursor c{s};
  while (!c.AtEnd()) {
    int ch = c.Peek();
    if (ch >= 0x80) {
      if (!c.TakeUtf8(true)) return false;
    } else if (ch >= 33 && ch <= 126 && ch != '=') {
      ++c.pos;
    } else {
      return false;
    }
  }
  return !s.empty();
}

struct Param {
  std::string_view keyword;
  std::optional<std::string_view> value;
};

// Mail-parameters / Rcpt-parameters: SP esmtp-param, each preceded by exactly one SP.
std::optional<std::vector<Param>> ParseParams(std::string_view s) {
  std::vector<Param> params;
  while (!s.empty()) {
    if (s.front() != ' ') return std::nullopt;
    s.remove_prefix(1);
    std::string_view item = s.substr(0, s.find(' '));
    s.remove_prefix(item.size());
    size_t eq = item.find('=');
    Param param{item.substr(0, eq), std::nullopt};
    if (eq != std::string_view::npos) param.value = item.substr(eq + 1);
    if (!IsEsmtpKeyword(param.keyword) || (param.value && !IsEsmtpValue(*param.value))) {
      return std::nullopt;
    }
    params.push_back(param);
  }
  return params;
}

// size-value = 1*20DIGIT (RFC 1870); values past uint64 are capped, as no message is that big.
std::optional<uint64_t> ParseSizeValue(std::string_view s) {
  if (s.empty() || s.size() > kMaxSizeDigits || !std::all_of(s.begin(), s.end(), IsDigit)) {
    return std::nullopt;
  }
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec == std::errc::result_out_of_range) return std::numeric_limits<uint64_t>::max();
  return value;
}

// xtext = *( xchar / hexchar ) of RFC 3461 4: "+" and "=" only in "+" 2HEXDIG (upper case).
bool IsXtext(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = s[i];
    if (c == '+') {
      auto upper_hex = [](char h) { return IsDigit(h) || (h >= 'A' && h <= 'F'); };
      if (i + 2 >= s.size() || !upper_hex(s[i + 1]) || !upper_hex(s[i + 2])) return false;
      i += 2;
    } else if (c < 33 || c > 126 || c == '=') {
      return false;
    }
  }
  return true;
}

std::optional<BodyType> ParseBodyType(std::string_view s) {
  if (EqualsIgnoreCase(s, "7BIT")) return BodyType::k7Bit;
  if (EqualsIgnoreCase(s, "8BITMIME")) return BodyType::k8BitMime;
  if (EqualsIgnoreCase(s, "BINARYMIME")) return BodyType::kBinaryMime;
  return std::nullopt;
}

// Applies one MAIL parameter; `seen` has a bit per known keyword, as each may appear once.
std::optional<Reply> ApplyMailParam(const Param& p, MailFrom& mail, unsigned& seen) {
  enum Keyword : unsigned { kSize, kBody, kSmtpUtf8, kAuth, kKnown };
  constexpr std::array<std::string_view, kKnown> kNames = {"SIZE", "BODY", "SMTPUTF8", "AUTH"};
  unsigned keyword = kSize;
  while (keyword < kKnown && !EqualsIgnoreCase(p.keyword, kNames[keyword])) ++keyword;
  if (keyword == kKnown) return Reply::Make(555, "5.5.4", "unsupported MAIL parameter");
  if (seen & (1u << keyword)) return Syntax("syntax: repeated MAIL parameter");
  seen |= 1u << keyword;
  if (keyword == kSize) {
    mail.size = p.value ? ParseSizeValue(*p.value) : std::nullopt;
    if (!mail.size) return Syntax("syntax: SIZE=<digits>");
  } else if (keyword == kBody) {
    auto body = p.value ? ParseBodyType(*p.value) : std::nullopt;
    if (!body) return Syntax("syntax: BODY=7BIT|8BITMIME|BINARYMIME");
    mail.body = *body;
  } else if (keyword == kSmtpUtf8) {
    if (p.value) return Syntax("syntax: SMTPUTF8 takes no value");
    mail.smtputf8 = true;
  } else if (!p.value || !IsXtext(*p.value)) {
    return Syntax("syntax: AUTH=<xtext>");
  }  // AUTH= (RFC 4954 5) is accepted and otherwise ignored: we relay nothing.
  return std::nullopt;
}

// "FROM:" / "TO:", then at most one space (RFC 5321 has none; many clients send one).
std::optional<Cursor> AfterKeyword(std::string_view argument, std::string_view keyword) {
  if (!StartsWithIgnoreCase(argument, keyword)) return std::nullopt;
  Cursor c{argument, keyword.size()};
  c.Take(' ');
  return c;
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
    {"STARTTLS", Verb::kStartTls},
    {"AUTH", Verb::kAuth},
}};

}  // namespace

Reply Reply::Make(int code, std::string_view enhanced, std::string_view text) {
  return Reply{code, std::string(enhanced), {std::string(text)}};
}

std::string Reply::Format() const {
  const std::string number = std::to_string(code);
  if (lines.empty()) return number + (enhanced.empty() ? "" : " " + enhanced) + "\r\n";
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    out += number;
    out += i + 1 < lines.size() ? '-' : ' ';
    if (!enhanced.empty()) out += lines[i].empty() ? enhanced : enhanced + ' ';
    // Text may echo what a client sent: a CR or LF in it must not start a reply of its own.
    for (char c : lines[i]) out += (c == '\r' || c == '\n') ? ' ' : c;
    out += "\r\n";
  }
  return out;
}

Parsed<Command> ParseCommand(std::string_view line) {
  if (line.empty()) return Reply::Make(500, "5.5.2", "syntax error: empty line");
  for (unsigned char c : line) {
    if (c < 0x20 || c == 0x7f) {
      return Reply::Make(500, "5.5.2", "syntax error: control character in command");
    }
  }
  size_t space = line.find(' ');
  std::string_view word = line.substr(0, space);
  Command command;
  for (const auto& [name, verb] : kVerbs) {
    if (EqualsIgnoreCase(word, name)) command.verb = verb;
  }
  if (space != std::string_view::npos) command.argument = line.substr(space + 1);
  return command;
}

bool Address::IsUtf8() const { return HasNonAscii(local) || HasNonAscii(domain); }

std::string Address::ToString() const {
  if (IsNull()) return "";
  Cursor dot_string{local};
  std::string out;
  if (ParseDotString(dot_string) && dot_string.AtEnd()) {
    out = local;
  } else {
    out = "\"";
    for (char c : local) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return domain.empty() ? out : out + "@" + domain;
}

Parsed<MailFrom> ParseMailFrom(std::string_view argument) {
  auto c = AfterKeyword(argument, "FROM:");
  if (!c) return Syntax("syntax: MAIL FROM:<address>");
  auto path = ParsePath(*c, PathKind::kReverse);
  if (!path) return path.error();
  auto params = ParseParams(c->s.substr(c->pos));
  if (!params) return Syntax("syntax: bad MAIL parameters");
  MailFrom mail;
  unsigned seen = 0;
  for (const Param& p : *params) {
    if (auto refusal = ApplyMailParam(p, mail, seen)) return *refusal;
  }
  if (path->utf8 && !mail.smtputf8) {
    return Reply::Make(553, "5.6.7", "UTF-8 address needs SMTPUTF8");
  }
  mail.path = std::move(path->address);
  return mail;
}

Parsed<RcptTo> ParseRcptTo(std::string_view argument, bool smtputf8) {
  auto c = AfterKeyword(argument, "TO:");
  if (!c) return Syntax("syntax: RCPT TO:<address>");
  auto path = ParsePath(*c, PathKind::kForward);
  if (!path) return path.error();
  auto params = ParseParams(c->s.substr(c->pos));
  if (!params) return Syntax("syntax: bad RCPT parameters");
  if (!params->empty()) return Reply::Make(555, "5.5.4", "unsupported RCPT parameter");
  if (path->utf8 && !smtputf8) return Reply::Make(553, "5.6.7", "UTF-8 address needs SMTPUTF8");
  return RcptTo{std::move(path->address)};
}

Parsed<std::string> ParseHelo(std::string_view argument) {
  Cursor c{argument};
  bool ok = c.Peek() == '[' ? ParseAddressLiteral(c) : ParseDomain(c, false);
  if (!ok || !c.AtEnd()) return Syntax("syntax: HELO/EHLO <domain> or <address-literal>");
  return std::string(argument);
}

Parsed<Bdat> ParseBdat(std::string_view argument) {
  // bdat-cmd = "BDAT" SP chunk-size [ SP end-marker ], chunk-size = 1*DIGIT (RFC 3030 2).
  std::string_view digits = argument.substr(0, argument.find(' '));
  std::string_view rest = argument.substr(digits.size());
  Bdat bdat;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), bdat.size);
  // A size past uint64 cannot be capped: the chunk that follows would be misread.
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size() ||
      !std::all_of(digits.begin(), digits.end(), IsDigit)) {
    return Syntax("syntax: BDAT <size> [LAST]");
  }
  bdat.last = EqualsIgnoreCase(rest, " LAST");
  if (!rest.empty() && !bdat.last) return Syntax("syntax: BDAT <size> [LAST]");
  return bdat;
}

Parsed<Auth> ParseAuth(std::string_view argument) {
  // AUTH SP sasl-mech [SP initial-response], sasl-mech = 1*20(UPPER-ALPHA / DIGIT / "-" / "_"),
  // initial-response = base64 / "=" (RFC 4954 4). Mechanisms are taken in any case.
  size_t space = argument.find(' ');
  std::string_view mechanism = argument.substr(0, space);
  auto mech_char = [](char c) { return IsAlnum(c) || c == '-' || c == '_'; };
  if (mechanism.empty() || mechanism.size() > kMaxMechanism ||
      !std::all_of(mechanism.begin(), mechanism.end(), mech_char)) {
    return Syntax("syntax: AUTH <mechanism> [initial-response]");
  }
  Auth auth;
  std::transform(mechanism.begin(), mechanism.end(), std::back_inserter(auth.mechanism), Upper);
  if (space == std::string_view::npos) return auth;
  std::string_view response = argument.substr(space + 1);
  if (response != "=" && (response.empty() || !IsCanonicalBase64(response))) {
    return Syntax("syntax: the initial response must be base64 or \"=\"");
  }
  auth.initial_response = std::string(response);
  return auth;
}

Parsed<PlainCredentials> DecodePlain(std::string_view base64) {
  auto decoded = base64.size() <= kMaxSaslResponse ? DecodeBase64(base64) : std::nullopt;
  if (!decoded) return Reply::Make(501, "5.5.2", "cannot decode the response");
  // message = [authzid] UTF8NUL authcid UTF8NUL passwd, authcid and passwd 1*SAFE (RFC 4616 2).
  std::string_view text = *decoded;
  size_t first = text.find('\0');
  size_t second = first == std::string_view::npos ? first : text.find('\0', first + 1);
  if (second == std::string_view::npos || text.find('\0', second + 1) != std::string_view::npos ||
      second == first + 1 || second + 1 == text.size()) {
    return Reply::Make(501, "5.5.2", "malformed PLAIN response");
  }
  return PlainCredentials{std::string(text.substr(0, first)),
                          std::string(text.substr(first + 1, second - first - 1)),
                          std::string(text.substr(second + 1))};
}

LineSplitter::Result LineSplitter::Next(std::string_view input) {
  Result r;
  size_t lf = input.find('\n');
  if (lf == std::string_view::npos) {
    // Without its LF the line is already this long, so with it it cannot fit.
    if (skipping_ || input.size() >= max_line_) {
      skipping_ = true;
      r.consumed = input.size();
    }
    return r;
  }
  r.consumed = lf + 1;
  if (skipping_ || lf + 1 > max_line_) {
    skipping_ = false;
    r.status = Status::kTooLong;
    return r;
  }
  r.status = Status::kLine;
  r.line = input.substr(0, lf > 0 && input[lf - 1] == '\r' ? lf - 1 : lf);
  return r;
}

DataReader::DataReader(size_t max_size, size_t max_line)
    : max_size_(max_size), max_line_(max_line) {}

size_t DataReader::Consume(std::string_view input) {
  // Enough of a line to store any line within max_line_ (plus a stuffed dot) and to see ".\r\n".
  const size_t keep =
      max_line_ > std::numeric_limits<size_t>::max() - 3 ? max_line_ : max_line_ + 3;
  size_t used = 0;
  while (!done_ && used < input.size()) {
    size_t lf = input.find('\n', used);
    size_t end = lf == std::string_view::npos ? input.size() : lf + 1;
    std::string_view piece = input.substr(used, end - used);
    used = end;
    // A whole line in hand (the usual case) is taken from the input without a copy.
    bool whole = line_.empty() && lf != std::string_view::npos;
    if (!whole && line_.size() < keep) line_.append(piece.substr(0, keep - line_.size()));
    line_length_ += piece.size();
    if (piece.find('\0') != std::string_view::npos) has_nul_ = true;
    // The octet before the LF may have come in an earlier call, and line_ may not hold it.
    char before_lf = piece.size() >= 2 ? piece[piece.size() - 2] : last_octet_;
    last_octet_ = piece.back();
    if (lf != std::string_view::npos) {
      FinishLine(whole ? piece.substr(0, keep) : std::string_view(line_), before_lf == '\r');
    }
  }
  return used;
}

// Takes a complete line (its first octets when over-long), which ended in LF.
void DataReader::FinishLine(std::string_view line, bool crlf) {
  if (crlf && prev_crlf_ && line_length_ == 3 && line == ".\r\n") {
    done_ = true;
    return;
  }
  const size_t ending = crlf ? 2 : 1;
  // RFC 5321 4.5.2: a leading period on a line with more on it was added for transparency, and
  // it does not count against the line limit (4.5.3.1.6). A lone "." that did not end the data
  // (after a bare LF, or ended by one) was not stuffed, so it stays.
  const size_t stuffed = line[0] == '.' && line_length_ > ending + 1 ? 1 : 0;
  const size_t text_length = line_length_ - ending - stuffed;
  if (line_length_ - stuffed > max_line_) too_long_ = true;
  if (!too_big_) size_ += text_length + 2;  // counted even when not stored, for the verdict
  if (size_ > max_size_) too_big_ = true;
  if (!too_big_ && !too_long_ && !has_nul_) {
    message_.append(line.substr(stuffed, text_length));
    message_.append("\r\n");  // a bare LF is stored as CRLF
  }
  prev_crlf_ = crlf;
  line_.clear();
  line_length_ = 0;
}

std::optional<Reply> DataReader::Verdict() const {
  if (too_big_) return Reply::Make(552, "5.3.4", "message size exceeds fixed maximum message size");
  if (has_nul_) return Reply::Make(554, "5.6.0", "message contains NUL octets");
  if (too_long_) return Reply::Make(552, "5.6.0", "message has an over-long line");
  return std::nullopt;
}

}  // namespace pushmail::smtp
