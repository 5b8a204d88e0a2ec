// The TLS 1.3 record layer against itself (two ends with mirrored secrets), and a table of bad
// records. Its interplay with real OpenSSL peers is in tls_socket_test.cc.
#include "net/tls_records.h"

#include <gtest/gtest.h>

#include <boost/system/errc.hpp>
#include <functional>
#include <string>

namespace pushmail::net {
namespace {

namespace errc = boost::system::errc;

const std::string kClientSecret(32, '\x11');
const std::string kServerSecret(32, '\x22');

struct Pair {
  Tls13Records server;
  Tls13Records client;
};

Pair MakePair(uint16_t suite, size_t secret_size = 32) {
  std::string c(secret_size, '\x11'), s(secret_size, '\x22');
  return {*Tls13Records::Make(suite, c, s), *Tls13Records::Make(suite, s, c)};
}

// Splits `wire` into records and opens each; returns the data they carried, or the first error.
Result<std::string> OpenAll(Tls13Records& reader, std::string wire, bool* closed = nullptr) {
  std::string data;
  size_t at = 0;
  while (at < wire.size()) {
    auto size = Tls13Records::RecordSize(std::string_view(wire).substr(at));
    if (!size) return size.error();
    if (at + *size > wire.size()) return make_error_code(errc::invalid_argument);
    auto got = reader.Open(std::span<char>(wire.data() + at, *size));
    if (!got) return got.error();
    if (got->kind == Tls13Records::Received::kData) data += got->data;
    if (got->kind == Tls13Records::Received::kClosed && closed) *closed = true;
    at += *size;
  }
  return data;
}

TEST(Tls13Records, EachSuiteCarriesDataBothWays) {
  for (uint16_t suite : {0x1301, 0x1302, 0x1303}) {
    Pair p = MakePair(suite, suite == 0x1302 ? 48 : 32);
    std::string big(40000, 'x');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 31);
    std::string wire;
    p.server.Seal("hello", wire);
    p.server.Seal(big, wire);
    EXPECT_EQ(p.server.records_written(), 4u);  // 5 octets, then 16384 + 16384 + 7232
    auto got = OpenAll(p.client, wire);
    ASSERT_TRUE(got.has_value()) << suite << ": " << got.error().message();
    EXPECT_EQ(*got, "hello" + big);
    std::string back;
    p.client.Seal("answer", back);
    auto answer = OpenAll(p.server, back);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(*answer, "answer");
  }
}

TEST(Tls13Records, UnknownSuitesAndWrongSecretSizesAreRefused) {
  EXPECT_FALSE(Tls13Records::Make(0x1304, kClientSecret, kServerSecret));  // CCM: not offered
  EXPECT_FALSE(Tls13Records::Make(0x1301, kClientSecret, std::string(48, 'x')));
  EXPECT_FALSE(Tls13Records::Make(0x1302, kClientSecret, kServerSecret));  // SHA-384: 48 octets
}

TEST(Tls13Records, AKeyUpdateThatAsksForOneIsAnsweredBeforeTheNextRecord) {
  Pair p = MakePair(0x1301);
  std::string wire;
  p.client.SealRecord(Tls13Records::kHandshake, std::string_view("\x18\0\0\1\1", 5), wire);
  ASSERT_TRUE(OpenAll(p.server, wire).has_value());
  std::string reply;
  p.server.Seal("after", reply);
  // The reply starts with the server's KeyUpdate, which the client's reader follows.
  auto got = OpenAll(p.client, reply);
  ASSERT_TRUE(got.has_value()) << got.error().message();
  EXPECT_EQ(*got, "after");
  EXPECT_EQ(p.server.records_written(), 1u);  // "after" is the first under the new key
  EXPECT_EQ(p.client.records_read(), 1u);
}

TEST(Tls13Records, CloseNotifyEndsTheStreamAndUserCanceledIsIgnored) {
  Pair p = MakePair(0x1303);
  std::string wire;
  p.client.SealRecord(Tls13Records::kAlert, std::string_view("\x01\x5a", 2), wire);
  p.client.SealRecord(Tls13Records::kApplicationData, "", wire);
  p.client.SealRecord(Tls13Records::kAlert, std::string_view("\x01\x00", 2), wire);
  bool closed = false;
  auto got = OpenAll(p.server, wire, &closed);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "");
  EXPECT_TRUE(closed);
}

