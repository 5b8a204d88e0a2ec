// The API endpoint over a real store: method dispatch, back-references and account isolation.
#include "jmap/api.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "jmap/ids.h"
#include "testing/temp_dir.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::Open({dir_.File("store.db"), 64}).value();
    alice_ = {store_->CreateAccount("alice@example.test", "pw", store::HashCost::kMinimum).value(),
              "alice@example.test"};
    bob_ = {store_->CreateAccount("bob@example.test", "pw", store::HashCost::kMinimum).value(),
            "bob@example.test"};
  }

  store::EmailId Deliver(const Principal& to, const std::string& subject) {
    store::Incoming in;
    in.message = "From: Carol <carol@example.test>\r\nTo: " + to.login + "\r\nSubject: " + subject +
                 "\r\n\r\nhello there\r\n";
    in.summary = mime::Parse(in.message);
    in.received_at = 1700000000;
    in.recipients = {to.account};
    return store_->DeliverSync(std::move(in)).value().at(0).email;
  }

  // Runs one request and returns its methodResponses.
  json::array Call(const Principal& who, const std::string& calls,
                   const std::string& capabilities = R"("urn:ietf:params:jmap:core",)"
                                                     R"("urn:ietf:params:jmap:mail")") {
    Api api(*store_, limits_);
    auto reply =
        api.Handle(R"({"using":[)" + capabilities + R"(],"methodCalls":)" + calls + "}", who);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return json::parse(reply.body).at("methodResponses").as_array();
  }

  std::string Id(const Principal& p) { return AccountJmapId(p.account); }

  testing::TempDir dir_;
  HttpLimits limits_;
  std::unique_ptr<store::Store> store_;
  Principal alice_, bob_;
};

TEST_F(ApiTest, EchoAndUnknownMethods) {
  auto r = Call(alice_, R"([["Core/echo",{"hello":[1,2]},"a"],["Nope/get",{},"b"]])");
  EXPECT_EQ(r[0], json::parse(R"(["Core/echo",{"hello":[1,2]},"a"])"));
  EXPECT_EQ(r[1].at(0), "error");
  EXPECT_EQ(r[1].at(1).at("type"), "unknownMethod");
  EXPECT_EQ(r[1].at(2), "b");
  // Mail methods need the mail capability in "using".
  r = Call(alice_, R"([["Mailbox/get",{"accountId":")" + Id(alice_) + R"("},"a"]])",
           R"("urn:ietf:params:jmap:core")");
  EXPECT_EQ(r[0].at(1).at("type"), "unknownMethod");
}

TEST_F(ApiTest, MailboxGetListsTheAccountsMailboxesOnly) {
  auto r = Call(alice_, R"([["Mailbox/get",{"accountId":")" + Id(alice_) +
                            R"(","properties":["name","role"]},"a"]])");
  ASSERT_EQ(r[0].at(0), "Mailbox/get");
  const auto& list = r[0].at(1).at("list").as_array();
  EXPECT_EQ(list.size(), 6u);
  EXPECT_EQ(list[0].at("role"), "inbox");
  EXPECT_FALSE(list[0].as_object().contains("sortOrder"));
  std::string inbox(list[0].at("id").as_string());
  // Bob cannot name Alice's account, nor see her mailbox by id.
  r = Call(bob_, R"([["Mailbox/get",{"accountId":")" + Id(alice_) +
                     R"("},"a"],)"
                     R"(["Mailbox/get",{"accountId":")" +
                     Id(bob_) + R"(","ids":[")" + inbox + R"("]},"b"]])");
  EXPECT_EQ(r[0].at(1).at("type"), "accountNotFound");
  EXPECT_TRUE(r[1].at(1).at("list").as_array().empty());
  EXPECT_EQ(r[1].at(1).at("notFound"), json::array{json::string(inbox)});
}

