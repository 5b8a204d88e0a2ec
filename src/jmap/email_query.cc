// Email/query, Email/queryChanges (RFC 8621 4.4, 4.5; RFC 8620 5.5, 5.6) and SearchSnippet/get
// (RFC 8621 5.1). Filtering and sorting run in SQL (store::CompileEmailQuery); only ids come
// back.
#include <algorithm>
#include <boost/json.hpp>
#include <set>
#include <unordered_map>

#include "jmap/arguments.h"
#include "jmap/email_filter.h"
#include "jmap/email_render.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "mime/words.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr int64_t kMaxLimit = 5000;         // ids per Email/query answer
constexpr size_t kMaxQueryChanges = 20000;  // log entries Email/queryChanges reads
constexpr size_t kSnippetLength = 255;      // characters of a preview snippet, about

json::array Ids(const std::vector<store::EmailQueryRow>& rows) {
  json::array out;
  for (const auto& r : rows) out.emplace_back(store::EmailJmapId(r.email));
  return out;
}

}  // namespace

MethodResult EmailQuery(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  ParsedEmailQuery parsed;
  if (auto e = ParseEmailQuery(args, parsed)) return {{}, e};
  std::optional<MethodError> error;
  auto position = ReadInt(args, "position", 0, INT64_MIN / 2, INT64_MAX / 2, error);
  auto anchor_offset = ReadInt(args, "anchorOffset", 0, INT64_MIN / 2, INT64_MAX / 2, error);
  auto limit = ReadInt(args, "limit", kMaxLimit, 0, INT64_MAX, error);
  bool want_total = ReadBool(args, "calculateTotal", false, error);
  std::optional<std::string> anchor;
  if (const auto* a = args.if_contains("anchor"); a && !a->is_null()) {
    if (!a->is_string()) return {{}, InvalidArguments("anchor must be an id")};
    anchor = std::string(a->get_string());
  }
  if (error) return {{}, error};
  json::object out{{"accountId", AccountJmapId(c.who.account)}};
  int64_t window = std::min(*limit, kMaxLimit);
  // RFC 8620 5.5: "limit" is returned when the server set one, or cut the one given.
  const auto* given = args.if_contains("limit");
  if (window < *limit || !given || given->is_null()) out["limit"] = window;
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  int64_t start = *position;
  store::EmailQueryResult result;
  if (anchor || start < 0) {
    // The whole result is needed to find the anchor, or the end a negative position counts from.
    auto all = c.store.QueryEmails(c.who.account, parsed.query, 0, -1, false);
    if (!all) return {{}, ServerFail(c, all.error(), "cannot run the query")};
    int64_t total = static_cast<int64_t>(all->rows.size());
    if (anchor) {
      auto row = store::ParseJmapId(*anchor, 'E');
      auto it = std::find_if(all->rows.begin(), all->rows.end(),
                             [&](const auto& r) { return row && r.email == *row; });
      if (it == all->rows.end()) return MethodResult::Error("anchorNotFound", "no such anchor");
      start = std::max<int64_t>(0, (it - all->rows.begin()) + *anchor_offset);
    } else {
      start = std::max<int64_t>(0, total + start);
    }
    int64_t end = std::min(total, start + window);
    if (start < end) result.rows.assign(all->rows.begin() + start, all->rows.begin() + end);
    result.total = total;
  } else {
    auto r = c.store.QueryEmails(c.who.account, parsed.query, start, window, want_total);
    if (!r) return {{}, ServerFail(c, r.error(), "cannot run the query")};
    result = std::move(*r);
  }
  out["queryState"] = StateString(account->email_state);
  out["canCalculateChanges"] = !parsed.thread_dependent;
  out["collapseThreads"] = parsed.query.collapse_threads;
  out["position"] = start;
  out["ids"] = Ids(result.rows);
  if (want_total) out["total"] = result.total;
  return {std::move(out), {}};
}