TEST(Tls13Records, PaddingAfterTheContentTypeIsStripped) {
  Pair p = MakePair(0x1301);
  std::string wire;
  p.client.SealRecord(Tls13Records::kApplicationData, std::string("data\x17\0\0\0", 8), wire);
  // SealRecord adds the type after `inner`: here the inner text already ends in type + padding,
  // so the record's last non-zero octet is the 0x17 SealRecord appended.
  auto got = OpenAll(p.server, wire);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, std::string("data\x17\0\0\0", 8));
}

struct BadRecord {
  const char* name;
  std::function<std::string(Tls13Records& client)> make;
  errc::errc_t error;
};

TEST(Tls13Records, BadRecordsGetTheirErrors) {
  const BadRecord cases[] = {
      {"a flipped ciphertext octet",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kApplicationData, "hello", w);
         w[7] ^= 1;
         return w;
       },
       errc::bad_message},
      {"a flipped header octet (it is authenticated)",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kApplicationData, "hello", w);
         w[1] = 0x01;
         return w;
       },
       errc::bad_message},
      {"a plaintext alert after the handshake",
       [](Tls13Records&) { return std::string("\x15\x03\x03\x00\x02\x02\x28", 7); },
       errc::protocol_error},
      {"a change_cipher_spec after the handshake",
       [](Tls13Records&) { return std::string("\x14\x03\x03\x00\x01\x01", 6); },
       errc::protocol_error},
      {"a record longer than 2^14 + 256",
       [](Tls13Records&) {
         return std::string("\x17\x03\x03\x41\x01", 5) + std::string(16641, 'x');
       },
       errc::bad_message},
      {"a record too short for its tag",
       [](Tls13Records&) { return std::string("\x17\x03\x03\x00\x10", 5) + std::string(16, 'x'); },
       errc::bad_message},
      {"only padding: no content type",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(0, std::string(4, '\0'), w);
         return w;
       },
       errc::bad_message},
      {"an unknown content type",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(99, "x", w);
         return w;
       },
       errc::protocol_error},
      {"a fatal alert",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kAlert, std::string_view("\x02\x28", 2), w);
         return w;
       },
       errc::connection_aborted},
      {"an alert of three octets",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kAlert, std::string_view("\x01\x00\x00", 3), w);
         return w;
       },
       errc::bad_message},
      {"a handshake message other than KeyUpdate (a ClientHello)",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kHandshake, std::string_view("\x01\0\0\1\0", 5), w);
         return w;
       },
       errc::protocol_error},
      {"data after a KeyUpdate in one record",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kHandshake, std::string_view("\x18\0\0\1\0\x18\0\0\1\0", 10),
                      w);
         return w;
       },
       errc::protocol_error},
      {"a KeyUpdate with request_update 2",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kHandshake, std::string_view("\x18\0\0\1\2", 5), w);
         return w;
       },
       errc::bad_message},
      {"a KeyUpdate split over two records",
       [](Tls13Records& c) {
         std::string w;
         c.SealRecord(Tls13Records::kHandshake, std::string_view("\x18\0", 2), w);
         return w;
       },
       errc::protocol_error},
  };
  for (const auto& bad : cases) {
    Pair p = MakePair(0x1301);
    auto got = OpenAll(p.server, bad.make(p.client));
    ASSERT_FALSE(got.has_value()) << bad.name;
    EXPECT_EQ(got.error(), make_error_code(bad.error)) << bad.name << ": " << got.error().message();
  }
}

TEST(Tls13Records, ARecordFromTheWrongKeyFails) {
  Pair p = MakePair(0x1301);
  std::string wire;
  p.server.Seal("to the client", wire);
  auto got = OpenAll(p.server, wire);  // the server cannot read its own records
  EXPECT_FALSE(got.has_value());
}

}  // namespace
}  // namespace pushmail::net
