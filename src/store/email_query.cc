// Email/query to SQL. Every value is a bound parameter; only fixed SQL text is spliced.
#include "store/email_query.h"

#include <algorithm>

#include "base/strings.h"
#include "mime/words.h"

namespace pushmail::store {
namespace {

constexpr int kMaxDepth = 32;  // the JMAP layer bounds filters far below this

class Compiler {
 public:
  explicit Compiler(CompiledQuery& out) : out_(out) {}

  std::string Bind(int64_t v) {
    out_.binds.emplace_back(v);
    return "?";
  }
  std::string Bind(std::string v) {
    out_.binds.emplace_back(std::move(v));
    return "?";
  }
  // " keyword " as mailbox_emails.keywords holds it (store/keywords.h).
  std::string Keyword(std::string_view k) { return Bind(" " + AsciiLower(k) + " "); }

  std::string HasKeyword(std::string_view email, std::string_view k) {
    return "EXISTS (SELECT 1 FROM mailbox_emails mk WHERE mk.email_id = " + std::string(email) +
           " AND instr(mk.keywords, " + Keyword(k) + ") > 0)";
  }
  std::string SomeInThread(std::string_view k) {
    return "EXISTS (SELECT 1 FROM emails te JOIN mailbox_emails tk ON tk.email_id = te.id "
           "WHERE te.thread_id = e.thread_id AND instr(tk.keywords, " +
           Keyword(k) + ") > 0)";
  }
  std::string AllInThread(std::string_view k) {
    return "NOT EXISTS (SELECT 1 FROM emails te WHERE te.thread_id = e.thread_id AND NOT " +
           HasKeyword("te.id", k) + ")";
  }
  std::string Fts(const std::string& expression) {
    if (expression.empty()) return "1";
    out_.full_text = true;
    return "e.id IN (SELECT rowid FROM search.email_fts WHERE email_fts MATCH " + Bind(expression) +
           ")";
  }

  std::string Filter(const EmailFilter& f, int depth) {
    using Op = EmailFilter::Op;
    if (depth > kMaxDepth) return "0";
    switch (f.op) {
      case Op::kAnd:
      case Op::kOr:
      case Op::kNot: {
        if (f.children.empty()) return f.op == Op::kOr ? "0" : "1";
        std::string joined;
        const char* glue = f.op == Op::kAnd ? " AND " : " OR ";
        for (const auto& c : f.children) {
          if (!joined.empty()) joined += glue;
          joined += "(" + Filter(c, depth + 1) + ")";
        }
        return f.op == Op::kNot ? "NOT (" + joined + ")" : joined;
      }
      case Op::kFalse:
        return "0";
      case Op::kInMailbox:
        return "e.id IN (SELECT email_id FROM mailbox_emails WHERE mailbox_id = " + Bind(f.number) +
               ")";
      case Op::kInMailboxOtherThan: {
        std::string list;
        for (int64_t m : f.numbers) list += (list.empty() ? "" : ", ") + Bind(m);
        return "EXISTS (SELECT 1 FROM mailbox_emails mo WHERE mo.email_id = e.id" +
               (list.empty() ? std::string() : " AND mo.mailbox_id NOT IN (" + list + ")") + ")";
      }
      case Op::kBefore:
        return "e.received_at < " + Bind(f.number);
      case Op::kAfter:
        return "e.received_at >= " + Bind(f.number);
      case Op::kMinSize:
        return "e.size >= " + Bind(f.number);
      case Op::kMaxSize:
        return "e.size < " + Bind(f.number);
      case Op::kHasKeyword:
        return HasKeyword("e.id", f.text);
      case Op::kNotKeyword:
        return "NOT " + HasKeyword("e.id", f.text);
      case Op::kAllInThreadHaveKeyword:
        return AllInThread(f.text);
      case Op::kSomeInThreadHaveKeyword:
        return SomeInThread(f.text);
      case Op::kNoneInThreadHaveKeyword:
        return "NOT " + SomeInThread(f.text);
      case Op::kHasAttachment:
        return "e.has_attachment = " + Bind(f.number != 0 ? 1 : 0);
      case Op::kText:
        return Fts(TextExpression(f));
      case Op::kHeader:
        return Fts(HeaderExpression(f));
    }
    return "0";
  }

