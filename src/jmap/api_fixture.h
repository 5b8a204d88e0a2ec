#pragma once
// For the method tests: a real store with alice@ and bob@example.test, and an Api that runs
// JSON requests for either of them.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "jmap/api.h"
#include "jmap/ids.h"
#include "testing/temp_dir.h"

namespace pushmail::jmap {

class ApiFixture : public ::testing::Test {
 protected:
  static constexpr const char* kAll =
      R"("urn:ietf:params:jmap:core","urn:ietf:params:jmap:mail",)"
      R"("urn:ietf:params:jmap:submission","urn:ietf:params:jmap:vacationresponse")";

  void SetUp() override {
    store_ = store::Store::Open({dir_.File("store.db"), 64}).value();
    alice_ = {store_->CreateAccount("alice@example.test", "pw", store::HashCost::kMinimum).value(),
              "alice@example.test"};
    bob_ = {store_->CreateAccount("bob@example.test", "pw", store::HashCost::kMinimum).value(),
            "bob@example.test"};
    config_.domains = {"example.test"};
  }

  store::Delivered Deliver(const Principal& to, const std::string& subject,
                           const std::string& extra = "", int64_t received_at = 1700000000) {
    store::Incoming in;
    in.message = "From: Carol <carol@example.test>\r\nTo: " + to.login + "\r\nSubject: " + subject +
                 "\r\n" + extra + "\r\nhello there\r\n";
    in.summary = mime::Parse(in.message);
    in.received_at = received_at;
    in.recipients = {to.account};
    return store_->DeliverSync(std::move(in)).value().at(0);
  }

  // Runs one request (`calls` is the methodCalls JSON) and returns the whole response.
  boost::json::object Request(const Principal& who, const std::string& calls,
                              const std::string& extra = "") {
    Api api(*store_, config_);
    auto reply = api.Handle(
        std::string(R"({"using":[)") + kAll + R"(],"methodCalls":)" + calls + extra + "}", who);
    EXPECT_EQ(reply.status, 200) << reply.body;
    return boost::json::parse(reply.body).as_object();
  }
  boost::json::array Call(const Principal& who, const std::string& calls) {
    return Request(who, calls).at("methodResponses").as_array();
  }
  // One method call; returns its response's arguments (or the error object), after checking
  // that the response is `expect` ("error" for a method error).
  boost::json::object One(const Principal& who, const std::string& method, const std::string& args,
                          const std::string& expect = "") {
    auto r = Call(who, "[[\"" + method + "\"," + args + ",\"c\"]]");
    EXPECT_EQ(r.at(0).at(0), boost::json::value(expect.empty() ? method : expect)) << r;
    return r.at(0).at(1).as_object();
  }
  std::string Account(const Principal& p) { return AccountJmapId(p.account); }
  // `{"accountId": "A1", ...rest}`
  std::string Args(const Principal& p, const std::string& rest = "") {
    return "{\"accountId\":\"" + Account(p) + "\"" + (rest.empty() ? "" : "," + rest) + "}";
  }
  std::string MailboxId(const Principal& p, const std::string& name) {
    return store::MailboxJmapId(store_->FindMailbox(p.account, name).value().id);
  }

  testing::TempDir dir_;
  Config config_;
  std::unique_ptr<store::Store> store_;
  Principal alice_, bob_;
};

}  // namespace pushmail::jmap
