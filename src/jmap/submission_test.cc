// EmailSubmission/get, /changes, /query, /queryChanges and /set over a real store: sending to
// local accounts, refusing what cannot be sent, and the implicit Email/set.
#include <boost/json.hpp>
#include <mutex>

#include "delivery/vacation.h"
#include "jmap/api_fixture.h"

namespace pushmail::jmap {
namespace {

namespace json = boost::json;

class SubmissionTest : public ApiFixture {
 protected:
  void SetUp() override {
    ApiFixture::SetUp();
    store_->SetCommitListener([this](const std::vector<store::StateChange>& changes) {
      std::lock_guard lock(mu_);
      published_.insert(published_.end(), changes.begin(), changes.end());
    });
    identity_ = store::IdentityJmapId(store_->ListIdentities(alice_.account).value().at(0).id);
  }

  // A draft of Alice's in her Drafts mailbox.
  std::string Draft(const std::string& header) {
    store::Incoming in;
    in.message = header + "Subject: lunch\r\nMessage-ID: <d" + std::to_string(++drafts_) +
                 "@example.test>\r\n\r\nAt noon?\r\n";
    in.summary = mime::Parse(in.message);
    in.recipients = {alice_.account};
    in.mailbox = store_->FindMailbox(alice_.account, "Drafts")->id;
    in.keywords = {"$draft", "$seen"};
    return store::EmailJmapId(store_->DeliverSync(std::move(in)).value().at(0).email);
  }

  json::object Submit(const std::string& email, const std::string& more = "",
                      const std::string& extra_args = "") {
    return One(alice_, "EmailSubmission/set",
               Args(alice_, R"("create":{"s":{"identityId":")" + identity_ + R"(","emailId":")" +
                                email + "\"" + more + "}}" + extra_args));
  }

  std::vector<std::string> Inbox(const Principal& who) {
    std::vector<std::string> out;
    auto inbox = store_->FindMailbox(who.account, "INBOX").value();
    for (const auto& m : store_->ReadMailbox(inbox.id).value().messages) {
      out.push_back(store_->ReadEmailBytes(m.email).value());
    }
    return out;
  }

