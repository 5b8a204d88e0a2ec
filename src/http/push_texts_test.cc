// Push texts shared across the streams of a worker: the same bytes as making them per stream,
// never one stream's text for another's types, account, push sequence or kind.
#include "http/push_texts.h"

#include <gtest/gtest.h>

#include "jmap/push.h"
#include "jmap/websocket.h"

namespace pushmail::http {
namespace {

using store::Bit;
using store::DataType;

hub::Event Change(store::AccountId account, uint64_t push_seq, store::DataTypes changed) {
  store::StateChange c;
  c.account = account;
  c.push_seq = push_seq;
  c.email_state = static_cast<store::ModSeq>(10 * push_seq);
  c.mailbox_state = static_cast<store::ModSeq>(10 * push_seq + 1);
  c.thread_state = static_cast<store::ModSeq>(10 * push_seq + 2);
  c.changed = changed;
  return std::make_shared<const store::StateChange>(c);
}

TEST(PushTexts, SameBytesAsMadePerStream) {
  auto event = Change(7, 42, Bit(DataType::kEmail) | Bit(DataType::kMailbox));
  PushTexts texts;
  EXPECT_EQ(texts.Get(event, PushKind::kEventSource, jmap::kAllDataTypes),
            jmap::StateEvent(jmap::StateChangeJson(*event, jmap::kAllDataTypes)));
  EXPECT_EQ(texts.Get(event, PushKind::kEventSource, jmap::kAllDataTypes),
            "event: state\ndata: {\"@type\":\"StateChange\",\"changed\":{\"A7\":{\"Mailbox\":"
            "\"421\",\"Email\":\"420\"}},\"pushSeq\":{\"A7\":42}}\n\n");
  // A WebSocket text frame (FIN, opcode 1, unmasked) around the RFC 8887 StateChange.
  const std::string& frame = texts.Get(event, PushKind::kWebSocket, jmap::kAllDataTypes);
  std::string json = jmap::WsStateChange(*event, jmap::kAllDataTypes);
  ASSERT_GT(frame.size(), json.size());
  EXPECT_EQ(static_cast<uint8_t>(frame[0]), 0x81);
  EXPECT_EQ(frame.substr(frame.size() - json.size()), json);
  EXPECT_NE(json.find("\"pushState\":\"42.421.420.422\""), std::string::npos);
  EXPECT_EQ(texts.made(), 2u);
}

TEST(PushTexts, SharedPerEventKindAndWantedTypes) {
  auto event = Change(7, 42, Bit(DataType::kEmail) | Bit(DataType::kMailbox));
  PushTexts texts;
  std::string all = texts.Get(event, PushKind::kEventSource, jmap::kAllDataTypes);
  // Types the event did not change do not matter: "*" and "Email,Mailbox,Thread" share.
  auto mail = Bit(DataType::kEmail) | Bit(DataType::kMailbox) | Bit(DataType::kThread);
  EXPECT_EQ(texts.Get(event, PushKind::kEventSource, mail), all);
  EXPECT_EQ(texts.made(), 1u);
  // Types it did change do: Email alone is another text, with Email only.
  std::string email = texts.Get(event, PushKind::kEventSource, Bit(DataType::kEmail));
  EXPECT_NE(email, all);
  EXPECT_EQ(email.find("Mailbox"), std::string::npos);
  EXPECT_EQ(email, jmap::StateEvent(jmap::StateChangeJson(*event, Bit(DataType::kEmail))));
  EXPECT_EQ(texts.made(), 2u);
  // Nothing wanted changed: no text, for either kind.
  EXPECT_EQ(texts.Get(event, PushKind::kEventSource, Bit(DataType::kThread)), "");
  EXPECT_EQ(texts.Get(event, PushKind::kWebSocket, 0), "");
  // And the first text is still the same.
  EXPECT_EQ(texts.Get(event, PushKind::kEventSource, jmap::kAllDataTypes), all);
}

TEST(PushTexts, NeverAnotherEventsText) {
  PushTexts texts;
  // Two accounts' events with equal contents apart from the account, the next push of one
  // account, and more distinct texts than the cache keeps, asked for in turn, twice.
  std::vector<hub::Event> events;
  for (store::AccountId a = 1; a <= 6; ++a) {
    events.push_back(Change(a, 5, Bit(DataType::kEmail)));
    events.push_back(Change(a, 6, Bit(DataType::kEmail) | Bit(DataType::kThread)));
  }
  for (int round = 0; round < 2; ++round) {
    for (const auto& e : events) {
      for (PushKind kind : {PushKind::kEventSource, PushKind::kWebSocket}) {
        for (store::DataTypes wanted :
             {jmap::kAllDataTypes, Bit(DataType::kThread), Bit(DataType::kEmail)}) {
          EXPECT_EQ(texts.Get(e, kind, wanted), MakePushText(*e, kind, wanted))
              << "account " << e->account << " seq " << e->push_seq;
        }
      }
    }
  }
  // An event freed and another made (possibly at the same address) is not mistaken for it.
  std::string old = texts.Get(events[0], PushKind::kEventSource, jmap::kAllDataTypes);
  events.clear();
  auto fresh = Change(9, 1, Bit(DataType::kEmail));
  EXPECT_NE(texts.Get(fresh, PushKind::kEventSource, jmap::kAllDataTypes), old);
  EXPECT_EQ(texts.Get(fresh, PushKind::kEventSource, jmap::kAllDataTypes),
            MakePushText(*fresh, PushKind::kEventSource, jmap::kAllDataTypes));
}

}  // namespace
}  // namespace pushmail::http
