// Identity/get, /changes and /set over a real store.
#include <boost/json.hpp>

#include "jmap/api_fixture.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class IdentityTest : public ApiFixture {};

TEST_F(IdentityTest, EveryAccountHasItsOwnUndeletableIdentity) {
  auto r = One(alice_, "Identity/get", Args(alice_));
  ASSERT_EQ(r.at("list").as_array().size(), 1u);
  const auto& own = r.at("list").at(0);
  EXPECT_EQ(own.at("email"), "alice@example.test");
  EXPECT_EQ(own.at("name"), "");
  EXPECT_TRUE(own.at("replyTo").is_null());
  EXPECT_EQ(own.at("mayDelete"), false);
  std::string id(own.at("id").as_string());
  r = One(alice_, "Identity/set", Args(alice_, R"("destroy":[")" + id + R"("])"));
  EXPECT_EQ(r.at("notDestroyed").at(id).at("type"), "forbidden");
  // Identity methods need the submission capability.
  Api api(*store_, config_);
  auto reply = api.Handle(R"({"using":["urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail"],)"
                          R"("methodCalls":[["Identity/get",)" +
                              Args(alice_) + R"(,"a"]]})",
                          alice_);
  EXPECT_EQ(json::parse(reply.body).at("methodResponses").at(0).at(1).at("type"), "unknownMethod");
}

TEST_F(IdentityTest, SetCreatesUpdatesAndDestroysOwnAddressesOnly) {
  auto state = One(alice_, "Identity/get", Args(alice_)).at("state");
  auto r = One(alice_, "Identity/set",
               Args(alice_, R"("create":{"work":{"name":"Alice W.","email":"alice@example.test",)"
                            R"("replyTo":[{"name":null,"email":"desk@example.test"}]},)"
                            R"("theirs":{"email":"bob@example.test"},)"
                            R"("bad":{"email":"alice@example.test","mayDelete":false},)"
                            R"("noemail":{"name":"x"},)"
                            R"("shape":{"email":"alice@example.test","bcc":[{"mail":"x"}]}})"));
  const auto& made = r.at("created").at("work");
  EXPECT_EQ(made.at("mayDelete"), true);
  EXPECT_EQ(made.at("textSignature"), "");
  EXPECT_TRUE(made.at("bcc").is_null());
  EXPECT_FALSE(made.as_object().contains("name"));
  EXPECT_EQ(r.at("notCreated").at("theirs").at("type"), "forbiddenFrom");
  EXPECT_EQ(r.at("notCreated").at("bad").at("properties"), json::array{"mayDelete"});
  EXPECT_EQ(r.at("notCreated").at("noemail").at("properties"), json::array{"email"});
  EXPECT_EQ(r.at("notCreated").at("shape").at("properties"), json::array{"bcc"});
  std::string id(made.at("id").as_string());
  r = One(alice_, "Identity/set",
          Args(alice_, R"("ifInState":)" + json::serialize(r.at("newState")) + R"(,"update":{")" +
                           id + R"(":{"textSignature":"-- \nAlice","replyTo":null},"I99999":{}})"));
  EXPECT_TRUE(r.at("updated").as_object().contains(id)) << r;
  EXPECT_EQ(r.at("notUpdated").at("I99999").at("type"), "notFound");
  r = One(alice_, "Identity/set",
          Args(alice_, R"("update":{")" + id + R"(":{"email":"other@example.test"}})"));
  EXPECT_EQ(r.at("notUpdated").at(id).at("properties"), json::array{"email"});
  r = One(alice_, "Identity/get", Args(alice_, R"("ids":[")" + id + R"("])"));
  EXPECT_EQ(r.at("list").at(0).at("textSignature"), "-- \nAlice");
  EXPECT_EQ(r.at("list").at(0).at("name"), "Alice W.");
  EXPECT_TRUE(r.at("list").at(0).at("replyTo").is_null());
  // Bob can neither see nor change it.
  r = One(bob_, "Identity/get", Args(bob_, R"("ids":[")" + id + R"("])"));
  EXPECT_EQ(r.at("notFound"), json::array{json::string(id)});
  r = One(bob_, "Identity/set",
          Args(bob_, R"("update":{")" + id + R"(":{"name":"x"}},"destroy":[")" + id + R"("])"));
  EXPECT_EQ(r.at("notUpdated").at(id).at("type"), "notFound");
  EXPECT_EQ(r.at("notDestroyed").at(id).at("type"), "notFound");
  EXPECT_EQ(One(bob_, "Identity/set", Args(alice_), "error").at("type"), "accountNotFound");
  EXPECT_EQ(One(bob_, "Identity/changes", Args(alice_, R"("sinceState":"0")"), "error").at("type"),
            "accountNotFound");
  r = One(alice_, "Identity/set", Args(alice_, R"("destroy":[")" + id + R"("])"));
  EXPECT_EQ(r.at("destroyed"), json::array{json::string(id)});
  r = One(alice_, "Identity/changes", Args(alice_, "\"sinceState\":" + json::serialize(state)));
  EXPECT_EQ(r.at("destroyed"), json::array{json::string(id)});
  EXPECT_EQ(r.at("created"), json::array());
  r = One(alice_, "Identity/set", Args(alice_, R"("ifInState":"1")"), "error");
  EXPECT_EQ(r.at("type"), "stateMismatch");
}

}  // namespace
}  // namespace pushmail::jmap
