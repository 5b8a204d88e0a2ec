#include "http/websocket.h"

#include <gtest/gtest.h>

namespace pushmail::http::ws {
namespace {

// A client frame: masked with a fixed key unless `mask` is false.
std::string ClientFrame(uint8_t first, std::string_view payload, bool mask = true) {
  std::string out(1, static_cast<char>(first));
  uint8_t m = mask ? 0x80 : 0;
  if (payload.size() < 126) {
    out += static_cast<char>(m | payload.size());
  } else if (payload.size() <= 0xFFFF) {
    out += static_cast<char>(m | 126);
    out += static_cast<char>(payload.size() >> 8);
    out += static_cast<char>(payload.size() & 0xFF);
  } else {
    out += static_cast<char>(m | 127);
    for (int s = 56; s >= 0; s -= 8) out += static_cast<char>((payload.size() >> s) & 0xFF);
  }
  const char key[4] = {0x12, 0x34, 0x56, 0x78};
  if (mask) out.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    out += mask ? static_cast<char>(payload[i] ^ key[i & 3]) : payload[i];
  }
  return out;
}

// Feeds `data` to a receiver and returns the first event that is not kNeedMore (or kNeedMore).
Event First(std::string data, size_t max = 1 << 20, bool deflate = false) {
  Receiver r(max, deflate);
  for (int round = 0; round < 64; ++round) {
    size_t used = 0;
    Event e = r.Next(data, used);
    data.erase(0, used);
    if (e.kind != Event::Kind::kNeedMore || used == 0) return e;
  }
  return {};
}

TEST(WebSocket, AcceptKeyOfRfc6455Example) {
  EXPECT_EQ(AcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  EXPECT_TRUE(ValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(ValidClientKey("dGhlIHNhbXBsZQ=="));  // 11 octets
  EXPECT_FALSE(ValidClientKey(""));
}

TEST(WebSocket, ListHas) {
  EXPECT_TRUE(ListHas("keep-alive, Upgrade", "upgrade"));
  EXPECT_TRUE(ListHas("jmap", "jmap"));
  EXPECT_FALSE(ListHas("jmapx, foo", "jmap"));
  EXPECT_FALSE(ListHas("", "jmap"));
}

TEST(WebSocket, NegotiatesDeflateWithoutContextTakeover) {
  const std::string kAnswer =
      "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
  EXPECT_EQ(NegotiateDeflate("permessage-deflate"), kAnswer);
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits"), kAnswer);
  EXPECT_EQ(NegotiateDeflate("Permessage-Deflate; Client_Max_Window_Bits"), kAnswer);
  EXPECT_EQ(NegotiateDeflate("x-webkit-deflate-frame, permessage-deflate; "
                             "client_no_context_takeover; server_max_window_bits=15"),
            kAnswer);
  // Declined: a smaller server window, unknown or repeated parameters, other extensions.
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; server_max_window_bits=10"), "");
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; foo"), "");
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_no_context_takeover; "
                             "client_no_context_takeover"),
            "");
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; client_max_window_bits=99"), "");
  EXPECT_EQ(NegotiateDeflate("x-webkit-deflate-frame"), "");
  EXPECT_EQ(NegotiateDeflate(""), "");
  // The second offer is taken when the first is not acceptable.
  EXPECT_EQ(NegotiateDeflate("permessage-deflate; server_max_window_bits=9, permessage-deflate"),
            kAnswer);
}

TEST(WebSocket, MaskedTextMessage) {
  Event e = First(ClientFrame(0x81, "{\"@type\":\"Request\"}"));
  ASSERT_EQ(e.kind, Event::Kind::kMessage);
  EXPECT_EQ(e.opcode, Opcode::kText);
  EXPECT_EQ(e.payload, "{\"@type\":\"Request\"}");
}

TEST(WebSocket, WaitsForWholeFrame) {
  std::string frame = ClientFrame(0x81, std::string(300, 'a'));
  Receiver r(1 << 20, false);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{3}, size_t{7}, frame.size() - 1}) {
    size_t used = 99;
    EXPECT_EQ(r.Next(std::string_view(frame).substr(0, cut), used).kind, Event::Kind::kNeedMore);
    EXPECT_EQ(used, 0u);
  }
  size_t used = 0;
  Event e = r.Next(frame, used);
  EXPECT_EQ(e.kind, Event::Kind::kMessage);
  EXPECT_EQ(used, frame.size());
  EXPECT_EQ(e.payload.size(), 300u);
}

