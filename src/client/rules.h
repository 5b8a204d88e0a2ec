#pragma once
// Filters: the rules file (TOML) that decides what `watch` does with each pushed message.
// Pure: no I/O, no network. Thread-safe.
//
//   [[rule]]
//   name = "newsletters"            # optional; "rule N" otherwise
//   from = "*@news.example.com"     # glob (* and ?), case-insensitive, whole value; matches an
//   to = "me@example.test"          #   address or "Name <address>" of From / To and Cc
//   subject = "*[announce]*"
//   header = { "List-Id" = "*lists.example.org*" }   # every named field must match
//   size_above = 100000             # octets
//   size_below = 5000000
//   move = "Archive"                # actions: a mailbox name or role
//   flag = ["+flagged", "-seen"]    #   keywords to add (+) or remove (-); "+seen" = mark read
//   mark_read = true
//   notify = true                   #   flagged as important in the output (and a bell on a TTY)
//   silent = true                   #   not printed and no --exec
//   continue = true                 # go on to the next rules after this one matched
//
// Rules are tried in order; the first that matches decides, unless it says `continue = true`,
// in which case later matching rules add their actions (a later `move` wins).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushmail::client {

inline constexpr size_t kMaxRulesFile = 1 << 20;
inline constexpr size_t kMaxRules = 1000;
inline constexpr size_t kMaxPattern = 1000;

struct RuleActions {
  std::optional<std::string> move;  // mailbox name, role or id
  std::vector<std::string> add_keywords, remove_keywords;
  bool notify = false;
  bool silent = false;

  bool empty() const {
    return !move && add_keywords.empty() && remove_keywords.empty() && !notify && !silent;
  }
};

struct Rule {
  std::string name;
  std::optional<std::string> from, to, subject;
  std::vector<std::pair<std::string, std::string>> headers;  // name, pattern
  std::optional<int64_t> size_above, size_below;
  RuleActions actions;
  bool keep_going = false;  // `continue = true`
};

struct RuleSet {
  std::vector<Rule> rules;
};

// Parses a rules file. On failure returns nullopt and sets `error` to "line L, column C: what"
// (or just "what"): unknown keys, wrong types, empty patterns, a rule without conditions or
// without actions, and anything over the limits above are errors.
std::optional<RuleSet> ParseRules(std::string_view text, std::string* error);

// What a rule looks at in one message.
struct MessageFacts {
  std::vector<std::string> from;  // each address, and "Name <address>" where there is a name
  std::vector<std::string> to;    // To and Cc, the same way
  std::string subject;
  std::vector<std::pair<std::string, std::string>> headers;  // name, decoded value
  int64_t size = 0;
};

struct Verdict {
  std::vector<std::string> matched;  // names of the rules that matched, in order
  RuleActions actions;
};

Verdict ApplyRules(const RuleSet& rules, const MessageFacts& message);

// Glob match, case-insensitive for ASCII: '*' any run, '?' one octet. Linear-time.
bool GlobMatch(std::string_view pattern, std::string_view text);

// "move to Archive, +$flagged, mark read, notify" (or "show as usual").
std::string DescribeActions(const RuleActions& actions);

}  // namespace pushmail::client

namespace pushmail::client {

// "+seen", "-flagged", "+$label", "label" (= "+label") -> (add?, JMAP keyword). The IMAP system
// flags' names (seen, flagged, answered, draft, forwarded, junk, notjunk, phishing) gain their
// "$"; keywords are lower-cased. nullopt for a keyword JMAP does not allow.
std::optional<std::pair<bool, std::string>> ParseKeywordChange(std::string_view change);

}  // namespace pushmail::client