  static std::string TextExpression(const EmailFilter& f) {
    static constexpr std::pair<unsigned, const char*> kColumns[] = {
        {EmailFilter::kSubject, "subject"}, {EmailFilter::kFrom, "addr_from"},
        {EmailFilter::kTo, "addr_to"},      {EmailFilter::kCc, "addr_cc"},
        {EmailFilter::kBcc, "addr_bcc"},    {EmailFilter::kBody, "body"}};
    std::string words = FtsExpression(f.text);
    if (words.empty()) return {};
    std::string columns;
    for (const auto& [bit, name] : kColumns) {
      if (f.columns & bit) columns += (columns.empty() ? "" : " ") + std::string(name);
    }
    if (columns.empty()) return {};
    return "{" + columns + "} : (" + words + ")";
  }

  static std::string HeaderExpression(const EmailFilter& f) {
    auto quote = [](const std::string& token) { return "\"" + token + "\""; };
    std::vector<std::string> words = mime::SearchWords(f.value);
    std::string expression;
    if (words.empty()) {
      expression = quote(mime::HeaderToken(f.text, ""));
    } else {
      for (const auto& w : words) {
        expression +=
            (expression.empty() ? "" : " AND ") + quote(mime::HeaderToken(f.text, w)) + " *";
      }
    }
    return "headers : (" + expression + ")";
  }

  std::string SortKey(const EmailSort& s) {
    using Key = EmailSort::Key;
    switch (s.key) {
      case Key::kReceivedAt:
        return "e.received_at";
      case Key::kSize:
        return "e.size";
      case Key::kFrom:
        return "e.from_sort";
      case Key::kTo:
        return "e.to_sort";
      case Key::kSubject:
        return "e.subject_sort";
      case Key::kSentAt:
        return "e.sent_at";
      case Key::kHasKeyword:
        return HasKeyword("e.id", s.keyword);
      case Key::kAllInThreadHaveKeyword:
        return AllInThread(s.keyword);
      case Key::kSomeInThreadHaveKeyword:
        return SomeInThread(s.keyword);
    }
    return "e.received_at";
  }

 private:
  CompiledQuery& out_;
};

}  // namespace

std::string FtsExpression(std::string_view text) {
  // Words and "phrases"; each becomes an FTS5 string (quotes doubled), matched as a prefix.
  std::vector<std::string> terms;
  size_t i = 0;
  auto has_word = [](std::string_view s) {
    for (unsigned char c : s) {
      if (mime::IsSearchWordOctet(c)) return true;
    }
    return false;
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++i;
      continue;
    }
    std::string_view term;
    if (c == '"' || c == '\'') {
      size_t close = text.find(c, i + 1);
      if (close == std::string_view::npos) close = text.size();
      term = text.substr(i + 1, close - i - 1);
      i = close + 1;
    } else {
      size_t end = text.find_first_of(" \t\r\n", i);
      if (end == std::string_view::npos) end = text.size();
      term = text.substr(i, end - i);
      i = end;
    }
    if (!has_word(term)) continue;
    std::string quoted = "\"";
    for (char t : term) {
      if (t == '"') quoted += '"';
      if (t == '\0') continue;
      quoted += t;
    }
    quoted += "\" *";
    terms.push_back(std::move(quoted));
    if (terms.size() >= 32) break;
  }
  std::string out;
  for (const auto& t : terms) out += (out.empty() ? "" : " AND ") + t;
  return out;
}

