// Push resource URLs: https anywhere, http only to loopback literals; bad ones as a table.
#include "webpush/protocol/push_url.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/address.hpp>

#include "webpush/client.h"

namespace pushmail::webpush {
namespace {

TEST(PushUrl, TakesHttpsAndLoopbackHttp) {
  auto u = ParsePushUrl("https://fcm.googleapis.com/fcm/send/abc:def?x=1", nullptr).value();
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.host, "fcm.googleapis.com");
  EXPECT_EQ(u.port, "443");
  EXPECT_EQ(u.target, "/fcm/send/abc:def?x=1");
  EXPECT_EQ(u.origin, "https://fcm.googleapis.com");
  u = ParsePushUrl("http://127.0.0.1:8080/push/1", nullptr).value();
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.port, "8080");
  EXPECT_EQ(u.origin, "http://127.0.0.1:8080");
  u = ParsePushUrl("http://[::1]/p", nullptr).value();
  EXPECT_EQ(u.host, "::1");
  EXPECT_EQ(u.port, "80");
  EXPECT_EQ(u.origin, "http://[::1]");
  u = ParsePushUrl("https://push.example:8443", nullptr).value();
  EXPECT_EQ(u.target, "/");
}

TEST(PushUrl, RefusesTheRest) {
  const char* bad[] = {
      "",
      "push.example/x",
      "ftp://push.example/x",
      "http://push.example/x",  // http to a name
      "http://10.0.0.1/x",      // http to a non-loopback address
      "http://localhost/x",     // names are not literals
      "https://user:pw@push.example/x",
      "https://push.example/x#frag",
      "https://push.example:0/x",
      "https:///x",
      "https://push.example/a b",
      "http://127.0.0.1z8080/p",  // Boost.URL takes 127.0.0.1 as the host (fuzzer)
  };
  for (const char* text : bad) {
    std::string why;
    EXPECT_FALSE(ParsePushUrl(text, &why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
  EXPECT_FALSE(ParsePushUrl("https://push.example/" + std::string(kMaxUrlSize, 'a'), nullptr));
}

TEST(PushUrl, PrivateAddressesAreNotPublic) {
  using boost::asio::ip::make_address;
  for (const char* a : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1",
                        "169.254.169.254", "100.64.0.1", "0.0.0.0", "::1", "::", "fe80::1",
                        "fd00::1", "::ffff:10.0.0.1", "224.0.0.1"}) {
    EXPECT_FALSE(IsPublicAddress(make_address(a))) << a;
  }
  for (const char* a : {"8.8.8.8", "172.32.0.1", "2a00:1450:4001::200e", "::ffff:1.1.1.1"}) {
    EXPECT_TRUE(IsPublicAddress(make_address(a))) << a;
  }
}

}  // namespace
}  // namespace pushmail::webpush