  std::string identity_;
  int drafts_ = 0;
  std::mutex mu_;
  std::vector<store::StateChange> published_;
};

TEST_F(SubmissionTest, SendsToLocalRecipientsAndMovesTheDraftToSent) {
  std::string email = Draft(
      "From: Alice <alice@example.test>\r\nTo: bob@example.test\r\n"
      "Bcc: alice@example.test\r\n");
  std::string drafts = MailboxId(alice_, "Drafts"), sent = MailboxId(alice_, "Sent");
  {
    std::lock_guard lock(mu_);
    published_.clear();
  }
  auto r = Call(
      alice_,
      "[[\"EmailSubmission/set\"," +
          Args(alice_, R"("create":{"s":{"identityId":")" + identity_ + R"(","emailId":")" + email +
                           R"("}},"onSuccessUpdateEmail":{"#s":{"mailboxIds/)" + drafts +
                           R"(":null,"mailboxIds/)" + sent + R"(":true,"keywords/$draft":null}})") +
          ",\"0\"]]");
  ASSERT_EQ(r.size(), 2u) << r;
  const auto& created = r.at(0).at(1).at("created").at("s");
  EXPECT_EQ(created.at("undoStatus"), "final");
  EXPECT_EQ(created.at("deliveryStatus").at("bob@example.test").at("delivered"), "yes");
  EXPECT_EQ(created.at("deliveryStatus").at("alice@example.test").at("delivered"), "yes");
  EXPECT_EQ(created.at("envelope").at("mailFrom").at("email"), "alice@example.test");
  EXPECT_EQ(created.at("envelope").at("rcptTo").as_array().size(), 2u);
  // The implicit Email/set, answered with the same call id.
  EXPECT_EQ(r.at(1).at(0), "Email/set");
  EXPECT_EQ(r.at(1).at(2), "0");
  EXPECT_TRUE(r.at(1).at(1).at("updated").as_object().contains(email)) << r.at(1);
  auto placements = store_->ReadPlacements(*store::ParseJmapId(email, 'E')).value();
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(store::MailboxJmapId(placements[0].mailbox), sent);
  EXPECT_EQ(placements[0].keywords, store::Keywords{"$seen"});
  // Bob has it, with the trace of a delivery and without the Bcc; so has Alice (Bcc'd).
  auto bob = Inbox(bob_);
  ASSERT_EQ(bob.size(), 1u);
  EXPECT_TRUE(bob[0].starts_with("Return-Path: <alice@example.test>\r\nReceived: by example.test"));
  EXPECT_EQ(bob[0].find("Bcc:"), std::string::npos);
  EXPECT_EQ(Inbox(alice_).size(), 1u);
  // The hub heard of Bob's new email.
  {
    std::lock_guard lock(mu_);
    EXPECT_TRUE(std::any_of(published_.begin(), published_.end(), [&](const auto& c) {
      return c.account == bob_.account && (c.changed & store::Bit(store::DataType::kEmail));
    }));
    EXPECT_TRUE(std::any_of(published_.begin(), published_.end(), [&](const auto& c) {
      return c.account == alice_.account &&
             (c.changed & store::Bit(store::DataType::kEmailSubmission));
    }));
  }
  // get, changes, query and queryChanges see it; Bob sees nothing of it.
  std::string id(created.at("id").as_string());
  auto got = One(alice_, "EmailSubmission/get", Args(alice_, R"("ids":[")" + id + R"("])"));
  EXPECT_EQ(got.at("list").at(0).at("emailId"), json::value(json::string(email)));
  EXPECT_EQ(got.at("list").at(0).at("identityId"), json::value(json::string(identity_)));
  EXPECT_EQ(got.at("list").at(0).at("dsnBlobIds"), json::array());
  auto changes = One(alice_, "EmailSubmission/changes", Args(alice_, R"("sinceState":"0")"));
  EXPECT_EQ(changes.at("created"), json::array{json::string(id)});
  auto query = One(alice_, "EmailSubmission/query",
                   Args(alice_, R"("filter":{"emailIds":[")" + email +
                                    R"("],"undoStatus":"final","after":"2000-01-01T00:00:00Z"},)"
                                    R"("sort":[{"property":"sentAt","isAscending":false}])"));
  EXPECT_EQ(query.at("ids"), json::array{json::string(id)});
  EXPECT_EQ(One(alice_, "EmailSubmission/query",
                Args(alice_, R"("filter":{"before":"2000-01-01T00:00:00Z"})"))
                .at("ids"),
            json::array());
  EXPECT_EQ(One(alice_, "EmailSubmission/query", Args(alice_, R"("filter":{"nope":1})"), "error")
                .at("type"),
            "unsupportedFilter");
  auto none = One(bob_, "EmailSubmission/get", Args(bob_, R"("ids":[")" + id + R"("])"));
  EXPECT_EQ(none.at("notFound"), json::array{json::string(id)});
  EXPECT_EQ(One(bob_, "EmailSubmission/query", Args(bob_)).at("ids"), json::array());
  EXPECT_EQ(One(bob_, "EmailSubmission/get", Args(alice_), "error").at("type"), "accountNotFound");
  EXPECT_EQ(
      One(bob_, "EmailSubmission/changes", Args(alice_, R"("sinceState":"0")"), "error").at("type"),
      "accountNotFound");
  EXPECT_EQ(
      One(bob_, "EmailSubmission/queryChanges", Args(alice_, R"("sinceQueryState":"0")"), "error")
          .at("type"),
      "accountNotFound");
  auto since = One(alice_, "EmailSubmission/queryChanges",
                   Args(alice_, "\"sinceQueryState\":" + json::serialize(query.at("queryState"))));
  EXPECT_EQ(since.at("added"), json::array());
  auto from_start =
      One(alice_, "EmailSubmission/queryChanges", Args(alice_, R"("sinceQueryState":"0")"));
  EXPECT_EQ(from_start.at("added"), json::parse(R"([{"id":")" + id + R"(","index":0}])"));
}

TEST_F(SubmissionTest, RefusesWhatItCannotSendAndSendsNothingThen) {
  std::string remote =
      Draft("From: alice@example.test\r\nTo: bob@example.test, x@elsewhere.test\r\n");
  auto r = Submit(remote);
  const auto& e = r.at("notCreated").at("s");
  EXPECT_EQ(e.at("type"), "invalidRecipients");
  EXPECT_EQ(e.at("invalidRecipients"), json::array{"x@elsewhere.test"});
  EXPECT_NE(e.at("description").as_string().find("no outbound relay"), json::string::npos);
  EXPECT_TRUE(Inbox(bob_).empty());  // refused whole
  const std::pair<std::string, std::string> cases[] = {
      {Draft("From: alice@example.test\r\nTo: nobody@example.test\r\n"), "invalidRecipients"},
      {Draft("From: alice@example.test\r\n"), "noRecipients"},
      {Draft("From: bob@example.test\r\nTo: bob@example.test\r\n"), "forbiddenMailFrom"},
      {Draft("From: alice@example.test, bob@example.test\r\nTo: bob@example.test\r\n"),
       "invalidEmail"},
  };
  for (const auto& [email, type] : cases) {
    EXPECT_EQ(Submit(email).at("notCreated").at("s").at("type").as_string(), type) << type;
  }
  std::string ok = Draft("From: alice@example.test\r\nTo: bob@example.test\r\n");
  std::string forged =
      Draft("Sender: alice@example.test\r\nFrom: bob@example.test\r\nTo: bob@example.test\r\n");
  EXPECT_EQ(Submit(forged).at("notCreated").at("s").at("type"), "forbiddenFrom");
  EXPECT_EQ(Submit(ok, R"(,"envelope":{"mailFrom":{"email":"bob@example.test"},)"
                       R"("rcptTo":[{"email":"bob@example.test"}]})")
                .at("notCreated")
                .at("s")
                .at("type"),
            "forbiddenMailFrom");
  EXPECT_EQ(Submit(ok, R"(,"envelope":{"mailFrom":{"email":"alice@example.test",)"
                       R"("parameters":{"HOLDFOR":"60"}},"rcptTo":[]})")
                .at("notCreated")
                .at("s")
                .at("properties"),
            json::array{"envelope"});
  EXPECT_EQ(
      Submit(ok, R"(,"sendAt":"2030-01-01T00:00:00Z")").at("notCreated").at("s").at("properties"),
      json::array{"sendAt"});
  r = One(alice_, "EmailSubmission/set",
          Args(alice_, R"("create":{"s":{"identityId":"I99999","emailId":")" + ok + R"("}})"));
  EXPECT_EQ(r.at("notCreated").at("s").at("properties"), json::array{"identityId"});
  // Another account's email is no email at all.
  auto bobs = store::EmailJmapId(Deliver(bob_, "bob's").email);
  EXPECT_EQ(Submit(bobs).at("notCreated").at("s").at("properties"), json::array{"emailId"});
  EXPECT_TRUE(Inbox(bob_).size() == 1u);
  EXPECT_TRUE(store_->ListSubmissions(alice_.account).value().empty());
  EXPECT_EQ(One(bob_, "EmailSubmission/set", Args(alice_), "error").at("type"), "accountNotFound");
  // An explicit envelope decides who gets it, whatever the header says.
  r = Submit(ok, R"(,"envelope":{"mailFrom":{"email":"alice@example.test","parameters":null},)"
                 R"("rcptTo":[{"email":"alice@example.test"}]})");
  ASSERT_TRUE(r.at("created").as_object().contains("s")) << r;
  EXPECT_TRUE(Inbox(bob_).size() == 1u);
  EXPECT_EQ(Inbox(alice_).size(), 1u);
}

