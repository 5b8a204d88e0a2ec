// Back-references (RFC 8620 3.7): JSON Pointer with "*", and resolution against earlier
// responses, with a table of bad references.
#include "jmap/result_reference.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

json::value J(std::string_view text) { return json::parse(text); }

TEST(JsonPointer, SelectsWithStarAndFlattens) {
  json::value doc = J(R"({"list":[{"id":"a","ids":["x","y"]},{"id":"b","ids":["z"]}],)"
                      R"("a/b":1,"m~n":2,"ids":["p","q"]})");
  EXPECT_EQ(*EvaluatePointer(doc, ""), doc);
  EXPECT_EQ(*EvaluatePointer(doc, "/ids"), J(R"(["p","q"])"));
  EXPECT_EQ(*EvaluatePointer(doc, "/ids/1"), J(R"("q")"));
  EXPECT_EQ(*EvaluatePointer(doc, "/list/*/id"), J(R"(["a","b"])"));
  EXPECT_EQ(*EvaluatePointer(doc, "/list/*/ids"), J(R"(["x","y","z"])"));
  EXPECT_EQ(*EvaluatePointer(doc, "/a~1b"), J("1"));
  EXPECT_EQ(*EvaluatePointer(doc, "/m~0n"), J("2"));
  for (const char* bad :
       {"ids", "/nope", "/ids/2", "/ids/01", "/ids/-1", "/ids/x", "/ids/*/x", "/list/*/nope",
        "/a~2b", "/a~", "/ids/1/x", "/ids/99999999999999999999"}) {
    EXPECT_FALSE(EvaluatePointer(doc, bad).has_value()) << bad;
  }
}

std::vector<Response> Earlier() {
  return {{"Email/changes", J(R"({"created":["E1","E2"],"updated":["E3"]})").as_object(), "c0"},
          {"Mailbox/get", J(R"({"list":[{"id":"M1"},{"id":"M2"}]})").as_object(), "c1"}};
}

TEST(ResultReference, ReplacesHashArguments) {
  json::object args = J(R"({"accountId":"A1","#ids":{"resultOf":"c0","name":"Email/changes",)"
                        R"("path":"/created"}})")
                          .as_object();
  EXPECT_FALSE(ResolveReferences(args, Earlier()).has_value());
  EXPECT_EQ(args.at("ids"), J(R"(["E1","E2"])"));
  EXPECT_FALSE(args.contains("#ids"));
  EXPECT_EQ(args.at("accountId"), J(R"("A1")"));
}

TEST(ResultReference, BadReferencesFail) {
  struct Case {
    const char* args;
    const char* type;
  };
  const Case cases[] = {
      {R"({"#ids":{"resultOf":"c9","name":"Email/changes","path":"/created"}})",
       "invalidResultReference"},
      {R"({"#ids":{"resultOf":"c0","name":"Email/get","path":"/created"}})",
       "invalidResultReference"},
      {R"({"#ids":{"resultOf":"c0","name":"Email/changes","path":"/nope"}})",
       "invalidResultReference"},
      {R"({"#ids":{"resultOf":"c0","name":"Email/changes"}})", "invalidResultReference"},
      {R"({"#ids":{"resultOf":1,"name":"Email/changes","path":"/created"}})",
       "invalidResultReference"},
      {R"({"#ids":"c0"})", "invalidResultReference"},
      {R"({"#ids":null})", "invalidResultReference"},
      {R"({"ids":[],"#ids":{"resultOf":"c0","name":"Email/changes","path":"/created"}})",
       "invalidArguments"},
  };
  for (const auto& c : cases) {
    json::object args = J(c.args).as_object();
    auto error = ResolveReferences(args, Earlier());
    ASSERT_TRUE(error.has_value()) << c.args;
    EXPECT_EQ(error->type, c.type) << c.args;
  }
}

}  // namespace
}  // namespace pushmail::jmap
