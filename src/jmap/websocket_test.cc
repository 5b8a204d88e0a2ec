#include "jmap/websocket.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

TEST(JmapWebSocket, ClassifiesMessages) {
  auto m = ParseWsMessage(R"({"@type":"Request","id":"r1","using":[],"methodCalls":[]})");
  ASSERT_TRUE(std::holds_alternative<WsRequest>(m));
  EXPECT_EQ(std::get<WsRequest>(m).id, "r1");
  m = ParseWsMessage(
      R"({"@type":"WebSocketPushEnable","dataTypes":["Email"],"pushState":"1.2.3.4"})");
  ASSERT_TRUE(std::holds_alternative<WsPushEnable>(m));
  EXPECT_EQ(std::get<WsPushEnable>(m).types, store::Bit(store::DataType::kEmail));
  EXPECT_EQ(std::get<WsPushEnable>(m).push_state, "1.2.3.4");
  m = ParseWsMessage(R"({"@type":"WebSocketPushEnable","dataTypes":null})");
  ASSERT_TRUE(std::holds_alternative<WsPushEnable>(m));
  EXPECT_EQ(std::get<WsPushEnable>(m).types, kAllDataTypes);
  m = ParseWsMessage(R"({"@type":"WebSocketPushEnable","dataTypes":[]})");
  EXPECT_EQ(std::get<WsPushEnable>(m).types, 0);
  m = ParseWsMessage(R"({"@type":"WebSocketPushEnable","dataTypes":["Foo","Thread"]})");
  EXPECT_EQ(std::get<WsPushEnable>(m).types, store::Bit(store::DataType::kThread));
  EXPECT_TRUE(
      std::holds_alternative<WsPushDisable>(ParseWsMessage(R"({"@type":"WebSocketPushDisable"})")));
}

TEST(JmapWebSocket, BadMessages) {
  struct Case {
    const char* text;
    const char* type;
  } cases[] = {
      {"not json", "urn:ietf:params:jmap:error:notJSON"},
      {"[1]", "urn:ietf:params:jmap:error:notRequest"},
      {R"({"using":[]})", "urn:ietf:params:jmap:error:notRequest"},
      {R"({"@type":"Nope"})", "urn:ietf:params:jmap:error:notRequest"},
      {R"({"@type":"Request","id":7})", "urn:ietf:params:jmap:error:notRequest"},
      {R"({"@type":"WebSocketPushEnable","dataTypes":"Email"})",
       "urn:ietf:params:jmap:error:notRequest"},
      {R"({"@type":"WebSocketPushEnable","dataTypes":["E mail"]})",
       "urn:ietf:params:jmap:error:notRequest"},
      {R"({"@type":"WebSocketPushEnable","pushState":5})", "urn:ietf:params:jmap:error:notRequest"},
  };
  for (const auto& c : cases) {
    auto m = ParseWsMessage(c.text);
    ASSERT_TRUE(std::holds_alternative<WsBad>(m)) << c.text;
    EXPECT_EQ(std::get<WsBad>(m).error.type, c.type) << c.text;
  }
  auto deep = std::string(100, '[') + std::string(100, ']');
  EXPECT_TRUE(std::holds_alternative<WsBad>(ParseWsMessage(deep)));
  auto bad = std::get<WsBad>(ParseWsMessage(R"({"@type":"Nope","id":"x"})"));
  auto wire = json::parse(WsResponse(bad.error, bad.id)).as_object();
  EXPECT_EQ(wire["@type"], "RequestError");
  EXPECT_EQ(wire["requestId"], "x");
  EXPECT_EQ(wire["status"], 400);
}

TEST(JmapWebSocket, ResponseCarriesRequestId) {
  json::object answer{{"methodResponses", json::array()}, {"sessionState", "s1"}};
  auto wire = json::parse(WsResponse(answer, std::string("abc"))).as_object();
  EXPECT_EQ(wire["@type"], "Response");
  EXPECT_EQ(wire["requestId"], "abc");
  EXPECT_EQ(wire["sessionState"], "s1");
  wire = json::parse(WsResponse(answer, std::nullopt)).as_object();
  EXPECT_FALSE(wire.contains("requestId"));
}

TEST(JmapWebSocket, PushStateRoundTripAndChanges) {
  store::StateChange now{7, 12, 41, 41, 40, 41, 0, {}};
  EXPECT_EQ(PushState(now), "12.40.41.41");
  auto back = ParsePushState("12.40.41.41");
  ASSERT_TRUE(back);
  EXPECT_EQ(back->push_seq, 12u);
  EXPECT_EQ(ChangedSince(*back, now), 0);
  auto old = ParsePushState("10.40.39.39");
  ASSERT_TRUE(old);
  EXPECT_EQ(ChangedSince(*old, now),
            store::Bit(store::DataType::kEmail) | store::Bit(store::DataType::kThread));
  for (const char* bad :
       {"", "1.2.3", "1.2.3.4.5", "a.b.c.d", "1..2.3", "-1.2.3.4", "1.2.3.4 ",
        "1.9223372036854775808.3.4", "1.2.3.18446744073709551615", "18446744073709551616.2.3.4"}) {
    EXPECT_FALSE(ParsePushState(bad)) << bad;
  }
}

TEST(JmapWebSocket, StateChangeHasPushStateAndSeq) {
  store::StateChange change{7, 12, 41, 41, 40, 41, store::Bit(store::DataType::kEmail), {}};
  auto wire = json::parse(WsStateChange(change, kAllDataTypes)).as_object();
  EXPECT_EQ(wire["@type"], "StateChange");
  EXPECT_EQ(wire["pushState"], "12.40.41.41");
  EXPECT_EQ(wire["pushSeq"].as_object()["A7"], 12);
  EXPECT_EQ(wire["changed"].as_object()["A7"].as_object()["Email"], "41");
  EXPECT_EQ(WsStateChange(change, store::Bit(store::DataType::kMailbox)), "");
  EXPECT_EQ(WsStateChange(change, 0), "");
}

}  // namespace
}  // namespace pushmail::jmap