TEST(WebSocket, FragmentsWithControlFrameBetween) {
  std::string data = ClientFrame(0x01, "hel") + ClientFrame(0x89, "p") + ClientFrame(0x00, "lo ") +
                     ClientFrame(0x80, "world");
  Receiver r(1 << 20, false);
  std::vector<Event> events;
  for (int round = 0; round < 16 && !data.empty(); ++round) {
    size_t used = 0;
    Event e = r.Next(data, used);
    data.erase(0, used);
    if (e.kind != Event::Kind::kNeedMore) events.push_back(std::move(e));
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, Event::Kind::kPing);
  EXPECT_EQ(events[0].payload, "p");
  EXPECT_EQ(events[1].kind, Event::Kind::kMessage);
  EXPECT_EQ(events[1].payload, "hello world");
  EXPECT_TRUE(r.Idle());
}

TEST(WebSocket, CloseFrames) {
  Event e = First(ClientFrame(0x88, std::string("\x03\xe8", 2) + "bye"));
  ASSERT_EQ(e.kind, Event::Kind::kClose);
  EXPECT_EQ(e.code, kNormal);
  EXPECT_EQ(e.payload, "bye");
  e = First(ClientFrame(0x88, ""));
  ASSERT_EQ(e.kind, Event::Kind::kClose);
  EXPECT_EQ(e.code, kNoStatus);
  e = First(ClientFrame(0x88, std::string("\x0f\xa0", 2)));  // 4000: private use
  EXPECT_EQ(e.kind, Event::Kind::kClose);
}

// Bad input and the close code RFC 6455 asks for.
TEST(WebSocket, BadFrames) {
  const std::string big(126, 'x');
  struct Case {
    const char* name;
    std::string data;
    uint16_t code;
  } cases[] = {
      {"unmasked", ClientFrame(0x81, "hi", false), kProtocolError},
      {"rsv2", ClientFrame(0xA1, "hi"), kProtocolError},
      {"rsv1 without deflate", ClientFrame(0xC1, "hi"), kProtocolError},
      {"reserved opcode 3", ClientFrame(0x83, "hi"), kProtocolError},
      {"reserved opcode 0xB", ClientFrame(0x8B, ""), kProtocolError},
      {"continuation first", ClientFrame(0x80, "hi"), kProtocolError},
      {"text inside fragmented", ClientFrame(0x01, "a") + ClientFrame(0x81, "b"), kProtocolError},
      {"fragmented ping", ClientFrame(0x09, "p"), kProtocolError},
      {"long ping", ClientFrame(0x89, big), kProtocolError},
      {"close with one octet", ClientFrame(0x88, "\x03"), kProtocolError},
      {"close code 1005", ClientFrame(0x88, std::string("\x03\xed", 2)), kProtocolError},
      {"close code 999", ClientFrame(0x88, std::string("\x03\xe7", 2)), kProtocolError},
      {"close code 2000", ClientFrame(0x88, std::string("\x07\xd0", 2)), kProtocolError},
      {"close reason not utf-8", ClientFrame(0x88, std::string("\x03\xe8\xff", 3)),
       kInvalidPayload},
      {"text not utf-8", ClientFrame(0x81, "\xc3\x28"), kInvalidPayload},
      {"utf-8 split is fine, broken is not", ClientFrame(0x01, "\xc3") + ClientFrame(0x80, "("),
       kInvalidPayload},
      {"frame over the limit", ClientFrame(0x81, std::string(2000, 'a')), kTooBig},
      {"message over the limit",
       ClientFrame(0x01, std::string(600, 'a')) + ClientFrame(0x80, std::string(600, 'a')),
       kTooBig},
      {"64-bit length with top bit", std::string("\x81\xff\x80\0\0\0\0\0\0\0", 10), kProtocolError},
      {"16-bit length under 126", std::string("\x81\xfe\x00\x05", 4), kProtocolError},
      {"64-bit length under 65536", std::string("\x81\xff\0\0\0\0\0\0\x01\0", 10), kProtocolError},
  };
  for (const auto& c : cases) {
    Event e = First(c.data, 1024);
    EXPECT_EQ(e.kind, Event::Kind::kError) << c.name;
    EXPECT_EQ(e.code, c.code) << c.name;
  }
}

