#include "imap/protocol/fetch.h"

#include <array>
#include <limits>
#include <utility>

#include "imap/protocol/chars.h"
#include "imap/protocol/format.h"

namespace pushmail::imap {
namespace {

struct SimpleItem {
  std::string_view name;
  FetchAttr attr;
};

constexpr std::array<SimpleItem, 14> kSimpleItems{{
    {"UID", FetchAttr::kUid},
    {"FLAGS", FetchAttr::kFlags},
    {"INTERNALDATE", FetchAttr::kInternalDate},
    {"RFC822", FetchAttr::kRfc822},
    {"RFC822.HEADER", FetchAttr::kRfc822Header},
    {"RFC822.SIZE", FetchAttr::kRfc822Size},
    {"RFC822.TEXT", FetchAttr::kRfc822Text},
    {"ENVELOPE", FetchAttr::kEnvelope},
    {"BODY", FetchAttr::kBody},
    {"BODYSTRUCTURE", FetchAttr::kBodyStructure},
    {"MODSEQ", FetchAttr::kModSeq},
    {"EMAILID", FetchAttr::kEmailId},
    {"THREADID", FetchAttr::kThreadId},
    {"SAVEDATE", FetchAttr::kSaveDate},
}};

// Reads a number at `pos` (no leading zero unless it is "0").
bool ReadNumber(std::string_view s, size_t& pos, uint64_t max, uint64_t& out) {
  size_t start = pos;
  out = 0;
  for (; pos < s.size() && chars::IsDigit(s[pos]); ++pos) {
    uint64_t d = static_cast<uint64_t>(s[pos] - '0');
    if (out > (max - d) / 10) return false;
    out = out * 10 + d;
  }
  size_t digits = pos - start;
  return digits > 0 && (digits == 1 || s[start] != '0');
}

Parsed<std::optional<Partial>> ParsePartial(std::string_view text) {
  if (text.empty()) return std::optional<Partial>();
  Partial p;
  size_t pos = 1;
  constexpr uint64_t kMax = std::numeric_limits<int64_t>::max();  // number64
  if (text.front() != '<' || !ReadNumber(text, pos, kMax, p.origin) || pos >= text.size() ||
      text[pos++] != '.' || !ReadNumber(text, pos, kMax, p.length) || p.length == 0 ||
      pos + 1 != text.size() || text[pos] != '>') {
    return Bad("Invalid partial fetch");
  }
  return std::optional<Partial>(p);
}

bool IsFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return false;
  }
  return true;
}

Parsed<std::vector<std::string>> ParseFieldList(std::string_view text, const Limits& limits) {
  auto tokens = Tokenize(text, limits);
  if (!tokens) return std::move(tokens.error());
  if (tokens->size() != 1 || !(*tokens)[0].IsList() || (*tokens)[0].children.empty()) {
    return Bad("Invalid header field list");
  }
  std::vector<std::string> fields;
  for (const Token& t : (*tokens)[0].children) {
    if (t.IsList() || !IsFieldName(t.text())) return Bad("Invalid header field name");
    fields.emplace_back(t.text());
  }
  return fields;
}

// Reads "1.2.3" at the start of `text`, leaving `pos` after the last number, or after the dot
// that precedes a section-text keyword.
bool ReadPart(std::string_view text, size_t& pos, std::vector<uint32_t>& part,
              const Limits& limits) {
  while (pos < text.size() && chars::IsDigit(text[pos])) {
    uint64_t n;
    if (!ReadNumber(text, pos, std::numeric_limits<uint32_t>::max(), n) || n == 0) return false;
    if (part.size() >= limits.max_depth) return false;
    part.push_back(static_cast<uint32_t>(n));
    if (pos == text.size()) return true;
    if (text[pos] != '.' || pos + 1 == text.size()) return false;
    ++pos;
  }
  return true;
}

Parsed<Section> ParseSection(std::string_view text, bool binary, const Limits& limits) {
  Section s;
  size_t pos = 0;
  if (!ReadPart(text, pos, s.part, limits)) return Bad("Invalid section part number");
  std::string_view rest = text.substr(pos);
  if (rest.empty()) return s;
  if (binary) return Bad("BINARY takes part numbers only");
  using T = Section::Text;
  if (chars::EqualsIgnoreCase(rest, "HEADER")) {
    s.text = T::kHeader;
  } else if (chars::EqualsIgnoreCase(rest, "TEXT")) {
    s.text = T::kText;
  } else if (chars::EqualsIgnoreCase(rest, "MIME")) {
    if (s.part.empty()) return Bad("MIME needs a part number");
    s.text = T::kMime;
  } else {
    constexpr std::string_view kNot = "HEADER.FIELDS.NOT ", kFields = "HEADER.FIELDS ";
    bool is_not = chars::StartsWithIgnoreCase(rest, kNot);
    if (!is_not && !chars::StartsWithIgnoreCase(rest, kFields)) return Bad("Invalid section");
    s.text = is_not ? T::kHeaderFieldsNot : T::kHeaderFields;
    auto fields = ParseFieldList(rest.substr(is_not ? kNot.size() : kFields.size()), limits);
    if (!fields) return Bad("Invalid header field list");
    s.fields = std::move(*fields);
  }
  return s;
}