std::string BaseSubject(std::string_view subject) {
  std::string s = AsciiLower(subject);
  auto trim = [&s] {
    size_t b = s.find_first_not_of(" \t\r\n");
    s = b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t\r\n") + 1 - b);
  };
  for (bool changed = true; changed;) {
    changed = false;
    trim();
    while (s.ends_with("(fwd)")) {
      s.resize(s.size() - 5);
      trim();
      changed = true;
    }
    // subj-leader: blobs and "re", "fw", "fwd" with an optional [blob], then ":".
    size_t i = 0;
    while (i < s.size() && s[i] == '[') {
      size_t close = s.find(']', i);
      if (close == std::string::npos) break;
      i = s.find_first_not_of(" \t", close + 1);
      if (i == std::string::npos) i = s.size();
    }
    for (std::string_view p : {"re", "fwd", "fw"}) {
      if (s.compare(i, p.size(), p) != 0) continue;
      size_t j = s.find_first_not_of(" \t", i + p.size());
      if (j != std::string::npos && s[j] == '[') {
        size_t close = s.find(']', j);
        j = close == std::string::npos ? j : s.find_first_not_of(" \t", close + 1);
      }
      if (j != std::string::npos && s[j] == ':') {
        i = j + 1;
        break;
      }
    }
    if (i > 0 && i < s.size()) {
      s.erase(0, i);
      changed = true;
    } else if (i > 0 && i >= s.size() && s.find(':') != std::string::npos) {
      s.clear();
    }
  }
  return s;
}

CompiledQuery CompileEmailQuery(AccountId account, const EmailQuery& query, bool count,
                                int64_t offset, int64_t limit) {
  // Each piece binds its own parameters; they are joined in the order the SQL text uses them.
  CompiledQuery keys_part, where_part;
  Compiler keys_compiler(keys_part), where_compiler(where_part);
  std::vector<std::string> keys;
  std::vector<bool> ascending;
  for (const auto& s : query.sort) {
    keys.push_back(keys_compiler.SortKey(s));
    ascending.push_back(s.ascending);
  }
  // One statement per bind: the operands of + are evaluated in no fixed order.
  std::string where = "e.account_id = " + where_compiler.Bind(account);
  where += " AND (" + where_compiler.Filter(query.filter, 0) + ")";
  // Ties go by id, in the direction of the last key (newest first without keys).
  bool id_ascending = ascending.empty() ? false : ascending.back();
  std::string select_keys;
  std::string order;
  for (size_t i = 0; i < keys.size(); ++i) {
    select_keys += ", " + keys[i] + " AS k" + std::to_string(i);
    order += "k" + std::to_string(i) + (ascending[i] ? " ASC, " : " DESC, ");
  }
  order += std::string("id") + (id_ascending ? " ASC" : " DESC");
  CompiledQuery out;
  auto append = [&out](const CompiledQuery& part) {
    out.binds.insert(out.binds.end(), part.binds.begin(), part.binds.end());
    out.full_text = out.full_text || part.full_text;
  };
  if (count && !query.collapse_threads) {
    out.sql = "SELECT count(*) FROM emails e WHERE " + where;
    append(where_part);
    return out;
  }
  std::string inner =
      "SELECT e.id AS id, e.thread_id AS thread_id" + select_keys + " FROM emails e WHERE " + where;
  append(keys_part);
  append(where_part);
  if (query.collapse_threads) {
    // One email per thread: the first in sort order.
    inner = "SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY thread_id ORDER BY " + order +
            ") AS rn FROM (" + inner + ")) WHERE rn = 1";
  }
  if (count) {
    out.sql = "SELECT count(*) FROM (" + inner + ")";
    return out;
  }
  out.sql = "SELECT id, thread_id FROM (" + inner + ") ORDER BY " + order;
  if (limit >= 0 || offset > 0) {
    out.sql += " LIMIT ? OFFSET ?";
    out.binds.emplace_back(limit >= 0 ? limit : int64_t{-1});
    out.binds.emplace_back(std::max<int64_t>(offset, 0));
  }
  return out;
}

}  // namespace pushmail::store
