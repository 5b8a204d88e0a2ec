#include "client/rules.h"

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cctype>

#include "base/strings.h"

namespace pushmail::client {

namespace {

std::string Where(const toml::source_region& at) {
  if (at.begin.line == 0) return {};
  return "line " + std::to_string(at.begin.line) + ", column " + std::to_string(at.begin.column) +
         ": ";
}

// Reads the rules table by table; the first problem ends the parse.
class RuleReader {
 public:
  explicit RuleReader(std::string* error) : error_(error) {}

  bool Fail(const toml::node& at, const std::string& what) {
    *error_ = Where(at.source()) + what;
    return false;
  }

  bool Pattern(const toml::node& node, std::string_view key, std::optional<std::string>& out) {
    auto s = node.value<std::string>();
    if (!node.is_string() || !s || s->empty() || s->size() > kMaxPattern) {
      return Fail(node, "'" + std::string(key) + "' must be a non-empty string of at most " +
                            std::to_string(kMaxPattern) + " octets");
    }
    out = *s;
    return true;
  }

  bool Size(const toml::node& node, std::string_view key, std::optional<int64_t>& out) {
    auto n = node.value<int64_t>();
    if (!node.is_integer() || !n || *n < 0) {
      return Fail(node, "'" + std::string(key) + "' must be a number of octets (0 or more)");
    }
    out = *n;
    return true;
  }

  bool Flag(const toml::node& node, std::string_view key, bool& out) {
    if (!node.is_boolean()) return Fail(node, "'" + std::string(key) + "' must be true or false");
    out = *node.value<bool>();
    return true;
  }

  bool Headers(const toml::node& node, Rule& rule) {
    const toml::table* t = node.as_table();
    if (!t || t->empty()) return Fail(node, "'header' must be a table of NAME = \"pattern\"");
    for (const auto& [name, value] : *t) {
      std::optional<std::string> pattern;
      if (name.str().empty() || name.str().size() > kMaxPattern) {
        return Fail(value, "a header name must be 1 to " + std::to_string(kMaxPattern) + " octets");
      }
      if (!Pattern(value, "header." + std::string(name.str()), pattern)) return false;
      rule.headers.emplace_back(std::string(name.str()), *pattern);
    }
    return true;
  }

  bool Keywords(const toml::node& node, RuleActions& actions) {
    const toml::array* list = node.as_array();
    if (!list || list->empty()) return Fail(node, "'flag' must be a list like [\"+flagged\"]");
    for (const auto& item : *list) {
      auto s = item.value<std::string>();
      auto change = item.is_string() && s ? ParseKeywordChange(*s) : std::nullopt;
      if (!change) return Fail(item, "'flag' entries look like \"+flagged\" or \"-seen\"");
      (change->first ? actions.add_keywords : actions.remove_keywords).push_back(change->second);
    }
    return true;
  }

  bool Key(std::string_view key, const toml::node& value, Rule& rule) {
    RuleActions& a = rule.actions;
    if (key == "name") {
      std::optional<std::string> name;
      if (!Pattern(value, key, name)) return false;
      rule.name = *name;
      return true;
    }
    if (key == "from") return Pattern(value, key, rule.from);
    if (key == "to") return Pattern(value, key, rule.to);
    if (key == "subject") return Pattern(value, key, rule.subject);
    if (key == "header") return Headers(value, rule);
    if (key == "size_above") return Size(value, key, rule.size_above);
    if (key == "size_below") return Size(value, key, rule.size_below);
    if (key == "move") return Pattern(value, key, a.move);
    if (key == "flag") return Keywords(value, a);
    if (key == "notify") return Flag(value, key, a.notify);
    if (key == "silent") return Flag(value, key, a.silent);
    if (key == "continue") return Flag(value, key, rule.keep_going);
    if (key == "mark_read") {
      bool read = false;
      if (!Flag(value, key, read)) return false;
      if (read) a.add_keywords.emplace_back("$seen");
      return true;
    }
    return Fail(value, "unknown key '" + std::string(key) + "'");
  }

  bool Read(const toml::table& table, size_t index, RuleSet& out) {
    Rule rule;
    rule.name = "rule " + std::to_string(index + 1);
    for (const auto& [key, value] : table) {
      if (!Key(key.str(), value, rule)) return false;
    }
    bool conditions = rule.from || rule.to || rule.subject || !rule.headers.empty() ||
                      rule.size_above || rule.size_below;
    if (!conditions) {
      return Fail(table, "'" + rule.name +
                             "' has no condition (from, to, subject, header, size_above, "
                             "size_below)");
    }
    if (rule.actions.empty()) {
      return Fail(table,
                  "'" + rule.name + "' has no action (move, flag, mark_read, notify, silent)");
    }
    out.rules.push_back(std::move(rule));
    return true;
  }

