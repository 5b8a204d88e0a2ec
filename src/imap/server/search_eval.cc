#include "imap/server/search_eval.h"

#include <algorithm>

#include "base/strings.h"
#include "imap/protocol/flags.h"

namespace pushmail::imap {
namespace {

using Kind = SearchKey::Kind;

bool HasKeyword(const store::MailboxMessage& m, std::string_view flag) {
  auto k = FlagToKeyword(flag);
  return k && std::find(m.keywords.begin(), m.keywords.end(), *k) != m.keywords.end();
}

std::string Addresses(const std::vector<mime::Address>& list) {
  std::string out;
  for (const auto& a : list) out += a.name + " <" + a.email + "> ";
  return out;
}

// The value of a header field: from the summary for the fields it decodes (so that encoded
// words match their text), else from the raw header.
bool HeaderMatches(const SearchSubject& s, const std::string& field, const std::string& text) {
  const mime::Summary* summary = s.summary();
  if (!summary) return false;
  auto is = [&field](std::string_view name) { return EqualsIgnoreCase(field, name); };
  if (is("subject")) return ContainsIgnoreCase(summary->subject, text);
  if (is("from")) return ContainsIgnoreCase(Addresses(summary->from), text);
  if (is("to")) return ContainsIgnoreCase(Addresses(summary->to), text);
  if (is("cc")) return ContainsIgnoreCase(Addresses(summary->cc), text);
  if (is("bcc")) return ContainsIgnoreCase(Addresses(summary->bcc), text);
  const std::string* bytes = s.bytes();
  if (!bytes) return false;
  auto header = mime::Slice(*bytes, {0, summary->body.body_offset > 0 ? summary->body.body_offset
                                                                      : int64_t(bytes->size())});
  // Each field line "Name: value"; folded lines continue the value.
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = header.find('\n', pos);
    if (end == std::string_view::npos) end = header.size();
    std::string_view line = header.substr(pos, end - pos);
    pos = end + 1;
    size_t colon = line.find(':');
    if (colon != field.size() || !EqualsIgnoreCase(line.substr(0, colon), field)) continue;
    if (ContainsIgnoreCase(line.substr(colon + 1), text)) return true;
  }
  return false;
}

int64_t Day(int64_t unix_seconds) { return unix_seconds >= 0 ? unix_seconds / 86400 : -1; }

}  // namespace

bool NeedsContent(const SearchKey& key) {
  switch (key.kind) {
    case Kind::kHeader:
    case Kind::kBody:
    case Kind::kText:
    case Kind::kSentBefore:
    case Kind::kSentOn:
    case Kind::kSentSince:
      return true;
    default:
      return std::any_of(key.children.begin(), key.children.end(), NeedsContent);
  }
}

bool Matches(const SearchKey& key, const SearchSubject& s) {
  const store::MailboxMessage& m = *s.message;
  switch (key.kind) {
    case Kind::kAll:
      return true;
    case Kind::kAnd:
      return std::all_of(key.children.begin(), key.children.end(),
                         [&s](const SearchKey& k) { return Matches(k, s); });
    case Kind::kOr:
      return key.children.size() == 2 &&
             (Matches(key.children[0], s) || Matches(key.children[1], s));
    case Kind::kNot:
      return key.children.size() == 1 && !Matches(key.children[0], s);
    case Kind::kSequenceSet:
      return key.set.Contains(s.seq, s.max_seq);
    case Kind::kUid:
      return key.set.Contains(m.uid, s.max_uid);
    case Kind::kFlag:
      return HasKeyword(m, key.text);
    case Kind::kNoFlag:
      return !HasKeyword(m, key.text);
    case Kind::kRecent:
      return false;  // pushmail has no \Recent (IMAP4rev2 dropped it)
    case Kind::kHeader:
      return HeaderMatches(s, key.field, key.text);
    case Kind::kBody:
    case Kind::kText: {
      const std::string* bytes = s.bytes();
      const mime::Summary* summary = s.summary();
      if (!bytes || !summary) return false;
      int64_t body = summary->body.body_offset > 0 ? summary->body.body_offset : 0;
      std::string_view text = key.kind == Kind::kText
                                  ? std::string_view(*bytes)
                                  : mime::Slice(*bytes, {body, int64_t(bytes->size())});
      return ContainsIgnoreCase(text, key.text);
    }
    case Kind::kBefore:
      return Day(m.received_at) < key.date.DaysSinceEpoch();
    case Kind::kOn:
      return Day(m.received_at) == key.date.DaysSinceEpoch();
    case Kind::kSince:
      return Day(m.received_at) >= key.date.DaysSinceEpoch();
    case Kind::kSentBefore:
    case Kind::kSentOn:
    case Kind::kSentSince: {
      const mime::Summary* summary = s.summary();
      if (!summary || !summary->sent_at) return false;
      int64_t day = Day(*summary->sent_at), want = key.date.DaysSinceEpoch();
      if (key.kind == Kind::kSentBefore) return day < want;
      if (key.kind == Kind::kSentOn) return day == want;
      return day >= want;
    }
    case Kind::kLarger:
      return static_cast<uint64_t>(m.size) > key.number;
    case Kind::kSmaller:
      return static_cast<uint64_t>(m.size) < key.number;
    case Kind::kModSeq:
      return static_cast<uint64_t>(m.modseq) >= key.number;
    case Kind::kEmailId:
      return key.text == store::EmailJmapId(m.email);
    case Kind::kThreadId:
      return key.text == store::ThreadJmapId(m.thread);
    case Kind::kOlder:
      return s.now - m.received_at >= static_cast<int64_t>(key.number);
    case Kind::kYounger:
      return s.now - m.received_at <= static_cast<int64_t>(key.number);
  }
  return false;
}

}  // namespace pushmail::imap
