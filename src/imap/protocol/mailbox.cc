#include "imap/protocol/mailbox.h"

#include <cstdint>
#include <vector>

#include "base/utf8.h"
#include "imap/protocol/chars.h"

namespace pushmail::imap {
namespace {

constexpr std::string_view kBase64 =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

int Base64Value(char c) {
  size_t i = kBase64.find(c);
  return i == std::string_view::npos ? -1 : static_cast<int>(i);
}

// Decodes one UTF-8 sequence at `pos`; returns the code point, or -1 when invalid (and then
// skips one octet).
int32_t NextCodePoint(std::string_view s, size_t& pos) {
  int32_t cp = DecodeUtf8(s, pos);
  if (cp < 0) ++pos;
  return cp;
}

bool IsPrintableAscii(uint32_t c) { return c >= 0x20 && c <= 0x7E; }

// Decodes one base64 run (between "&" and "-") into UTF-8; false when not canonical.
bool DecodeRun(std::string_view run, std::string& out) {
  std::vector<uint16_t> units;
  uint32_t bits = 0;
  int nbits = 0;
  for (char c : run) {
    int v = Base64Value(c);
    if (v < 0) return false;
    bits = (bits << 6) | static_cast<uint32_t>(v);
    nbits += 6;
    if (nbits >= 16) {
      nbits -= 16;
      units.push_back(static_cast<uint16_t>(bits >> nbits));
      bits &= (1u << nbits) - 1;
    }
  }
  if (nbits >= 6 || bits != 0 || units.empty()) return false;
  for (size_t i = 0; i < units.size(); ++i) {
    uint32_t cp = units[i];
    if (cp >= 0xDC00 && cp <= 0xDFFF) return false;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 1 >= units.size() || units[i + 1] < 0xDC00 || units[i + 1] > 0xDFFF) return false;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (units[++i] - 0xDC00);
    }
    if (IsPrintableAscii(cp)) return false;
    AppendUtf8(out, cp);
  }
  return true;
}

void EncodeRun(const std::vector<uint16_t>& units, std::string& out) {
  out += '&';
  uint32_t bits = 0;
  int nbits = 0;
  for (uint16_t u : units) {
    bits = (bits << 16) | u;
    nbits += 16;
    while (nbits >= 6) {
      nbits -= 6;
      out += kBase64[(bits >> nbits) & 0x3F];
    }
    bits &= (1u << nbits) - 1;
  }
  if (nbits > 0) out += kBase64[(bits << (6 - nbits)) & 0x3F];
  out += '-';
}

std::string NormalizeInbox(std::string name) {
  constexpr std::string_view kInbox = "INBOX";
  if (chars::StartsWithIgnoreCase(name, kInbox) &&
      (name.size() == kInbox.size() || name[kInbox.size()] == kHierarchyDelimiter)) {
    name.replace(0, kInbox.size(), kInbox);
  }
  return name;
}

}  // namespace

std::optional<std::string> DecodeMutf7(std::string_view text) {
  std::string out;
  bool after_run = false;
  for (size_t i = 0; i < text.size();) {
    char c = text[i];
    if (!IsPrintableAscii(static_cast<unsigned char>(c))) return std::nullopt;
    if (c != '&') {
      out += c;
      ++i;
      after_run = false;
      continue;
    }
    size_t end = text.find('-', i + 1);
    if (end == std::string_view::npos) return std::nullopt;
    if (end == i + 1) {
      out += '&';
      after_run = false;
    } else {
      if (after_run || !DecodeRun(text.substr(i + 1, end - i - 1), out)) return std::nullopt;
      after_run = true;
    }
    i = end + 1;
  }
  return out;
}

std::string EncodeMutf7(std::string_view utf8) {
  std::string out;
  std::vector<uint16_t> run;
  for (size_t pos = 0; pos < utf8.size();) {
    int32_t cp = NextCodePoint(utf8, pos);
    if (cp < 0) cp = 0xFFFD;
    if (IsPrintableAscii(static_cast<uint32_t>(cp))) {
      if (!run.empty()) EncodeRun(run, out);
      run.clear();
      out += cp == '&' ? std::string("&-") : std::string(1, static_cast<char>(cp));
    } else if (cp >= 0x10000) {
      run.push_back(static_cast<uint16_t>(0xD800 + ((cp - 0x10000) >> 10)));
      run.push_back(static_cast<uint16_t>(0xDC00 + ((cp - 0x10000) & 0x3FF)));
    } else {
      run.push_back(static_cast<uint16_t>(cp));
    }
  }
  if (!run.empty()) EncodeRun(run, out);
  return out;
}

Parsed<std::string> DecodeMailboxName(std::string_view wire, bool utf8) {
  for (char c : wire) {
    if (chars::IsCtl(c)) return Bad("Control character in mailbox name");
  }
  if (utf8) {
    if (!ValidUtf8(wire)) return Bad("Mailbox name is not valid UTF-8");
    return NormalizeInbox(std::string(wire));
  }
  std::optional<std::string> decoded = DecodeMutf7(wire);
  if (!decoded) return Bad("Mailbox name is not valid modified UTF-7");
  for (char c : *decoded) {
    if (chars::IsCtl(c)) return Bad("Control character in mailbox name");  // "&AAk-" is a TAB
  }
  return NormalizeInbox(std::move(*decoded));
}

std::string EncodeMailboxName(std::string_view name, bool utf8) {
  return utf8 ? std::string(name) : EncodeMutf7(name);
}

bool IsCreatableMailboxName(std::string_view name) {
  if (name.empty() || name.front() == kHierarchyDelimiter || name.back() == kHierarchyDelimiter) {
    return false;
  }
  return name.find("//") == std::string_view::npos &&
         name.find_first_of("*%") == std::string_view::npos;
}

bool MatchesListPattern(std::string_view pattern, std::string_view name) {
  // Runs of wildcards collapse ("%*" is "*", "%%" is "%"); then a pattern with more literal
  // octets than the name cannot match, which bounds the work below by the name's length.
  std::string p;
  size_t literals = 0;
  for (char c : pattern) {
    bool wild = c == '*' || c == '%';
    if (wild && !p.empty() && (p.back() == '*' || p.back() == '%')) {
      if (c == '*') p.back() = '*';
      continue;
    }
    literals += wild ? 0 : 1;
    p += c;
  }
  if (literals > name.size()) return false;
  // matched[j]: the pattern so far matches the first j octets of the name.
  std::vector<uint8_t> matched(name.size() + 1, 0), next(name.size() + 1);
  matched[0] = 1;
  for (char c : p) {
    bool any = false;
    for (size_t j = 0; j <= name.size(); ++j) {
      bool m = false;
      if (c == '*') {
        any = any || matched[j] != 0;
        m = any;
      } else if (c == '%') {
        m = matched[j] != 0 || (j > 0 && next[j - 1] != 0 && name[j - 1] != kHierarchyDelimiter);
      } else {
        m = j > 0 && matched[j - 1] != 0 && name[j - 1] == c;
      }
      next[j] = m ? 1 : 0;
    }
    matched.swap(next);
  }
  return matched[name.size()] != 0;
}

}  // namespace pushmail::imap
