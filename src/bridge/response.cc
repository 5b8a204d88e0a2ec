#include "bridge/response.h"

#include <algorithm>
#include <charconv>

#include "imap/protocol/sequence.h"

namespace pushmail::bridge {
namespace {

using imap::Bad;

bool IsCtl(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u == 0x7f;
}

// A tag, "*" or "+": printable octets up to the first space.
bool IsWord(std::string_view w) {
  if (w.empty()) return false;
  for (char c : w) {
    if (IsCtl(c) || c == ' ' || c == '(' || c == ')' || c == '"' || c == '{') return false;
  }
  return true;
}

// Splits off the first space-separated word of `rest`.
std::string_view NextWord(std::string_view& rest) {
  size_t sp = rest.find(' ');
  std::string_view word = rest.substr(0, sp);
  rest = sp == std::string_view::npos ? std::string_view() : rest.substr(sp + 1);
  return word;
}

bool IsStatusName(std::string_view upper) {
  return upper == "OK" || upper == "NO" || upper == "BAD" || upper == "PREAUTH" || upper == "BYE";
}

// "[code] text" or "text": the rest of a status response. Text is one line of anything but
// control characters.
imap::Parsed<bool> ReadStatusText(std::string_view rest, Response& r) {
  if (!rest.empty() && rest.front() == '[') {
    size_t end = rest.find(']');
    if (end == std::string_view::npos) return Bad("response code without ']'");
    r.code = rest.substr(1, end - 1);
    rest = rest.substr(end + 1);
    if (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  }
  for (char c : rest) {
    if (IsCtl(c) && c != '\t') return Bad("control character in response text");
  }
  for (char c : r.code) {
    if (IsCtl(c)) return Bad("control character in response code");
  }
  r.text = rest;
  return true;
}

}  // namespace

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  }
  return out;
}

const std::vector<imap::Token>* FetchItems(const Response& r) {
  if (r.name != "FETCH" || r.data.empty() || !r.data[0].IsList()) return nullptr;
  return &r.data[0].children;
}

std::optional<uint64_t> Number(const imap::Token& token) {
  if (token.kind != imap::TokenKind::kAtom || token.raw.empty() || token.raw.size() > 19) {
    return std::nullopt;
  }
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(token.raw.data(), token.raw.data() + token.raw.size(), v);
  if (ec != std::errc() || end != token.raw.data() + token.raw.size()) return std::nullopt;
  return v;
}

imap::Parsed<Response> ParseResponse(std::string_view text, const imap::Limits& limits) {
  if (text.empty()) return Bad("empty response");
  if (text.size() > limits.max_command) return Bad("response too long");
  Response r;
  std::string_view rest = text;
  std::string_view first = NextWord(rest);
  if (first == "+") {
    r.kind = Response::Kind::kContinuation;
    if (auto ok = ReadStatusText(rest, r); !ok) return ok.error();
    return r;
  }
  if (!IsWord(first)) return Bad("response without a tag");
  std::string_view second = NextWord(rest);
  if (second.empty()) return Bad("response without a name");
  if (first != "*") {
    r.kind = Response::Kind::kTagged;
    r.tag = first;
    r.status = Upper(second);
    if (r.status != "OK" && r.status != "NO" && r.status != "BAD") {
      return Bad("tagged response is not OK, NO or BAD");
    }
    if (auto ok = ReadStatusText(rest, r); !ok) return ok.error();
    return r;
  }
  r.kind = Response::Kind::kUntagged;
  std::string upper = Upper(second);
  if (IsStatusName(upper)) {
    r.status = std::move(upper);
    if (auto ok = ReadStatusText(rest, r); !ok) return ok.error();
    return r;
  }
  if (second.front() >= '0' && second.front() <= '9') {
    uint32_t n = 0;
    auto [end, ec] = std::from_chars(second.data(), second.data() + second.size(), n);
    if (ec != std::errc() || end != second.data() + second.size()) return Bad("bad number");
    r.number = n;
    second = NextWord(rest);
    if (second.empty()) return Bad("number without a name");
    upper = Upper(second);
  }
  if (!IsWord(second)) return Bad("bad response name");
  r.name = std::move(upper);
  auto tokens = imap::Tokenize(rest, limits);
  if (!tokens) return tokens.error();
  r.data = std::move(*tokens);
  return r;
}

imap::Limits UpstreamLimits(uint64_t max_message) {
  imap::Limits limits;
  limits.max_literal = max_message;
  limits.max_command = max_message + limits.max_line;
  limits.max_append_command = limits.max_command;
  limits.max_tokens = 200000;    // a SEARCH or LIST answer of a large mailbox
  limits.max_ranges = 1u << 20;  // an ESEARCH ALL of a mailbox with many holes
  return limits;
}

namespace {

// Expands a UID set of `limits` into `out`, in the order given; "*" and more than
// limits.max_tokens UIDs are refused.
imap::Parsed<bool> ExpandUids(std::string_view text, const imap::Limits& limits,
                              std::vector<uint32_t>& out) {
  auto set = imap::ParseSequenceSet(text, limits, false);
  if (!set) return set.error();
  for (const auto& r : set->ranges) {
    if (r.first == imap::SeqRange::kStar || r.last == imap::SeqRange::kStar) {
      return Bad("\"*\" in a UID set of a response code");
    }
    uint64_t lo = std::min(r.first, r.last), hi = std::max(r.first, r.last);
    if (out.size() + (hi - lo + 1) > limits.max_tokens) return Bad("too many UIDs");
    for (uint64_t u = lo; u <= hi; ++u) out.push_back(static_cast<uint32_t>(u));
  }
  return true;
}

}  // namespace

imap::Parsed<UidCode> ParseUidCode(std::string_view code, const imap::Limits& limits) {
  std::string_view rest = code;
  std::string name = Upper(NextWord(rest));
  bool copy = name == "COPYUID";
  if (!copy && name != "APPENDUID") return Bad("not APPENDUID or COPYUID");
  UidCode out;
  std::string_view uidvalidity = NextWord(rest);
  auto [end, ec] =
      std::from_chars(uidvalidity.data(), uidvalidity.data() + uidvalidity.size(), out.uidvalidity);
  if (ec != std::errc() || end != uidvalidity.data() + uidvalidity.size() || out.uidvalidity == 0) {
    return Bad("bad UIDVALIDITY");
  }
  if (copy) {
    if (auto ok = ExpandUids(NextWord(rest), limits, out.source); !ok) return ok.error();
  }
  if (auto ok = ExpandUids(NextWord(rest), limits, out.destination); !ok) return ok.error();
  if (!rest.empty()) return Bad("text after the UID set");
  if (copy && out.source.size() != out.destination.size()) {
    return Bad("COPYUID sets of different sizes");
  }
  return out;
}

const imap::Token* FindItem(const std::vector<imap::Token>& pairs, std::string_view name) {
  for (size_t i = 0; i + 1 < pairs.size(); i += 2) {
    if (pairs[i].kind == imap::TokenKind::kAtom && pairs[i].IsAtom(Upper(name))) {
      return &pairs[i + 1];
    }
  }
  return nullptr;
}

}  // namespace pushmail::bridge