TEST_F(SubmissionTest, UpdateCannotUnsendDestroyForgetsAndOnSuccessDestroyEmail) {
  std::string email = Draft("From: alice@example.test\r\nTo: bob@example.test\r\n");
  auto r = Submit(email, "", R"(,"onSuccessDestroyEmail":["#s"])");
  std::string id(r.at("created").at("s").at("id").as_string());
  EXPECT_FALSE(store_->GetEmail(*store::ParseJmapId(email, 'E')).has_value());
  r = One(alice_, "EmailSubmission/set",
          Args(alice_, R"("update":{")" + id + R"(":{"undoStatus":"canceled"},"S99999":{}})"));
  EXPECT_EQ(r.at("notUpdated").at(id).at("type"), "cannotUnsend");
  EXPECT_EQ(r.at("notUpdated").at("S99999").at("type"), "notFound");
  r = One(alice_, "EmailSubmission/set",
          Args(alice_, R"("update":{")" + id + R"(":{"emailId":"E999"}})"));
  EXPECT_EQ(r.at("notUpdated").at(id).at("type"), "invalidProperties");
  r = One(bob_, "EmailSubmission/set", Args(bob_, R"("destroy":[")" + id + R"("])"));
  EXPECT_EQ(r.at("notDestroyed").at(id).at("type"), "notFound");
  r = One(alice_, "EmailSubmission/set", Args(alice_, R"("destroy":[")" + id + R"("])"));
  EXPECT_EQ(r.at("destroyed"), json::array{json::string(id)});
  EXPECT_TRUE(store_->ListSubmissions(alice_.account).value().empty());
  EXPECT_EQ(Inbox(bob_).size(), 1u);  // destroying the record does not unsend
}

TEST_F(SubmissionTest, IdentityMadeInTheSameRequestAndTheRecipientsVacation) {
  store::VacationResponse away;
  away.enabled = true;
  away.text_body = "On a beach";
  ASSERT_FALSE(store_->SetVacationResponse(bob_.account, away));
  std::string email = Draft("From: alice@example.test\r\nTo: bob@example.test\r\n");
  auto r = Call(
      alice_,
      "[[\"Identity/set\"," + Args(alice_, R"("create":{"i":{"email":"alice@example.test"}})") +
          ",\"0\"],[\"EmailSubmission/set\"," +
          Args(alice_, R"("create":{"s":{"identityId":"#i","emailId":")" + email + R"("}})") +
          ",\"1\"]]");
  const auto& created = r.at(1).at(1).at("created").at("s");
  EXPECT_FALSE(created.as_object().contains("identityId"));  // the client's own value
  auto list = store_->ListSubmissions(alice_.account).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(store::IdentityJmapId(list[0].identity),
            r.at(0).at(1).at("created").at("i").at("id").as_string());
  // Bob's vacation response answered Alice, through the same delivery.
  auto replies = Inbox(alice_);
  ASSERT_EQ(replies.size(), 1u);
  EXPECT_EQ(delivery::HeaderField(replies[0], "Auto-Submitted"), "auto-replied");
  EXPECT_EQ(delivery::HeaderField(replies[0], "From"), "<bob@example.test>");
}

}  // namespace
}  // namespace pushmail::jmap