// Splits "NAME[section]<partial>"; false when brackets are unbalanced.
bool SplitItem(std::string_view atom, std::string_view& name,
               std::optional<std::string_view>& section, std::string_view& partial) {
  size_t open = atom.find('[');
  name = atom.substr(0, open);
  if (open == std::string_view::npos) return true;
  std::string_view rest = atom.substr(open + 1);
  if (rest.ends_with('>')) {
    size_t lt = rest.rfind('<');
    if (lt == std::string_view::npos) return false;
    partial = rest.substr(lt);
    rest = rest.substr(0, lt);
  }
  if (!rest.ends_with(']')) return false;
  section = rest.substr(0, rest.size() - 1);
  return true;
}

Parsed<FetchItem> ParseSectionItem(std::string_view name, std::string_view section,
                                   std::string_view partial, const Limits& limits) {
  FetchItem item;
  bool size = chars::EqualsIgnoreCase(name, "BINARY.SIZE");
  if (chars::EqualsIgnoreCase(name, "BODY") || chars::EqualsIgnoreCase(name, "BODY.PEEK")) {
    item.attr = FetchAttr::kBodySection;
  } else if (size || chars::EqualsIgnoreCase(name, "BINARY") ||
             chars::EqualsIgnoreCase(name, "BINARY.PEEK")) {
    item.attr = size ? FetchAttr::kBinarySize : FetchAttr::kBinary;
  } else {
    return Bad("Unknown FETCH item");
  }
  item.peek = name.size() > 5 && chars::EqualsIgnoreCase(name.substr(name.size() - 5), ".PEEK");
  auto s = ParseSection(section, item.attr != FetchAttr::kBodySection, limits);
  if (!s) return std::move(s.error());
  item.section = std::move(*s);
  auto p = ParsePartial(partial);
  if (!p) return std::move(p.error());
  if (size && *p) return Bad("BINARY.SIZE takes no partial");
  item.partial = *p;
  return item;
}

std::string PartString(const std::vector<uint32_t>& part) {
  std::string out;
  for (size_t i = 0; i < part.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(part[i]);
  }
  return out;
}

void AppendItems(std::vector<FetchItem>& out, std::initializer_list<FetchAttr> attrs) {
  for (FetchAttr a : attrs) out.push_back(FetchItem{a});
}

}  // namespace

std::string Section::ToString() const {
  std::string out = PartString(part);
  if (text == Text::kNone) return out;
  if (!part.empty()) out += '.';
  switch (text) {
    case Text::kHeader:
      return out.append("HEADER");
    case Text::kText:
      return out.append("TEXT");
    case Text::kMime:
      return out.append("MIME");
    default:
      break;
  }
  out += text == Text::kHeaderFields ? "HEADER.FIELDS (" : "HEADER.FIELDS.NOT (";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ' ';
    AppendAstring(out, fields[i], false);
  }
  return out.append(")");
}

std::string FetchItem::ResponseName() const {
  std::string name;
  switch (attr) {
    case FetchAttr::kBodySection:
      name.append("BODY[").append(section.ToString());
      break;
    case FetchAttr::kBinary:
      name.append("BINARY[").append(PartString(section.part));
      break;
    case FetchAttr::kBinarySize:
      return name.append("BINARY.SIZE[").append(PartString(section.part)).append("]");
    default:
      break;
  }
  if (!name.empty()) {
    name += ']';
    if (partial) name.append("<").append(std::to_string(partial->origin)).append(">");
    return name;
  }
  for (const SimpleItem& s : kSimpleItems) {
    if (s.attr == attr) return std::string(s.name);
  }
  return "";
}

bool FetchItem::SetsSeen() const {
  switch (attr) {
    case FetchAttr::kRfc822:
    case FetchAttr::kRfc822Text:
      return true;
    case FetchAttr::kBodySection:
    case FetchAttr::kBinary:
      return !peek;
    default:
      return false;
  }
}

Parsed<FetchItem> ParseFetchItem(std::string_view atom, const Limits& limits) {
  std::string_view name, partial;
  std::optional<std::string_view> section;
  if (!SplitItem(atom, name, section, partial)) return Bad("Invalid FETCH item");
  if (section) return ParseSectionItem(name, *section, partial, limits);
  for (const SimpleItem& s : kSimpleItems) {
    if (chars::EqualsIgnoreCase(s.name, name)) return FetchItem{s.attr};
  }
  return Bad("Unknown FETCH item");
}

Parsed<std::vector<FetchItem>> ParseFetchItems(const Token& token, const Limits& limits) {
  std::vector<FetchItem> items;
  using A = FetchAttr;
  if (token.IsAtom("ALL") || token.IsAtom("FAST") || token.IsAtom("FULL")) {
    AppendItems(items, {A::kFlags, A::kInternalDate, A::kRfc822Size});
    if (!token.IsAtom("FAST")) AppendItems(items, {A::kEnvelope});
    if (token.IsAtom("FULL")) AppendItems(items, {A::kBody});
    return items;
  }
  std::span<const Token> list(&token, 1);
  if (token.IsList()) list = token.children;
  if (list.empty()) return Bad("Empty FETCH item list");
  for (const Token& t : list) {
    if (t.kind != TokenKind::kAtom) return Bad("Invalid FETCH item");
    auto item = ParseFetchItem(t.raw, limits);
    if (!item) return std::move(item.error());
    items.push_back(std::move(*item));
  }
  return items;
}

}  // namespace pushmail::imap
