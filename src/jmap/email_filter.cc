#include "jmap/email_filter.h"

#include <algorithm>

#include "jmap/ids.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

using Filter = store::EmailFilter;
using Op = Filter::Op;

MethodError Invalid(std::string d) { return {"invalidArguments", std::move(d)}; }
MethodError Unsupported(std::string d) { return {"unsupportedFilter", std::move(d)}; }

struct Reader {
  ParsedEmailQuery& out;
  int conditions = 0;

  std::optional<MethodError> Condition(std::string_view key, const json::value& v, Filter& f) {
    auto string = [&](std::string& to) -> std::optional<MethodError> {
      if (!v.is_string()) return Invalid(std::string(key) + " must be a string");
      to = std::string(v.get_string());
      return std::nullopt;
    };
    static constexpr std::pair<std::string_view, Op> kKeywordOps[] = {
        {"hasKeyword", Op::kHasKeyword},
        {"notKeyword", Op::kNotKeyword},
        {"allInThreadHaveKeyword", Op::kAllInThreadHaveKeyword},
        {"someInThreadHaveKeyword", Op::kSomeInThreadHaveKeyword},
        {"noneInThreadHaveKeyword", Op::kNoneInThreadHaveKeyword}};
    static constexpr std::pair<std::string_view, unsigned> kTextOps[] = {
        {"text", ~0u},          {"from", Filter::kFrom}, {"to", Filter::kTo},
        {"cc", Filter::kCc},    {"bcc", Filter::kBcc},   {"subject", Filter::kSubject},
        {"body", Filter::kBody}};
    for (const auto& [name, op] : kKeywordOps) {
      if (key != name) continue;
      f.op = op;
      if (auto e = string(f.text)) return e;
      if (!ValidKeyword(f.text)) return Invalid("not a keyword: " + f.text);
      if (op != Op::kHasKeyword && op != Op::kNotKeyword) out.thread_dependent = true;
      return std::nullopt;
    }
    for (const auto& [name, columns] : kTextOps) {
      if (key != name) continue;
      f.op = Op::kText;
      f.columns = columns;
      if (auto e = string(f.text)) return e;
      if (key == "text" || key == "subject" || key == "body") out.search_texts.push_back(f.text);
      return std::nullopt;
    }
    if (key == "inMailbox") {
      std::string id;
      if (auto e = string(id)) return e;
      auto row = store::ParseJmapId(id, 'M');
      f.op = row ? Op::kInMailbox : Op::kFalse;  // no mailbox of ours holds anything
      f.number = row.value_or(0);
      return std::nullopt;
    }
    if (key == "inMailboxOtherThan") {
      if (!v.is_array()) return Invalid("inMailboxOtherThan must be an array");
      f.op = Op::kInMailboxOtherThan;
      for (const auto& id : v.get_array()) {
        if (!id.is_string()) return Invalid("inMailboxOtherThan must hold ids");
        if (auto row = store::ParseJmapId(id.get_string(), 'M')) f.numbers.push_back(*row);
        if (f.numbers.size() > 256) return Invalid("too many mailboxes");
      }
      return std::nullopt;
    }
    if (key == "before" || key == "after") {
      std::string date;
      if (auto e = string(date)) return e;
      auto t = ParseUtcDate(date);
      if (!t) return Invalid(std::string(key) + " must be a UTCDate");
      f.op = key == "before" ? Op::kBefore : Op::kAfter;
      f.number = *t;
      return std::nullopt;
    }
    if (key == "minSize" || key == "maxSize") {
      if (!v.is_int64() || v.get_int64() < 0) return Invalid(std::string(key) + " must be >= 0");
      f.op = key == "minSize" ? Op::kMinSize : Op::kMaxSize;
      f.number = v.get_int64();
      return std::nullopt;
    }
    if (key == "hasAttachment") {
      if (!v.is_bool()) return Invalid("hasAttachment must be a boolean");
      f.op = Op::kHasAttachment;
      f.number = v.get_bool() ? 1 : 0;
      return std::nullopt;
    }
    if (key == "header") {
      const json::array* a = v.if_array();
      if (!a || a->empty() || a->size() > 2 || !(*a)[0].is_string() ||
          (a->size() == 2 && !(*a)[1].is_string())) {
        return Invalid("header must be [name] or [name, value]");
      }
      f.op = Op::kHeader;
      f.text = std::string((*a)[0].get_string());
      if (f.text.empty() || f.text.find(':') != std::string::npos) {
        return Invalid("not a header name");
      }
      if (a->size() == 2) f.value = std::string((*a)[1].get_string());
      return std::nullopt;
    }
    return Unsupported("unsupported filter condition " + std::string(key));
  }

