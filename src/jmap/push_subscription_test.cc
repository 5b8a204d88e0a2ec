// PushSubscription/get and /set (RFC 8620 7.2) over a real store: arguments, verification, the
// limit per account, and what the Web Push sender hears.
#include <boost/json.hpp>

#include "base/base64.h"
#include "base/clock.h"
#include "jmap/api_fixture.h"
#include "webpush/protocol/protocol.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

struct Recorder : PushObserver {
  void Saved(const store::PushSubscription& s) override { saved.push_back(s); }
  void Destroyed(store::AccountId, store::PushSubscriptionId id) override {
    destroyed.push_back(id);
  }
  std::vector<store::PushSubscription> saved;
  std::vector<store::PushSubscriptionId> destroyed;
};

class PushSubscriptionTest : public ApiFixture {
 protected:
  json::object Set(const Principal& who, const std::string& args) {
    return One(who, "PushSubscription/set", args);
  }
  static std::string Keys() {
    static const std::string p256dh =
        EncodeBase64Url(webpush::EcKey::Generate().value().PublicPoint());
    return R"({"p256dh":")" + p256dh + R"(","auth":")" + EncodeBase64Url("0123456789abcdef") +
           R"("})";
  }
  static std::string Valid(const std::string& extra = "") {
    return R"({"deviceClientId":"phone","url":"https://push.example/s/1","keys":)" + Keys() +
           extra + "}";
  }
  std::string CodeOf(const Principal& who, const std::string& id) {
    for (const auto& s : store_->ListPushSubscriptions(who.account).value()) {
      if (store::PushSubscriptionJmapId(s.id) == id) return s.verification_code;
    }
    return "";
  }
};

TEST_F(PushSubscriptionTest, CreateVerifyGetDestroy) {
  Recorder recorder;
  Api api(*store_, config_);
  api.SetPushObserver(&recorder);
  auto run = [&](const std::string& method, const std::string& args) {
    auto reply = api.Handle(R"({"using":["urn:ietf:params:jmap:core"],"methodCalls":[[")" + method +
                                "\"," + args + R"(,"c"]]})",
                            alice_);
    auto r = json::parse(reply.body).at("methodResponses").at(0);
    EXPECT_EQ(r.at(0), json::value(method)) << r;
    return r.at(1).as_object();
  };
  auto r = run("PushSubscription/set", R"({"create":{"a":)" + Valid() + "}}");
  std::string id(r.at("created").at("a").at("id").as_string());
  EXPECT_TRUE(r.at("created").at("a").at("expires").is_string());  // clamped to 7 days
  EXPECT_TRUE(r.at("oldState").is_null());
  EXPECT_FALSE(r.contains("accountId"));
  ASSERT_EQ(recorder.saved.size(), 1u);
  EXPECT_FALSE(recorder.saved[0].verified);
  EXPECT_FALSE(recorder.saved[0].verification_code.empty());
  EXPECT_LE(*recorder.saved[0].expires, UnixNow() + int64_t{7} * 86400);

  r = run("PushSubscription/get", "{}");
  ASSERT_EQ(r.at("list").as_array().size(), 1u);
  const auto& got = r.at("list").at(0);
  EXPECT_EQ(got.at("id"), json::value(id));
  EXPECT_EQ(got.at("deviceClientId"), "phone");
  EXPECT_TRUE(got.at("verificationCode").is_null());  // not verified yet
  EXPECT_TRUE(got.at("types").is_null());
  EXPECT_FALSE(got.as_object().contains("url"));
  EXPECT_FALSE(got.as_object().contains("keys"));

  r = run("PushSubscription/set", R"({"update":{")" + id + R"(":{"verificationCode":"wrong"}}})");
  EXPECT_EQ(r.at("notUpdated").at(id).at("properties"), json::array{"verificationCode"});
  std::string code = CodeOf(alice_, id);
  r = run("PushSubscription/set", R"({"update":{")" + id + R"(":{"verificationCode":")" + code +
                                      R"(","types":["Email"]}}})");
  EXPECT_TRUE(r.at("updated").as_object().contains(id)) << r;
  ASSERT_EQ(recorder.saved.size(), 2u);
  EXPECT_TRUE(recorder.saved[1].verified);
  EXPECT_EQ(recorder.saved[1].types, std::vector<std::string>{"Email"});
  r = run("PushSubscription/get", R"({"ids":[")" + id + R"(","P999"]})");
  EXPECT_EQ(r.at("list").at(0).at("verificationCode"), json::value(code));
  EXPECT_EQ(r.at("list").at(0).at("types"), json::array{"Email"});
  EXPECT_EQ(r.at("notFound"), json::array{"P999"});

  // Far in the future: the server clamps it and says so.
  r = run("PushSubscription/set",
          R"({"update":{")" + id + R"(":{"expires":"2100-01-01T00:00:00Z"}}})");
  auto clamped = ParseUtcDate(r.at("updated").at(id).at("expires").as_string());
  ASSERT_TRUE(clamped);
  EXPECT_LE(*clamped, UnixNow() + int64_t{7} * 86400);

  r = run("PushSubscription/set", R"({"destroy":[")" + id + R"(","P999"]})");
  EXPECT_EQ(r.at("destroyed"), json::array{json::string(id)});
  EXPECT_EQ(r.at("notDestroyed").at("P999").at("type"), "notFound");
  EXPECT_EQ(recorder.destroyed.size(), 1u);
}

