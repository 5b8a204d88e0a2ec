// EventSource query parsing and StateChange events.
#include "jmap/push.h"

#include <gtest/gtest.h>

namespace pushmail::jmap {
namespace {

using std::chrono::seconds;

TEST(EventSourceQuery, ParsesAndClampsPing) {
  auto o = ParseEventSourceQuery("types=*&closeafter=no&ping=0", seconds(5), seconds(600));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->types, kAllDataTypes);
  EXPECT_FALSE(o->close_after_state);
  EXPECT_EQ(o->ping, seconds(0));
  o = ParseEventSourceQuery("types=Email%2CMailbox&closeafter=state&ping=1", seconds(5),
                            seconds(600));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->types, store::Bit(store::DataType::kEmail) | store::Bit(store::DataType::kMailbox));
  EXPECT_TRUE(o->close_after_state);
  EXPECT_EQ(o->ping, seconds(5));
  o = ParseEventSourceQuery("ping=99999&types=Email&closeafter=no&x=y", seconds(5), seconds(600));
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(o->ping, seconds(600));
}

TEST(EventSourceQuery, RefusesMalformedQueries) {
  for (const char* bad :
       {"", "types=*", "types=*&closeafter=no", "types=*&closeafter=maybe&ping=0",
        "types=*&closeafter=no&ping=-1", "types=*&closeafter=no&ping=1x",
        "types=*&closeafter=no&ping=", "types=&closeafter=no&ping=0",
        "types=Email,,Mailbox&closeafter=no&ping=0", "types=E%00&closeafter=no&ping=0",
        "types=*&types=*&closeafter=no&ping=0", "types=*&closeafter=no&ping=99999999999",
        "types=*&closeafter=no&ping=1%"}) {
    EXPECT_FALSE(ParseEventSourceQuery(bad, seconds(1), seconds(60)).has_value()) << bad;
  }
}

TEST(StateChangeEvent, ListsChangedWantedTypesAndThePushSequence) {
  store::StateChange change;
  change.account = 7;
  change.push_seq = 42;
  change.email_state = 12;
  change.mailbox_state = 11;
  change.thread_state = 12;
  change.changed = store::Bit(store::DataType::kEmail) | store::Bit(store::DataType::kMailbox);
  store::DataTypes all = kAllDataTypes;
  EXPECT_EQ(StateChangeJson(change, all),
            R"({"@type":"StateChange","changed":{"A7":{"Mailbox":"11","Email":"12"}},)"
            R"("pushSeq":{"A7":42}})");
  store::DataTypes threads = DataTypesNamed({"Thread"});
  EXPECT_EQ(StateChangeJson(change, threads), "");
  EXPECT_NE(StateChangeJson(change, threads, true).find(R"("Thread":"12")"), std::string::npos);
  // The types beyond mail, each under its JMAP name.
  change.identity_state = 3;
  change.submission_state = 4;
  change.vacation_state = 5;
  change.changed = store::Bit(store::DataType::kIdentity) |
                   store::Bit(store::DataType::kEmailSubmission) |
                   store::Bit(store::DataType::kVacationResponse);
  EXPECT_EQ(StateChangeJson(change, all),
            R"({"@type":"StateChange","changed":{"A7":{"Identity":"3","EmailSubmission":"4",)"
            R"("VacationResponse":"5"}},"pushSeq":{"A7":42}})");
  store::DataTypes submissions = DataTypesNamed({"EmailSubmission"});
  EXPECT_EQ(StateChangeJson(change, submissions),
            R"({"@type":"StateChange","changed":{"A7":{"EmailSubmission":"4"}},)"
            R"("pushSeq":{"A7":42}})");
  EXPECT_EQ(StateEvent("{}"), "event: state\ndata: {}\n\n");
  EXPECT_EQ(PingEvent(seconds(30)), "event: ping\ndata: {\"interval\":30}\n\n");
}

}  // namespace
}  // namespace pushmail::jmap
