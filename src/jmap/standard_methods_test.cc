// The standard methods' shared parts as tables: PatchObjects, filters, collations, dates.
#include "jmap/standard_methods.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "jmap/ids.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

TEST(ApplyPatch, ReplacesAndReachesIntoObjects) {
  struct Case {
    const char* before;
    const char* patch;
    const char* after;  // nullptr: invalidPatch
  };
  const Case cases[] = {
      {R"({"a":1})", R"({"a":2})", R"({"a":2})"},
      {R"({"a":1})", R"({"a":null})", R"({"a":null})"},
      {R"({"k":{"x":true}})", R"({"k/y":true,"k/x":null})", R"({"k":{"y":true}})"},
      {R"({"k":{}})", R"({"k/a~1b~0":true})", R"({"k":{"a/b~":true}})"},
      {R"({"k":[1]})", R"({"k/0":2})", nullptr},
      {R"({"a":1})", R"({"b/c":1})", nullptr},
      {R"({"k":{}})", R"({"k":{},"k/x":true})", nullptr},
  };
  for (const auto& c : cases) {
    json::object object = json::parse(c.before).as_object();
    std::string error;
    bool ok = ApplyPatch(object, json::parse(c.patch).as_object(), error);
    EXPECT_EQ(ok, c.after != nullptr) << c.patch;
    if (ok && c.after) {
      EXPECT_EQ(object, json::parse(c.after).as_object()) << c.patch;
    } else {
      EXPECT_FALSE(error.empty());
    }
  }
  EXPECT_EQ(PatchedProperties(json::parse(R"({"k/x":1,"k/y":2,"a":3})").as_object()),
            (std::vector<std::string>{"k", "a"}));
}

TEST(Filters, OperatorsNestAndConditionsAreChecked) {
  auto check = [](const json::object& o) -> std::optional<MethodError> {
    if (o.contains("bad")) return MethodError{"unsupportedFilter", ""};
    return std::nullopt;
  };
  auto match = [](const json::object& o) { return o.at("v").as_int64() > 2; };
  struct Case {
    const char* filter;
    const char* error;  // expected error type, or "" with `matches`
    bool matches;
  };
  const Case cases[] = {
      {"null", "", true},
      {R"({"v":3})", "", true},
      {R"({"v":1})", "", false},
      {R"({"operator":"AND","conditions":[{"v":3},{"v":1}]})", "", false},
      {R"({"operator":"OR","conditions":[{"v":3},{"v":1}]})", "", true},
      {R"({"operator":"NOT","conditions":[{"v":1}]})", "", true},
      {R"({"operator":"NOT","conditions":[{"operator":"OR","conditions":[{"v":3}]}]})", "", false},
      {R"({"operator":"AND","conditions":[]})", "", true},
      {R"({"operator":"XOR","conditions":[]})", "unsupportedFilter", false},
      {R"({"operator":"AND"})", "invalidArguments", false},
      {R"({"operator":"AND","conditions":[{"bad":1}]})", "unsupportedFilter", false},
      {R"([1])", "invalidArguments", false},
  };
  for (const auto& c : cases) {
    json::value filter = json::parse(c.filter);
    auto error = CheckFilter(filter, check);
    EXPECT_EQ(error ? error->type : "", c.error) << c.filter;
    if (!error) {
      EXPECT_EQ(MatchFilter(filter, match), c.matches) << c.filter;
    }
  }
}

TEST(CompareStrings, FoldsAsciiUnlessOctet) {
  EXPECT_EQ(CompareStrings("Inbox", "inbox", ""), 0);
  EXPECT_LT(CompareStrings("alpha", "Beta", "i;ascii-casemap"), 0);
  EXPECT_GT(CompareStrings("alpha", "Beta", "i;octet"), 0);
  EXPECT_LT(CompareStrings("ab", "abc", ""), 0);
}

TEST(ParseUtcDateTime, TakesRfc3339UtcOnly) {
  EXPECT_EQ(ParseUtcDateTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseUtcDateTime("2026-11-23T05:58:16Z"), 1795413496);
  EXPECT_EQ(ParseUtcDateTime("2026-11-23T05:58:16.123Z"), 1795413496);
  for (const char* bad : {"", "2026-11-23", "2026-11-23T05:58:16", "2026-11-23T05:58:16+01:00",
                          "2026-13-01T00:00:00Z", "2026-11-23 05:58:16Z", "2026-11-23T05:58:16.Z",
                          "x026-11-23T05:58:16Z"}) {
    EXPECT_FALSE(ParseUtcDateTime(bad).has_value()) << bad;
  }
}

TEST(IsEmailAddressList, WantsNameAndEmailOnly) {
  EXPECT_TRUE(IsEmailAddressList(json::parse(R"([])")));
  EXPECT_TRUE(IsEmailAddressList(json::parse(R"([{"name":null,"email":"a@b"},{"email":"c@d"}])")));
  EXPECT_FALSE(IsEmailAddressList(json::parse(R"([{"name":"x"}])")));
  EXPECT_FALSE(IsEmailAddressList(json::parse(R"([{"email":"a@b","x":1}])")));
  EXPECT_FALSE(IsEmailAddressList(json::parse(R"({"email":"a@b"})")));
}

}  // namespace
}  // namespace pushmail::jmap
