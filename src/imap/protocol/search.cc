#include "imap/protocol/search.h"

#include <array>
#include <utility>

#include "base/utf8.h"
#include "imap/protocol/args.h"
#include "imap/protocol/chars.h"
#include "imap/protocol/mailbox.h"

namespace pushmail::imap {
namespace {

using Kind = SearchKey::Kind;

enum class Arg { kNone, kString, kDate, kNumber, kNzNumber, kSet, kKeyword, kHeader, kObjectId };

struct KeyEntry {
  std::string_view name;
  Kind kind;
  Arg arg;
  std::string_view field;  // kFlag/kNoFlag: the flag; kHeader: the field
};

constexpr std::array<KeyEntry, 36> kKeys{{
    {"ALL", Kind::kAll, Arg::kNone, ""},
    {"ANSWERED", Kind::kFlag, Arg::kNone, "\\Answered"},
    {"DELETED", Kind::kFlag, Arg::kNone, "\\Deleted"},
    {"DRAFT", Kind::kFlag, Arg::kNone, "\\Draft"},
    {"FLAGGED", Kind::kFlag, Arg::kNone, "\\Flagged"},
    {"SEEN", Kind::kFlag, Arg::kNone, "\\Seen"},
    {"UNANSWERED", Kind::kNoFlag, Arg::kNone, "\\Answered"},
    {"UNDELETED", Kind::kNoFlag, Arg::kNone, "\\Deleted"},
    {"UNDRAFT", Kind::kNoFlag, Arg::kNone, "\\Draft"},
    {"UNFLAGGED", Kind::kNoFlag, Arg::kNone, "\\Flagged"},
    {"UNSEEN", Kind::kNoFlag, Arg::kNone, "\\Seen"},
    {"KEYWORD", Kind::kFlag, Arg::kKeyword, ""},
    {"UNKEYWORD", Kind::kNoFlag, Arg::kKeyword, ""},
    {"RECENT", Kind::kRecent, Arg::kNone, ""},
    {"BCC", Kind::kHeader, Arg::kString, "Bcc"},
    {"CC", Kind::kHeader, Arg::kString, "Cc"},
    {"FROM", Kind::kHeader, Arg::kString, "From"},
    {"SUBJECT", Kind::kHeader, Arg::kString, "Subject"},
    {"TO", Kind::kHeader, Arg::kString, "To"},
    {"HEADER", Kind::kHeader, Arg::kHeader, ""},
    {"BODY", Kind::kBody, Arg::kString, ""},
    {"TEXT", Kind::kText, Arg::kString, ""},
    {"BEFORE", Kind::kBefore, Arg::kDate, ""},
    {"ON", Kind::kOn, Arg::kDate, ""},
    {"SINCE", Kind::kSince, Arg::kDate, ""},
    {"SENTBEFORE", Kind::kSentBefore, Arg::kDate, ""},
    {"SENTON", Kind::kSentOn, Arg::kDate, ""},
    {"SENTSINCE", Kind::kSentSince, Arg::kDate, ""},
    {"LARGER", Kind::kLarger, Arg::kNumber, ""},
    {"SMALLER", Kind::kSmaller, Arg::kNumber, ""},
    {"UID", Kind::kUid, Arg::kSet, ""},
    {"EMAILID", Kind::kEmailId, Arg::kObjectId, ""},
    {"THREADID", Kind::kThreadId, Arg::kObjectId, ""},
    {"OLDER", Kind::kOlder, Arg::kNzNumber, ""},
    {"YOUNGER", Kind::kYounger, Arg::kNzNumber, ""},
    {"MODSEQ", Kind::kModSeq, Arg::kNone, ""},  // arguments read by ReadModSeq
}};

const KeyEntry* FindKey(std::string_view name) {
  for (const KeyEntry& k : kKeys) {
    if (chars::EqualsIgnoreCase(k.name, name)) return &k;
  }
  return nullptr;
}

// RFC 8474 objectid: 1*255 of [A-Za-z0-9_-].
bool IsObjectId(std::string_view s) {
  if (s.empty() || s.size() > 255) return false;
  for (char c : s) {
    bool ok = chars::IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              c == '-';
    if (!ok) return false;
  }
  return true;
}

Parsed<std::string> SearchString(const Token* t) {
  auto s = args::Astring(t);
  if (!s) return std::move(s.error());
  if (!ValidUtf8(*s)) return Bad("Search string is not valid UTF-8");
  return std::string(*s);
}

class SearchParser {
 public:
  explicit SearchParser(const Limits& limits) : limits_(limits) {}