TEST_F(ApiTest, ChangesThenGetByBackReference) {
  Deliver(alice_, "first");
  auto before = store_->GetAccount(alice_.account).value().email_state;
  store::EmailId second = Deliver(alice_, "second");
  auto r =
      Call(alice_,
           R"([["Email/changes",{"accountId":")" + Id(alice_) + R"(","sinceState":")" +
               StateString(before) + R"("},"c"],)" + R"(["Email/get",{"accountId":")" + Id(alice_) +
               R"(","#ids":{"resultOf":"c","name":"Email/changes","path":"/created"},)"
               R"("properties":["subject","from","mailboxIds","receivedAt","preview"]},"g"]])");
  EXPECT_EQ(r[0].at(1).at("created"), json::array{json::string(store::EmailJmapId(second))});
  EXPECT_EQ(r[0].at(1).at("hasMoreChanges"), false);
  const auto& list = r[1].at(1).at("list").as_array();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].at("subject"), "second");
  EXPECT_EQ(list[0].at("from").at(0).at("email"), "carol@example.test");
  EXPECT_EQ(list[0].at("receivedAt"), "2023-11-14T22:13:20Z");
  EXPECT_EQ(list[0].at("preview"), "hello there");
  EXPECT_EQ(list[0].at("mailboxIds").as_object().size(), 1u);
  EXPECT_EQ(r[1].at(1).at("state"), json::string(r[0].at(1).at("newState").as_string()));
}

TEST_F(ApiTest, AnotherAccountsEmailIsNotFound) {
  store::EmailId mine = Deliver(alice_, "private");
  auto r = Call(bob_, R"([["Email/get",{"accountId":")" + Id(bob_) + R"(","ids":[")" +
                          store::EmailJmapId(mine) + R"(","E999999","junk"]},"a"]])");
  EXPECT_TRUE(r[0].at(1).at("list").as_array().empty());
  EXPECT_EQ(r[0].at(1).at("notFound").as_array().size(), 3u);
  r = Call(bob_, R"([["Email/changes",{"accountId":")" + Id(bob_) + R"(","sinceState":"0"},"a"]])");
  EXPECT_TRUE(r[0].at(1).at("created").as_array().empty());
}

TEST_F(ApiTest, BadArgumentsGetMethodErrors) {
  struct Case {
    std::string call;
    const char* type;
  };
  std::string a = Id(alice_);
  const Case cases[] = {
      {R"(["Mailbox/get",{},"x"])", "invalidArguments"},
      {R"(["Mailbox/get",{"accountId":7},"x"])", "invalidArguments"},
      {R"(["Mailbox/get",{"accountId":"A999"},"x"])", "accountNotFound"},
      {R"(["Mailbox/get",{"accountId":")" + a + R"(","ids":"M1"},"x"])", "invalidArguments"},
      {R"(["Mailbox/get",{"accountId":")" + a + R"(","ids":[1]},"x"])", "invalidArguments"},
      {R"(["Mailbox/get",{"accountId":")" + a + R"(","properties":["nope"]},"x"])",
       "invalidArguments"},
      {R"(["Email/get",{"accountId":")" + a + R"("},"x"])", "requestTooLarge"},
      {R"(["Email/changes",{"accountId":")" + a + R"("},"x"])", "invalidArguments"},
      {R"(["Email/changes",{"accountId":")" + a + R"(","sinceState":"x"},"x"])",
       "cannotCalculateChanges"},
      {R"(["Email/changes",{"accountId":")" + a + R"(","sinceState":"99999"},"x"])",
       "cannotCalculateChanges"},
      {R"(["Email/changes",{"accountId":")" + a + R"(","sinceState":"0","maxChanges":0},"x"])",
       "invalidArguments"},
      {R"(["Email/get",{"accountId":")" + a +
           R"(","#ids":{"resultOf":"y","name":"Email/changes","path":"/created"}},"x"])",
       "invalidResultReference"},
  };
  for (const auto& c : cases) {
    auto r = Call(alice_, "[" + c.call + "]");
    EXPECT_EQ(r[0].at(0), "error") << c.call;
    EXPECT_EQ(r[0].at(1).at("type"), c.type) << c.call;
  }
}

TEST_F(ApiTest, RequestErrorsAreProblemDetails) {
  Api api(*store_, limits_);
  auto reply = api.Handle("not json", alice_);
  EXPECT_EQ(reply.status, 400);
  EXPECT_EQ(reply.content_type, "application/problem+json");
  EXPECT_EQ(json::parse(reply.body).at("type"), "urn:ietf:params:jmap:error:notJSON");
}

}  // namespace
}  // namespace pushmail::jmap