TEST_F(PushSubscriptionTest, BadCreatesNameTheBadProperty) {
  const std::string keys = Keys(), auth = EncodeBase64Url("0123456789abcdef");
  std::string p256dh(json::parse(keys).at("p256dh").as_string());
  std::string off_curve = DecodeBase64Url(p256dh).value();
  off_curve[40] ^= 1;
  const std::string url = R"("url":"https://push.example/1")";
  const std::string dev = R"("deviceClientId":"d")";
  struct Case {
    std::string object, property;
  };
  const Case cases[] = {
      {"{" + url + "}", "deviceClientId"},
      {R"({"deviceClientId":5,)" + url + "}", "deviceClientId"},
      {R"({"deviceClientId":"",)" + url + "}", "deviceClientId"},
      {R"({"deviceClientId":")" + std::string(256, 'x') + "\"," + url + "}", "deviceClientId"},
      {"{" + dev + "}", "url"},
      {"{" + dev + R"(,"url":5})", "url"},
      {"{" + dev + R"(,"url":"http://push.example/1"})", "url"},
      {"{" + dev + R"(,"url":"http://192.168.1.1/1"})", "url"},
      {"{" + dev + R"(,"url":"ftp://push.example/1"})", "url"},
      {"{" + dev + R"(,"url":"https://u:p@push.example/1"})", "url"},
      {"{" + dev + R"(,"url":"/relative"})", "url"},
      {"{" + dev + "," + url + R"(,"keys":"x"})", "keys"},
      {"{" + dev + "," + url + R"(,"keys":{"p256dh":")" + p256dh + R"("}})", "keys"},
      {"{" + dev + "," + url + R"(,"keys":{"p256dh":"abc","auth":")" + auth + R"("}})", "keys"},
      {"{" + dev + "," + url + R"(,"keys":{"p256dh":")" + EncodeBase64Url(off_curve) +
           R"(","auth":")" + auth + R"("}})",
       "keys"},
      {"{" + dev + "," + url + R"(,"keys":{"p256dh":")" + p256dh + R"(","auth":"AAAA"}})", "keys"},
      {"{" + dev + "," + url + R"(,"keys":{"p256dh":")" + p256dh + R"(","auth":")" + auth +
           R"(","x":1}})",
       "keys"},
      {"{" + dev + "," + url + R"(,"expires":"tomorrow"})", "expires"},
      {"{" + dev + "," + url + R"(,"expires":"2000-01-01T00:00:00Z"})", "expires"},
      {"{" + dev + "," + url + R"(,"expires":5})", "expires"},
      {"{" + dev + "," + url + R"(,"types":"Email"})", "types"},
      {"{" + dev + "," + url + R"(,"types":["Em ail"]})", "types"},
      {"{" + dev + "," + url + R"(,"types":[1]})", "types"},
      {"{" + dev + "," + url + R"(,"verificationCode":"x"})", "verificationCode"},
      {"{" + dev + "," + url + R"(,"id":"P1"})", "id"},
      {"{" + dev + "," + url + R"(,"color":"blue"})", "color"},
  };
  for (const auto& c : cases) {
    auto r = Set(alice_, R"({"create":{"x":)" + c.object + "}}");
    ASSERT_TRUE(r.at("notCreated").is_object()) << c.object << " " << r;
    EXPECT_EQ(r.at("notCreated").at("x").at("type"), "invalidProperties") << c.object;
    EXPECT_EQ(r.at("notCreated").at("x").at("properties"), json::array{json::string(c.property)})
        << c.object;
  }
  EXPECT_TRUE(store_->ListPushSubscriptions(alice_.account).value().empty());
  // Loopback http and no keys are fine (plain JSON pushes, for tests and local services).
  auto r = Set(alice_, R"({"create":{"x":{"deviceClientId":"d","url":"http://127.0.0.1:9/p"}}})");
  EXPECT_TRUE(r.at("created").as_object().contains("x")) << r;
}