MethodResult EmailQueryChanges(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  ParsedEmailQuery parsed;
  if (auto e = ParseEmailQuery(args, parsed)) return {{}, e};
  const auto* since = args.if_contains("sinceQueryState");
  if (!since || !since->is_string()) {
    return {{}, InvalidArguments("sinceQueryState must be a string")};
  }
  std::optional<MethodError> error;
  auto max_changes = ReadInt(args, "maxChanges", INT64_MAX, 1, INT64_MAX, error);
  bool want_total = ReadBool(args, "calculateTotal", false, error);
  if (error) return {{}, error};
  // Keyword conditions on threads depend on other emails than the ones the log names.
  if (parsed.thread_dependent) {
    return MethodResult::Error("cannotCalculateChanges", "the query depends on whole threads");
  }
  auto state = ParseState(since->get_string());
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (!state || *state > account->email_state) {
    return MethodResult::Error("cannotCalculateChanges", "unknown state");
  }
  auto changes =
      c.store.ChangesSince(c.who.account, store::DataType::kEmail, *state, kMaxQueryChanges);
  if (!changes || changes->has_more) {
    return MethodResult::Error("cannotCalculateChanges", "too many changes since that state");
  }
  std::set<store::EmailId> changed(changes->updated.begin(), changes->updated.end());
  changed.insert(changes->destroyed.begin(), changes->destroyed.end());
  std::set<store::EmailId> created(changes->created.begin(), changes->created.end());
  std::set<store::ThreadId> threads;
  if (parsed.query.collapse_threads) {
    // Which email stands for a thread can change with any email of it: every email of a
    // thread that changed counts as changed.
    auto thread_changes =
        c.store.ChangesSince(c.who.account, store::DataType::kThread, *state, kMaxQueryChanges);
    if (!thread_changes || thread_changes->has_more) {
      return MethodResult::Error("cannotCalculateChanges", "too many changes since that state");
    }
    for (auto* list :
         {&thread_changes->created, &thread_changes->updated, &thread_changes->destroyed}) {
      threads.insert(list->begin(), list->end());
    }
    for (store::EmailId id : changed) {
      if (auto r = c.store.GetEmail(id); r && r->account == c.who.account)
        threads.insert(r->thread);
    }
    auto members = c.store.ThreadEmails(
        c.who.account, std::vector<store::ThreadId>(threads.begin(), threads.end()));
    if (!members) return {{}, ServerFail(c, members.error(), "cannot read threads")};
    for (const auto& m : *members) {
      if (!created.count(m.email)) changed.insert(m.email);
    }
  }
  auto now = c.store.QueryEmails(c.who.account, parsed.query, 0, -1, false);
  if (!now) return {{}, ServerFail(c, now.error(), "cannot run the query")};
  json::array removed, added;
  // Every changed email may have left the results or moved: removed, and added again where it
  // is now (RFC 8620 5.6 allows removing ids the client never had).
  for (store::EmailId id : changed) removed.emplace_back(store::EmailJmapId(id));
  for (size_t i = 0; i < now->rows.size(); ++i) {
    store::EmailId id = now->rows[i].email;
    if (!changed.count(id) && !created.count(id)) continue;
    added.push_back(
        json::object{{"id", store::EmailJmapId(id)}, {"index", static_cast<int64_t>(i)}});
  }
  if (static_cast<int64_t>(removed.size() + added.size()) > *max_changes) {
    return MethodResult::Error("tooManyChanges", "more changes than maxChanges");
  }
  json::object out{{"accountId", AccountJmapId(c.who.account)},
                   {"oldQueryState", since->get_string()},
                   {"newQueryState", StateString(changes->new_state)},
                   {"removed", std::move(removed)},
                   {"added", std::move(added)}};
  if (want_total) out["total"] = static_cast<int64_t>(now->rows.size());
  return {std::move(out), {}};
}

