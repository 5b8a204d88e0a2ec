// JMAP request parsing: a table of bad requests and the request-level error each gets.
#include "jmap/request.h"

#include <gtest/gtest.h>

namespace pushmail::jmap {
namespace {

const std::vector<std::string_view> kKnown = {kCoreCapability, kMailCapability};

std::variant<Request, RequestError> Parse(std::string_view body, unsigned max_calls = 4) {
  RequestLimits limits;
  limits.max_size_request = 512;
  limits.max_calls_in_request = max_calls;
  limits.max_depth = 16;
  return ParseRequest(body, limits, kKnown);
}

TEST(JmapRequest, ParsesCallsAndCreatedIds) {
  auto r =
      Parse(R"({"using":["urn:ietf:params:jmap:core"],"methodCalls":[["Core/echo",{"a":1},"c1"],)"
            R"(["Mailbox/get",{},"c2"]],"createdIds":{"k1":"M3"}})");
  ASSERT_TRUE(std::holds_alternative<Request>(r));
  const auto& request = std::get<Request>(r);
  EXPECT_EQ(request.capabilities, std::vector<std::string>{"urn:ietf:params:jmap:core"});
  ASSERT_EQ(request.calls.size(), 2u);
  EXPECT_EQ(request.calls[0].name, "Core/echo");
  EXPECT_EQ(request.calls[0].arguments.at("a").as_int64(), 1);
  EXPECT_EQ(request.calls[1].call_id, "c2");
  ASSERT_TRUE(request.created_ids.has_value());
  EXPECT_EQ(request.created_ids->at("k1").as_string(), "M3");
}

struct BadCase {
  const char* body;
  const char* type;   // the suffix after urn:ietf:params:jmap:error:
  const char* limit;  // for "limit"
};

TEST(JmapRequest, BadRequestsGetTheirErrors) {
  const std::string deep = std::string(40, '[') + std::string(40, ']');
  const std::string big = R"({"using":[],"methodCalls":[],"x":")" + std::string(600, 'x') + "\"}";
  const BadCase cases[] = {
      {"", "notJSON", ""},
      {"{", "notJSON", ""},
      {"{\"using\":[],\"methodCalls\":[]} trailing", "notJSON", ""},
      {"{\"using\":[],\"methodCalls\":[],}", "notJSON", ""},         // no trailing commas in I-JSON
      {"{\"using\":[\"\xff\"],\"methodCalls\":[]}", "notJSON", ""},  // not UTF-8
      {deep.c_str(), "notJSON", ""},                                 // nested too deep
      {"[]", "notRequest", ""},
      {"\"text\"", "notRequest", ""},
      {"{}", "notRequest", ""},
      {"{\"using\":[]}", "notRequest", ""},
      {"{\"methodCalls\":[]}", "notRequest", ""},
      {"{\"using\":\"urn:ietf:params:jmap:core\",\"methodCalls\":[]}", "notRequest", ""},
      {"{\"using\":[1],\"methodCalls\":[]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":{}}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[[\"Core/echo\",{}]]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[[\"Core/echo\",[],\"c\"]]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[[1,{},\"c\"]]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[[\"Core/echo\",{},7]]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[[\"Core/echo\",{},\"c\",1]]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[],\"createdIds\":[]}", "notRequest", ""},
      {"{\"using\":[],\"methodCalls\":[],\"createdIds\":{\"a\":1}}", "notRequest", ""},
      {"{\"using\":[\"urn:x:nope\"],\"methodCalls\":[]}", "unknownCapability", ""},
      {"{\"using\":[\"urn:ietf:params:jmap:core\",\"urn:ietf:params:jmap:mail:\"],"
       "\"methodCalls\":[]}",
       "unknownCapability", ""},
      {"{\"using\":[],\"methodCalls\":[[\"a\",{},\"1\"],[\"a\",{},\"2\"],[\"a\",{},\"3\"],"
       "[\"a\",{},\"4\"],[\"a\",{},\"5\"]]}",
       "limit", "maxCallsInRequest"},
      {big.c_str(), "limit", "maxSizeRequest"},
  };
  for (const auto& c : cases) {
    auto r = Parse(c.body);
    ASSERT_TRUE(std::holds_alternative<RequestError>(r)) << c.body;
    const auto& e = std::get<RequestError>(r);
    EXPECT_EQ(e.type, std::string("urn:ietf:params:jmap:error:") + c.type) << c.body;
    EXPECT_EQ(e.limit, c.limit) << c.body;
    EXPECT_EQ(e.status, 400);
    auto problem = e.ToJson();
    EXPECT_EQ(problem.at("type").as_string(), e.type);
    EXPECT_EQ(problem.at("status").as_int64(), 400);
  }
}

}  // namespace
}  // namespace pushmail::jmap