 private:
  std::string* error_;
};

bool AnyMatches(const std::string& pattern, const std::vector<std::string>& values) {
  return std::any_of(values.begin(), values.end(),
                     [&](const std::string& v) { return GlobMatch(pattern, v); });
}

bool Matches(const Rule& r, const MessageFacts& m) {
  if (r.from && !AnyMatches(*r.from, m.from)) return false;
  if (r.to && !AnyMatches(*r.to, m.to)) return false;
  if (r.subject && !GlobMatch(*r.subject, m.subject)) return false;
  if (r.size_above && m.size <= *r.size_above) return false;
  if (r.size_below && m.size >= *r.size_below) return false;
  for (const auto& wanted : r.headers) {
    bool found = std::any_of(m.headers.begin(), m.headers.end(), [&wanted](const auto& h) {
      return EqualsIgnoreCase(h.first, wanted.first) && GlobMatch(wanted.second, h.second);
    });
    if (!found) return false;
  }
  return true;
}

void Merge(const RuleActions& from, RuleActions& into) {
  if (from.move) into.move = from.move;
  for (const auto& k : from.add_keywords) into.add_keywords.push_back(k);
  for (const auto& k : from.remove_keywords) into.remove_keywords.push_back(k);
  into.notify = into.notify || from.notify;
  into.silent = into.silent || from.silent;
}

}  // namespace

std::optional<RuleSet> ParseRules(std::string_view text, std::string* error) {
  if (text.size() > kMaxRulesFile) {
    *error = "the rules file is larger than " + std::to_string(kMaxRulesFile) + " octets";
    return std::nullopt;
  }
  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    *error = Where(e.source()) + std::string(e.description());
    return std::nullopt;
  }
  RuleReader reader(error);
  RuleSet out;
  for (const auto& [key, value] : root) {
    if (key.str() != "rule") {
      reader.Fail(value,
                  "unknown key '" + std::string(key.str()) + "' (rules are [[rule]] tables)");
      return std::nullopt;
    }
  }
  const toml::node* rules = root.get("rule");
  if (!rules) return out;
  const toml::array* list = rules->as_array();
  if (!list) {
    reader.Fail(*rules, "'rule' must be an array of tables: write [[rule]]");
    return std::nullopt;
  }
  if (list->size() > kMaxRules) {
    *error = "more than " + std::to_string(kMaxRules) + " rules";
    return std::nullopt;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const toml::table* t = (*list)[i].as_table();
    if (!t) {
      reader.Fail((*list)[i], "each rule must be a table: write [[rule]]");
      return std::nullopt;
    }
    if (!reader.Read(*t, i, out)) return std::nullopt;
  }
  return out;
}

Verdict ApplyRules(const RuleSet& rules, const MessageFacts& message) {
  Verdict out;
  for (const auto& rule : rules.rules) {
    if (!Matches(rule, message)) continue;
    out.matched.push_back(rule.name);
    Merge(rule.actions, out.actions);
    if (!rule.keep_going) break;
  }
  return out;
}

bool GlobMatch(std::string_view pattern, std::string_view text) {
  // The classic greedy matcher with one backtrack point: O(pattern * text) at worst.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() &&
        (pattern[p] == '?' || AsciiLower(pattern[p]) == AsciiLower(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<std::pair<bool, std::string>> ParseKeywordChange(std::string_view change) {
  bool add = true;
  if (!change.empty() && (change[0] == '+' || change[0] == '-')) {
    add = change[0] == '+';
    change.remove_prefix(1);
  }
  if (change.empty() || change.size() > 255) return std::nullopt;
  std::string keyword;
  for (char c : change) {
    bool allowed =
        c > 0x20 && c < 0x7f && std::string_view("(){]%*\"\\,").find(c) == std::string_view::npos;
    if (!allowed) return std::nullopt;
    keyword += AsciiLower(c);
  }
  static constexpr std::array<std::string_view, 8> kSystem = {
      "seen", "flagged", "answered", "draft", "forwarded", "junk", "notjunk", "phishing"};
  if (std::find(kSystem.begin(), kSystem.end(), keyword) != kSystem.end()) keyword = "$" + keyword;
  return std::pair{add, keyword};
}

std::string DescribeActions(const RuleActions& a) {
  std::vector<std::string> parts;
  if (a.move) parts.push_back("move to " + *a.move);
  for (const auto& k : a.add_keywords) parts.push_back(k == "$seen" ? "mark read" : "+" + k);
  for (const auto& k : a.remove_keywords) parts.push_back(k == "$seen" ? "mark unread" : "-" + k);
  if (a.notify) parts.emplace_back("notify");
  if (a.silent) parts.emplace_back("silent");
  if (parts.empty()) return "show as usual";
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

}  // namespace pushmail::client