TEST_F(PushSubscriptionTest, BadArgumentsAndOtherLogins) {
  auto r = One(alice_, "PushSubscription/set", R"({"ifInState":"1"})", "error");
  EXPECT_EQ(r.at("type"), "invalidArguments");
  r = One(alice_, "PushSubscription/set", R"({"create":[]})", "error");
  EXPECT_EQ(r.at("type"), "invalidArguments");
  r = One(alice_, "PushSubscription/get", R"({"properties":["id","url"]})", "error");
  EXPECT_EQ(r.at("type"), "forbidden");
  r = One(alice_, "PushSubscription/get", R"({"properties":["id","colour"]})", "error");
  EXPECT_EQ(r.at("type"), "invalidArguments");
  r = Set(alice_, R"({"create":{"a":)" + Valid() + "}}");
  std::string id(r.at("created").at("a").at("id").as_string());
  // Bob sees nothing of Alice's.
  r = One(bob_, "PushSubscription/get", R"({"ids":[")" + id + R"("]})");
  EXPECT_EQ(r.at("notFound"), json::array{json::string(id)});
  r = Set(bob_, R"({"destroy":[")" + id + R"("],"update":{")" + id + R"(":{"types":null}}})");
  EXPECT_EQ(r.at("notDestroyed").at(id).at("type"), "notFound");
  EXPECT_EQ(r.at("notUpdated").at(id).at("type"), "notFound");
  // Only verificationCode, expires and types may change.
  for (std::string patch :
       {R"("url":"https://push.example/2")", R"("deviceClientId":"other")", R"("keys":null)"}) {
    std::string args = R"({"update":{")" + id + R"(":{)";
    args += patch + "}}}";
    r = Set(alice_, args);
    EXPECT_EQ(r.at("notUpdated").at(id).at("type"), "invalidProperties") << patch;
  }
}

TEST_F(PushSubscriptionTest, AnAccountHasAtMostMaxSubscriptions) {
  config_.webpush.max_subscriptions = 2;
  auto r = Set(alice_,
               R"({"create":{"a":)" + Valid() + R"(,"b":)" + Valid() + R"(,"c":)" + Valid() + "}}");
  EXPECT_EQ(r.at("created").as_object().size(), 2u);
  EXPECT_EQ(r.at("notCreated").as_object().size(), 1u);
  for (const auto& [key, error] : r.at("notCreated").as_object()) {
    EXPECT_EQ(error.at("type"), "overQuota");
  }
  r = Set(bob_, R"({"create":{"a":)" + Valid() + "}}");
  EXPECT_EQ(r.at("created").as_object().size(), 1u);
}

}  // namespace
}  // namespace pushmail::jmap