namespace {

std::string EscapeHtml(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// Where the words of `terms` begin and end in `text` (ASCII case-insensitive, a term matches
// the start of a word, as the index's prefix match does).
std::vector<std::pair<size_t, size_t>> FindTerms(std::string_view text,
                                                 const std::vector<std::string>& terms) {
  std::vector<std::pair<size_t, size_t>> hits;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !mime::IsSearchWordOctet(text[i])) ++i;
    size_t start = i;
    while (i < text.size() && mime::IsSearchWordOctet(text[i])) ++i;
    if (i == start) continue;
    std::string word = mime::SearchWords(text.substr(start, i - start)).front();
    for (const auto& t : terms) {
      if (!t.empty() && word.starts_with(t)) {
        hits.emplace_back(start, start + std::min(t.size(), i - start));
        break;
      }
    }
  }
  return hits;
}

// `text` HTML-escaped with every hit in <mark>; nullopt when nothing matched.
std::optional<std::string> Highlight(std::string_view text,
                                     const std::vector<std::pair<size_t, size_t>>& hits) {
  if (hits.empty()) return std::nullopt;
  std::string out;
  size_t at = 0;
  for (auto [b, e] : hits) {
    if (b < at || e > text.size()) continue;
    out += EscapeHtml(text.substr(at, b - at));
    out += "<mark>" + EscapeHtml(text.substr(b, e - b)) + "</mark>";
    at = e;
  }
  out += EscapeHtml(text.substr(at));
  return out;
}

std::string Fold(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

}  // namespace

MethodResult SearchSnippetGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  ParsedEmailQuery parsed;
  if (auto e = ParseEmailQuery(args, parsed)) return {{}, e};
  const auto* ids = args.if_contains("emailIds");
  if (!ids || !ids->is_array()) return {{}, InvalidArguments("emailIds must be an array")};
  if (ids->get_array().size() > c.limits.max_objects_in_get) {
    return MethodResult::Error("requestTooLarge", "more ids than maxObjectsInGet");
  }
  std::vector<std::string> terms;
  for (const auto& text : parsed.search_texts) {
    for (auto& w : mime::SearchWords(text)) terms.push_back(std::move(w));
  }
  json::array list, not_found;
  for (const auto& v : ids->get_array()) {
    if (!v.is_string()) return {{}, InvalidArguments("emailIds must hold ids")};
    ErrorCode failed;
    auto email = ReadEmail(c.store, c.who.account, v.get_string(), failed);
    if (failed) return {{}, ServerFail(c, failed, "cannot read an email")};
    if (!email) {
      not_found.push_back(v);
      continue;
    }
    json::value subject = nullptr, preview = nullptr;
    if (!terms.empty()) {
      if (auto s = Highlight(email->summary.subject, FindTerms(email->summary.subject, terms))) {
        subject = json::string(*s);
      }
      auto bytes = c.store.ReadEmailBytes(email->record->id);
      if (!bytes) return {{}, ServerFail(c, bytes.error(), "cannot read an email's message")};
      if (!email->summary.offsets_known) email->summary = mime::Parse(*bytes);
      std::string body = Fold(BodyText(*bytes, email->summary));
      auto hits = FindTerms(body, terms);
      if (!hits.empty()) {
        // A window of text around the first hit, cut on UTF-8 boundaries.
        size_t begin = hits[0].first > 40 ? hits[0].first - 40 : 0;
        while (begin > 0 && (static_cast<unsigned char>(body[begin]) & 0xC0) == 0x80) --begin;
        std::string_view window =
            mime::CutUtf8(std::string_view(body).substr(begin), kSnippetLength);
        std::vector<std::pair<size_t, size_t>> inside;
        for (auto [b, e] : hits) {
          if (b >= begin && e <= begin + window.size()) inside.emplace_back(b - begin, e - begin);
        }
        preview = json::string(Highlight(window, inside).value_or(EscapeHtml(window)));
      }
    }
    list.push_back(json::object{
        {"emailId", v}, {"subject", std::move(subject)}, {"preview", std::move(preview)}});
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

}  // namespace pushmail::jmap