  std::optional<MethodError> Read(const json::value& v, int depth, Filter& f) {
    if (depth > kMaxFilterDepth) return Unsupported("filter nested too deeply");
    const json::object* o = v.if_object();
    if (!o) return Invalid("a filter must be an object");
    if (const auto* op = o->if_contains("operator")) {
      const auto* list = o->if_contains("conditions");
      if (!op->is_string() || !list || !list->is_array() || o->size() != 2) {
        return Invalid("a FilterOperator has operator and conditions");
      }
      std::string_view name = op->get_string();
      if (name == "AND") {
        f.op = Op::kAnd;
      } else if (name == "OR") {
        f.op = Op::kOr;
      } else if (name == "NOT") {
        f.op = Op::kNot;
      } else {
        return Unsupported("unknown operator " + std::string(name));
      }
      for (const auto& c : list->get_array()) {
        if (auto e = Read(c, depth + 1, f.children.emplace_back())) return e;
      }
      return std::nullopt;
    }
    // A FilterCondition: all of its properties must match.
    f.op = Op::kAnd;
    for (const auto& [key, value] : *o) {
      if (++conditions > kMaxFilterConditions) return Unsupported("too many filter conditions");
      if (auto e = Condition(key, value, f.children.emplace_back())) return e;
    }
    return std::nullopt;
  }
};

std::optional<MethodError> ReadSort(const json::value& v, ParsedEmailQuery& out) {
  using Key = store::EmailSort::Key;
  static constexpr std::pair<std::string_view, Key> kKeys[] = {
      {"receivedAt", Key::kReceivedAt},
      {"size", Key::kSize},
      {"from", Key::kFrom},
      {"to", Key::kTo},
      {"subject", Key::kSubject},
      {"sentAt", Key::kSentAt},
      {"hasKeyword", Key::kHasKeyword},
      {"allInThreadHaveKeyword", Key::kAllInThreadHaveKeyword},
      {"someInThreadHaveKeyword", Key::kSomeInThreadHaveKeyword}};
  const json::array* list = v.if_array();
  if (!list) return Invalid("sort must be an array or null");
  if (list->size() > kMaxSortKeys) return MethodError{"unsupportedSort", "too many sort keys"};
  for (const auto& c : *list) {
    const json::object* o = c.if_object();
    const json::value* p = o ? o->if_contains("property") : nullptr;
    if (!p || !p->is_string()) return Invalid("a Comparator needs a property");
    auto it = std::find_if(std::begin(kKeys), std::end(kKeys),
                           [&](const auto& k) { return k.first == p->get_string(); });
    if (it == std::end(kKeys)) {
      return MethodError{"unsupportedSort", "cannot sort by " + std::string(p->get_string())};
    }
    store::EmailSort s;
    s.key = it->second;
    if (const auto* asc = o->if_contains("isAscending"); asc && !asc->is_null()) {
      if (!asc->is_bool()) return Invalid("isAscending must be a boolean");
      s.ascending = asc->get_bool();
    }
    if (const auto* coll = o->if_contains("collation"); coll && !coll->is_null()) {
      std::string_view name;
      if (coll->is_string()) name = coll->get_string();
      if (name != "i;ascii-casemap" && name != "i;octet" && name != "i;unicode-casemap") {
        return MethodError{"unsupportedSort", "unsupported collation"};
      }
    }
    bool keyed = s.key == Key::kHasKeyword || s.key == Key::kAllInThreadHaveKeyword ||
                 s.key == Key::kSomeInThreadHaveKeyword;
    if (keyed) {
      const auto* k = o->if_contains("keyword");
      if (!k || !k->is_string() || !ValidKeyword(k->get_string())) {
        return Invalid("this sort needs a keyword");
      }
      s.keyword = std::string(k->get_string());
      if (s.key != Key::kHasKeyword) out.thread_dependent = true;
    }
    out.query.sort.push_back(std::move(s));
  }
  return std::nullopt;
}

}  // namespace

bool ValidKeyword(std::string_view k) {
  if (k.empty() || k.size() > 255) return false;
  for (unsigned char c : k) {
    if (c < 0x21 || c > 0x7e) return false;
    if (c == '(' || c == ')' || c == '{' || c == ']' || c == '%' || c == '*' || c == '"' ||
        c == '\\') {
      return false;
    }
  }
  return true;
}

std::optional<MethodError> ParseEmailQuery(const json::object& args, ParsedEmailQuery& out) {
  if (const auto* f = args.if_contains("filter"); f && !f->is_null()) {
    Reader reader{out};
    if (auto e = reader.Read(*f, 0, out.query.filter)) return e;
  }
  if (const auto* s = args.if_contains("sort"); s && !s->is_null()) {
    if (auto e = ReadSort(*s, out)) return e;
  }
  if (const auto* c = args.if_contains("collapseThreads"); c && !c->is_null()) {
    if (!c->is_bool()) return Invalid("collapseThreads must be a boolean");
    out.query.collapse_threads = c->get_bool();
  }
  return std::nullopt;
}

}  // namespace pushmail::jmap