  // All of `tokens` as one key: the key itself when there is one, else their AND.
  Parsed<SearchKey> ParseAll(std::span<const Token> tokens, size_t depth) {
    args::Cursor cursor(tokens);
    SearchKey all{Kind::kAnd};
    while (!cursor.AtEnd()) {
      auto key = ParseKey(cursor, depth);
      if (!key) return std::move(key.error());
      all.children.push_back(std::move(*key));
    }
    if (all.children.empty()) return Bad("Missing search key");
    if (all.children.size() == 1) return std::move(all.children[0]);
    return all;
  }

 private:
  Parsed<SearchKey> ParseKey(args::Cursor& cursor, size_t depth) {
    if (++keys_ > limits_.max_search_keys) return Bad("Too many search keys");
    if (depth >= limits_.max_depth) return Bad("Search program too deeply nested");
    const Token* t = cursor.Next();
    if (!t) return Bad("Missing search key");
    if (t->IsList()) return ParseAll(t->children, depth + 1);
    if (t->kind != TokenKind::kAtom) return Bad("Invalid search key");
    char c = t->raw[0];
    if (chars::IsDigit(c) || c == '*' || c == '$') {
      auto set = ParseSequenceSet(t->raw, limits_);
      if (!set) return std::move(set.error());
      SearchKey key{Kind::kSequenceSet};
      key.set = std::move(*set);
      return key;
    }
    return ParseNamedKey(t->raw, cursor, depth);
  }

  Parsed<SearchKey> ParseNamedKey(std::string_view name, args::Cursor& cursor, size_t depth) {
    if (chars::EqualsIgnoreCase(name, "NOT") || chars::EqualsIgnoreCase(name, "OR")) {
      SearchKey key{chars::EqualsIgnoreCase(name, "OR") ? Kind::kOr : Kind::kNot};
      for (int i = key.kind == Kind::kOr ? 2 : 1; i > 0; --i) {
        auto child = ParseKey(cursor, depth + 1);
        if (!child) return std::move(child.error());
        key.children.push_back(std::move(*child));
      }
      return key;
    }
    if (chars::EqualsIgnoreCase(name, "NEW") || chars::EqualsIgnoreCase(name, "OLD")) {
      SearchKey recent{Kind::kRecent};
      if (chars::EqualsIgnoreCase(name, "OLD"))
        return SearchKey{Kind::kNot, {}, {}, 0, {}, {}, {recent}};
      SearchKey unseen{Kind::kNoFlag, {}, "\\Seen"};
      return SearchKey{Kind::kAnd, {}, {}, 0, {}, {}, {recent, unseen}};
    }
    const KeyEntry* entry = FindKey(name);
    if (!entry) return Bad("Unknown search key");
    SearchKey key{entry->kind};
    if (entry->kind == Kind::kModSeq) return ReadModSeq(cursor, std::move(key));
    if (entry->kind == Kind::kFlag || entry->kind == Kind::kNoFlag) key.text = entry->field;
    if (entry->kind == Kind::kHeader) key.field = entry->field;
    return ReadArgument(entry->arg, cursor, std::move(key));
  }

