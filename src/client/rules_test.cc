#include "client/rules.h"

#include <gtest/gtest.h>

namespace pushmail::client {
namespace {

RuleSet Parse(std::string_view text) {
  std::string error;
  auto rules = ParseRules(text, &error);
  EXPECT_TRUE(rules) << error;
  return rules ? *rules : RuleSet{};
}

MessageFacts Message() {
  MessageFacts m;
  m.from = {"news@lists.example.org", "Example News <news@lists.example.org>"};
  m.to = {"alice@example.test"};
  m.subject = "[announce] Release 2.0";
  m.headers = {{"List-Id", "Announcements <announce.lists.example.org>"}, {"X-Spam", "no"}};
  m.size = 4000;
  return m;
}

TEST(Rules, ParsesEveryKey) {
  RuleSet set = Parse(R"(
[[rule]]
name = "lists"
from = "*@lists.example.org"
to = "alice@*"
subject = "*announce*"
header = { "List-Id" = "*announce*", "X-Spam" = "no" }
size_above = 100
size_below = 5000
move = "Archive"
flag = ["+flagged", "-seen", "label"]
mark_read = true
notify = true
silent = false
continue = true
)");
  ASSERT_EQ(set.rules.size(), 1u);
  const Rule& r = set.rules[0];
  EXPECT_EQ(r.name, "lists");
  EXPECT_EQ(*r.from, "*@lists.example.org");
  EXPECT_EQ(r.headers.size(), 2u);
  EXPECT_EQ(*r.size_above, 100);
  EXPECT_EQ(*r.actions.move, "Archive");
  EXPECT_EQ(r.actions.add_keywords, (std::vector<std::string>{"$flagged", "label", "$seen"}));
  EXPECT_EQ(r.actions.remove_keywords, (std::vector<std::string>{"$seen"}));
  EXPECT_TRUE(r.actions.notify);
  EXPECT_TRUE(r.keep_going);
  EXPECT_TRUE(ApplyRules(set, Message()).matched == std::vector<std::string>{"lists"});
}

TEST(Rules, EmptyFileHasNoRules) {
  EXPECT_TRUE(Parse("").rules.empty());
  EXPECT_TRUE(Parse("# only a comment\n").rules.empty());
}

TEST(Rules, FirstMatchDecidesUnlessContinue) {
  RuleSet set = Parse(R"(
[[rule]]
subject = "*release*"
notify = true
continue = true
[[rule]]
from = "news@*"
move = "Lists"
[[rule]]
from = "*"
silent = true
)");
  Verdict v = ApplyRules(set, Message());
  EXPECT_EQ(v.matched, (std::vector<std::string>{"rule 1", "rule 2"}));
  EXPECT_TRUE(v.actions.notify);
  EXPECT_EQ(*v.actions.move, "Lists");
  EXPECT_FALSE(v.actions.silent);
  EXPECT_EQ(DescribeActions(v.actions), "move to Lists, notify");
}

TEST(Rules, EveryConditionMustHold) {
  MessageFacts m = Message();
  struct Case {
    const char* rule;
    bool matches;
  };
  const Case cases[] = {
      {"from = \"news@lists.example.org\"", true},
      {"from = \"NEWS@LISTS.EXAMPLE.ORG\"", true},
      {"from = \"Example News <*>\"", true},
      {"from = \"news@\"", false},  // a glob matches the whole value
      {"to = \"alice@example.test\"", true},
      {"to = \"bob@*\"", false},
      {"subject = \"*release ?.0\"", true},
      {"subject = \"release*\"", false},
      {"header = { \"list-id\" = \"*<announce.*\" }", true},
      {"header = { \"List-Id\" = \"*other*\" }", false},
      {"header = { \"X-Missing\" = \"*\" }", false},
      {"size_above = 3999", true},
      {"size_above = 4000", false},
      {"size_below = 4001", true},
      {"size_below = 4000", false},
      {"from = \"*\"\nsubject = \"nothing\"", false},
  };
  for (const auto& c : cases) {
    RuleSet set = Parse("[[rule]]\n" + std::string(c.rule) + "\nnotify = true\n");
    EXPECT_EQ(!ApplyRules(set, m).matched.empty(), c.matches) << c.rule;
  }
}

TEST(Rules, BadInputIsAnErrorWithItsPlace) {
  struct Case {
    std::string text;
    std::string error;  // a part of the message
  };
  const Case cases[] = {
      {"[[rule]\nfrom = \"x\"", "line 1"},
      {"rule = 3", "array of tables"},
      {"rule = [1, 2]", "must be a table"},
      {"other = 1", "unknown key 'other'"},
      {"[[rule]]\nfrom = \"x\"\nnotify = true\nbogus = 1", "line 4, column 9: unknown key 'bogus'"},
      {"[[rule]]\nfrom = 3\nnotify = true", "'from' must be a non-empty string"},
      {"[[rule]]\nfrom = \"\"\nnotify = true", "'from' must be a non-empty string"},
      {"[[rule]]\nfrom = \"x\"", "has no action"},
      {"[[rule]]\nnotify = true", "has no condition"},
      {"[[rule]]\nname = \"n\"\nmove = \"A\"", "'n' has no condition"},
      {"[[rule]]\nfrom = \"x\"\nnotify = \"yes\"", "'notify' must be true or false"},
      {"[[rule]]\nfrom = \"x\"\nsize_above = -1\nnotify = true", "'size_above' must be a number"},
      {"[[rule]]\nfrom = \"x\"\nsize_above = 1.5\nnotify = true", "'size_above' must be a number"},
      {"[[rule]]\nfrom = \"x\"\nflag = \"+seen\"", "'flag' must be a list"},
      {"[[rule]]\nfrom = \"x\"\nflag = []", "'flag' must be a list"},
      {"[[rule]]\nfrom = \"x\"\nflag = [\"+bad word\"]", "'flag' entries"},
      {"[[rule]]\nfrom = \"x\"\nflag = [3]", "'flag' entries"},
      {"[[rule]]\nheader = \"List-Id\"\nnotify = true", "'header' must be a table"},
      {"[[rule]]\nheader = {}\nnotify = true", "'header' must be a table"},
      {"[[rule]]\nheader = { \"X\" = 1 }\nnotify = true", "'header.X' must be"},
      {"[[rule]]\nfrom = \"" + std::string(kMaxPattern + 1, 'a') + "\"\nnotify = true",
       "at most 1000"},
      {std::string(kMaxRulesFile + 1, '#'), "larger than"},
      {"\xff\xfe", "line 1"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(ParseRules(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.error), std::string::npos) << c.text.substr(0, 60) << " -> " << error;
  }
}

TEST(Rules, TooManyRules) {
  std::string text;
  for (size_t i = 0; i <= kMaxRules; ++i) text += "[[rule]]\nfrom = \"x\"\nnotify = true\n";
  std::string error;
  EXPECT_FALSE(ParseRules(text, &error));
  EXPECT_NE(error.find("more than"), std::string::npos) << error;
}

TEST(Glob, Table) {
  struct Case {
    const char* pattern;
    const char* text;
    bool match;
  };
  const Case cases[] = {
      {"", "", true},
      {"", "a", false},
      {"*", "", true},
      {"*", "anything", true},
      {"a*c", "abbbc", true},
      {"a*c", "abbb", false},
      {"?", "x", true},
      {"?", "", false},
      {"*@x.org", "me@x.org", true},
      {"*@x.org", "me@x.org.evil", false},
      {"A?C", "abc", true},
      {"**a**", "banana", true},
      {"*a*b*c*", "aXbYc", true},
      {"*a*b*c*", "acb", false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.text), c.match) << c.pattern << " ~ " << c.text;
  }
  // No exponential backtracking.
  EXPECT_FALSE(GlobMatch(std::string(50, '*') + "b", std::string(100000, 'a')));
}

TEST(KeywordChange, Table) {
  using Change = std::optional<std::pair<bool, std::string>>;
  EXPECT_EQ(ParseKeywordChange("+seen"), (Change{{true, "$seen"}}));
  EXPECT_EQ(ParseKeywordChange("-Flagged"), (Change{{false, "$flagged"}}));
  EXPECT_EQ(ParseKeywordChange("$Junk"), (Change{{true, "$junk"}}));
  EXPECT_EQ(ParseKeywordChange("work"), (Change{{true, "work"}}));
  for (const char* bad : {"", "+", "-", "+a b", "+a(b", "+a]b", "+a\"b", "+a\\b", "+a,b", "+a%",
                          "+a*", "+\x01", "+\xc3\xa9"}) {
    EXPECT_FALSE(ParseKeywordChange(bad)) << bad;
  }
  EXPECT_FALSE(ParseKeywordChange("+" + std::string(256, 'k')));
}

}  // namespace
}  // namespace pushmail::client