TEST(WebSocket, LimitIsCheckedBeforeThePayloadArrives) {
  // Only the header of a 1 MiB frame: the receiver refuses it without waiting for the rest.
  std::string header("\x81\xff\0\0\0\0\0\x10\0\0\x12\x34\x56\x78", 14);
  size_t used = 0;
  Receiver r(4096, false);
  EXPECT_EQ(r.Next(header, used).kind, Event::Kind::kError);
}

TEST(WebSocket, DeflateRoundTrip) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "{\"@type\":\"StateChange\",\"changed\":{}} ";
  auto packed = DeflateMessage(text);
  ASSERT_TRUE(packed);
  EXPECT_LT(packed->size(), text.size() / 4);
  bool too_big = true;
  auto back = InflateMessage(*packed, 1 << 20, too_big);
  ASSERT_TRUE(back);
  EXPECT_FALSE(too_big);
  EXPECT_EQ(*back, text);
  // The receiver inflates a message whose first frame has RSV1 (fragmented here).
  std::string half = packed->substr(0, packed->size() / 2);
  std::string rest = packed->substr(packed->size() / 2);
  Event e = First(ClientFrame(0x41, half) + ClientFrame(0x80, rest), 1 << 20, true);
  ASSERT_EQ(e.kind, Event::Kind::kMessage);
  EXPECT_EQ(e.payload, text);
}

TEST(WebSocket, InflateBombAndGarbage) {
  auto packed = DeflateMessage(std::string(100000, 'a'));
  ASSERT_TRUE(packed);
  Event e = First(ClientFrame(0xC1, *packed), 4096, true);
  EXPECT_EQ(e.kind, Event::Kind::kError);
  EXPECT_EQ(e.code, kTooBig);
  e = First(ClientFrame(0xC1, "\xff\xff\xff\xff garbage"), 4096, true);
  EXPECT_EQ(e.kind, Event::Kind::kError);
  EXPECT_EQ(e.code, kInvalidPayload);
}

TEST(WebSocket, ServerFrames) {
  std::string out;
  AppendFrame(out, Opcode::kText, "hi");
  EXPECT_EQ(out, std::string("\x81\x02hi", 4));
  out.clear();
  AppendFrame(out, Opcode::kText, std::string(300, 'a'));
  EXPECT_EQ(out.substr(0, 4), std::string("\x81\x7e\x01\x2c", 4));
  EXPECT_EQ(out.size(), 304u);
  out.clear();
  AppendFrame(out, Opcode::kBinary, std::string(70000, 'a'), true);
  EXPECT_EQ(out.substr(0, 10), std::string("\xc2\x7f\0\0\0\0\0\x01\x11\x70", 10));
  out.clear();
  AppendClose(out, kProtocolError, "bad");
  EXPECT_EQ(out, std::string("\x88\x05\x03\xea"
                             "bad",
                             7));
}

}  // namespace
}  // namespace pushmail::http::ws