  Parsed<SearchKey> ReadArgument(Arg arg, args::Cursor& cursor, SearchKey key) {
    const Token* t = arg == Arg::kNone ? nullptr : cursor.Next();
    if (arg != Arg::kNone && !t) return Bad("Missing argument to search key");
    switch (arg) {
      case Arg::kNone:
        return key;
      case Arg::kString:
        return Assign(SearchString(t), key.text, key);
      case Arg::kHeader: {
        auto field = args::Astring(t);
        if (!field || field->empty()) return Bad("Invalid header field name");
        key.field = std::string(*field);
        return Assign(SearchString(cursor.Next()), key.text, key);
      }
      case Arg::kDate: {
        auto s = args::Astring(t);
        auto date = s ? ParseDate(*s) : Parsed<Date>(Bad("Invalid date"));
        return Assign(std::move(date), key.date, key);
      }
      case Arg::kNumber:
      case Arg::kNzNumber: {
        uint64_t max = arg == Arg::kNumber ? args::kMaxNumber64 : args::kMaxNumber;
        return Assign(args::Number(t, max, arg == Arg::kNzNumber), key.number, key);
      }
      case Arg::kSet: {
        if (t->kind != TokenKind::kAtom) return Bad("Invalid sequence set");
        return Assign(ParseSequenceSet(t->raw, limits_), key.set, key);
      }
      case Arg::kKeyword: {
        if (t->kind != TokenKind::kAtom || t->raw.starts_with('\\')) return Bad("Invalid keyword");
        return Assign(args::Flag(t), key.text, key);
      }
      case Arg::kObjectId: {
        auto id = args::Astring(t);
        if (!id || !IsObjectId(*id)) return Bad("Invalid object id");
        key.text = std::string(*id);
        return key;
      }
    }
    return key;
  }

  // MODSEQ [entry-name entry-type-req] mod-sequence-valzer (RFC 7162 3.1.5).
  Parsed<SearchKey> ReadModSeq(args::Cursor& cursor, SearchKey key) {
    const Token* t = cursor.Peek();
    if (t && t->kind == TokenKind::kQuoted) {
      key.text = std::string(cursor.Next()->text());
      const Token* type = cursor.Next();
      if (!type || !(type->IsAtom("PRIV") || type->IsAtom("SHARED") || type->IsAtom("ALL"))) {
        return Bad("Invalid MODSEQ entry type");
      }
      key.field = std::string(type->raw);
      for (char& c : key.field) c = chars::ToUpper(c);
    }
    return Assign(args::Number(cursor.Next(), args::kMaxNumber64, false), key.number, key);
  }

  template <class T, class U>
  static Parsed<SearchKey> Assign(Parsed<T> value, U& field, SearchKey& key) {
    if (!value) return std::move(value.error());
    field = std::move(*value);
    return std::move(key);
  }

  const Limits& limits_;
  size_t keys_ = 0;
};

Parsed<SearchReturn> ParseReturn(const Token* t) {
  if (!t || !t->IsList()) return Bad("RETURN needs a list of options");
  SearchReturn r;
  r.present = true;
  for (const Token& o : t->children) {
    if (o.IsAtom("MIN")) {
      r.min = true;
    } else if (o.IsAtom("MAX")) {
      r.max = true;
    } else if (o.IsAtom("ALL")) {
      r.all = true;
    } else if (o.IsAtom("COUNT")) {
      r.count = true;
    } else if (o.IsAtom("SAVE")) {
      r.save = true;
    } else {
      return Bad("Unknown SEARCH RETURN option");
    }
  }
  if (t->children.empty()) r.all = true;  // RFC 4731 3.1: "RETURN ()" means ALL
  return r;
}

}  // namespace

Parsed<Search> ParseSearch(std::span<const Token> tokens, const Limits& limits) {
  Search search;
  size_t pos = 0;
  if (pos < tokens.size() && tokens[pos].IsAtom("RETURN")) {
    auto r = ParseReturn(pos + 1 < tokens.size() ? &tokens[pos + 1] : nullptr);
    if (!r) return std::move(r.error());
    search.ret = *r;
    pos += 2;
  }
  if (pos < tokens.size() && tokens[pos].IsAtom("CHARSET")) {
    auto charset = args::Astring(pos + 1 < tokens.size() ? &tokens[pos + 1] : nullptr);
    if (!charset) return std::move(charset.error());
    for (char c : *charset) search.charset += chars::ToUpper(c);
    if (search.charset != "UTF-8" && search.charset != "US-ASCII") {
      return Error{{}, "BADCHARSET (US-ASCII UTF-8)", "Unsupported charset", true};
    }
    pos += 2;
  }
  auto key = SearchParser(limits).ParseAll(tokens.subspan(pos), 0);
  if (!key) return std::move(key.error());
  search.key = std::move(*key);
  return search;
}

}  // namespace pushmail::imap
