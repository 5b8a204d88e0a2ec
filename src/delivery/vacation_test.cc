// The vacation responder: RFC 3834's rules as tables, the reply's shape, and replies delivered
// through a real store.
#include "delivery/vacation.h"

#include <gtest/gtest.h>

#include "base/clock.h"
#include "delivery/local.h"
#include "testing/temp_dir.h"

namespace pushmail::delivery {
namespace {

TEST(HeaderField, FindsTheFirstFieldUnfoldedInTheHeaderOnly) {
  std::string m =
      "Subject: one\r\nauto-submitted:  auto-generated;\r\n\ttype=x \r\nSubject: two\r\n\r\n"
      "List-Id: in the body\r\n";
  EXPECT_EQ(HeaderField(m, "Subject"), "one");
  EXPECT_EQ(HeaderField(m, "Auto-Submitted"), "auto-generated; type=x");
  EXPECT_FALSE(HeaderField(m, "List-Id").has_value());
  EXPECT_EQ(HeaderField("X-A: 1\nX-B: 2\n\nbody", "x-b"), "2");
}

TEST(Describe, TellsAutomaticAndListMailApart) {
  struct Case {
    std::string fields;
    bool automatic;
  };
  const Case cases[] = {
      {"", false},
      {"Auto-Submitted: no\r\n", false},
      {"Auto-Submitted: No (comment)\r\n", false},
      {"Auto-Submitted: auto-replied\r\n", true},
      {"Auto-Submitted: auto-generated\r\n", true},
      {"Precedence: bulk\r\n", true},
      {"Precedence: list\r\n", true},
      {"Precedence: first-class\r\n", false},
      {"List-Id: <dev.lists.example>\r\n", true},
      {"List-Unsubscribe: <mailto:x@y>\r\n", true},
      {"X-Auto-Response-Suppress: OOF, DR\r\n", true},
      {"X-Auto-Response-Suppress: DR\r\n", false},
  };
  for (const auto& c : cases) {
    std::string m = "From: a@x.test\r\nTo: Al <Alice@Example.test>\r\nCc: c@y.test\r\n" + c.fields +
                    "Subject: hi\r\nMessage-ID: <m1@x>\r\nIn-Reply-To: <m0@x>\r\n\r\nbody\r\n";
    Arrival a = Describe(m, mime::Parse(m), "a@x.test", 5);
    EXPECT_EQ(a.automatic, c.automatic) << c.fields;
    EXPECT_EQ(a.addressed_to, (std::vector<std::string>{"alice@example.test", "c@y.test"}));
    EXPECT_EQ(a.references, std::vector<std::string>{"m0@x"});
    EXPECT_EQ(a.message_id, "m1@x");
  }
}

TEST(Unanswerable, FollowsRfc3834) {
  Arrival a;
  a.return_path = "carol@x.test";
  EXPECT_EQ(Unanswerable(a, "alice@example.test"), "");
  EXPECT_NE(Unanswerable(a, ""), "");  // not addressed to the recipient
  EXPECT_NE(Unanswerable(a, "Carol@X.test"), "");
  const char* daemons[] = {"",
                           "MAILER-DAEMON@x.test",
                           "owner-dev@x.test",
                           "dev-request@x.test",
                           "listserv@x.test",
                           "majordomo@x.test"};
  for (const char* sender : daemons) {
    a.return_path = sender;
    EXPECT_NE(Unanswerable(a, "alice@example.test"), "") << sender;
  }
  a.return_path = "carol@x.test";
  a.automatic = true;
  EXPECT_NE(Unanswerable(a, "alice@example.test"), "");
}

TEST(ComposeVacationReply, IsAnAutoReplyThatThreads) {
  Arrival original;
  original.message_id = "m1@x";
  original.references = {"m0@x"};
  original.subject = "lunch?";
  store::VacationResponse v;
  v.text_body = "Away until Monday.\nRegards";
  VacationReply r{"alice@example.test",
                  "Alice Ärger",
                  "carol@x.test",
                  "example.test",
                  &original,
                  &v,
                  1700000000};
  std::string m = ComposeVacationReply(r);
  auto s = mime::Parse(m);
  EXPECT_EQ(s.subject, "Auto: lunch?");
  ASSERT_EQ(s.from.size(), 1u);
  EXPECT_EQ(s.from[0].name, "Alice Ärger");
  EXPECT_EQ(s.from[0].email, "alice@example.test");
  EXPECT_EQ(s.to.at(0).email, "carol@x.test");
  EXPECT_EQ(s.in_reply_to, std::vector<std::string>{"m1@x"});
  EXPECT_EQ(s.references, (std::vector<std::string>{"m0@x", "m1@x"}));
  EXPECT_EQ(HeaderField(m, "Auto-Submitted"), "auto-replied");
  EXPECT_NE(m.find("Away until Monday.\r\nRegards\r\n"), std::string::npos);
  // Its own subject, and HTML as an alternative with text made from it.
  v.subject = "Weg — bis Montag";
  v.text_body.reset();
  v.html_body = "<p>Away &amp; <b>offline</b></p>";
  m = ComposeVacationReply(r);
  s = mime::Parse(m);
  EXPECT_EQ(s.subject, "Weg — bis Montag");
  EXPECT_EQ(s.body.type, "multipart");
  EXPECT_EQ(s.body.subtype, "alternative");
  ASSERT_EQ(s.body.children.size(), 2u);
  EXPECT_EQ(s.body.children[0].subtype, "plain");
  EXPECT_EQ(s.body.children[1].subtype, "html");
  EXPECT_NE(m.find("\r\n\r\nAway & offline\r\n"), std::string::npos);
}

class ResponderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = store::Store::Open({dir_.File("store.db"), 64}).value();
    alice_ = store_->CreateAccount("alice@example.test", "pw", store::HashCost::kMinimum).value();
    bob_ = store_->CreateAccount("bob@example.test", "pw", store::HashCost::kMinimum).value();
    config_.domains = {"example.test"};
    store::VacationResponse v;
    v.enabled = true;
    v.subject = "Out of office";
    v.text_body = "Back soon";
    ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  }

  // Bob (or `from`) writes to Alice, delivered as JMAP submission would.
  void Send(const std::string& from, const std::string& extra = "", const std::string& to = "") {
    LocalMessage m;
    m.return_path = from;
    m.message = "From: " + from + "\r\nTo: " + (to.empty() ? "alice@example.test" : to) +
                "\r\nSubject: hello\r\nMessage-ID: <" + NewId() + "@x>\r\n" + extra + "\r\nhi\r\n";
    m.recipients = {alice_};
    m.via = "test";
    ASSERT_TRUE(DeliverLocally(*store_, config_, std::move(m)).has_value());
  }

  std::vector<std::string> Subjects(store::AccountId account) {
    std::vector<std::string> out;
    auto inbox = store_->FindMailbox(account, "INBOX").value();
    for (const auto& m : store_->ReadMailbox(inbox.id).value().messages) {
      out.push_back(mime::Parse(store_->ReadEmailBytes(m.email).value()).subject);
    }
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  Config config_;
  store::AccountId alice_ = 0, bob_ = 0;
};

TEST_F(ResponderTest, LocalSenderGetsOneReplyPerPeriod) {
  EXPECT_EQ(OnVacation(*store_, {bob_, alice_, alice_}, UnixNow()),
            std::vector<store::AccountId>{alice_});
  Send("bob@example.test");
  Send("bob@example.test");
  EXPECT_EQ(Subjects(alice_), (std::vector<std::string>{"hello", "hello"}));
  EXPECT_EQ(Subjects(bob_), std::vector<std::string>{"Out of office"});
  auto inbox = store_->FindMailbox(bob_, "INBOX").value();
  auto reply = store_->ReadEmailBytes(store_->ReadMailbox(inbox.id).value().messages[0].email);
  EXPECT_EQ(HeaderField(*reply, "Return-Path"), "<>");
  EXPECT_EQ(HeaderField(*reply, "Auto-Submitted"), "auto-replied");
  // A changed response answers again.
  store::VacationResponse v = store_->GetVacationResponse(alice_).value();
  v.subject = "Still away";
  ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  Send("bob@example.test");
  EXPECT_EQ(Subjects(bob_), (std::vector<std::string>{"Out of office", "Still away"}));
}

TEST_F(ResponderTest, NoReplyToListsRemoteSendersOrMailNotNamingTheRecipient) {
  Send("bob@example.test", "List-Id: <dev.example.test>\r\n");
  Send("bob@example.test", "Auto-Submitted: auto-generated\r\n");
  Send("bob@example.test", "", "team@example.test");  // alice was a hidden recipient
  Send("");                                           // a bounce
  Send("carol@elsewhere.test");                       // no outbound relay: logged only
  EXPECT_TRUE(Subjects(bob_).empty());
  EXPECT_EQ(Subjects(alice_).size(), 5u);
  // Not in date: nothing either.
  store::VacationResponse v = store_->GetVacationResponse(alice_).value();
  v.from = UnixNow() + 3600;
  ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  Send("bob@example.test");
  EXPECT_TRUE(Subjects(bob_).empty());
}

TEST(WithoutHeaderField, DropsTheFieldAndItsFoldedLinesOnly) {
  EXPECT_EQ(WithoutHeaderField("To: a\r\nBCC: b,\r\n c\r\nSubject: s\r\n\r\nBcc: body\r\n", "Bcc"),
            "To: a\r\nSubject: s\r\n\r\nBcc: body\r\n");
  EXPECT_EQ(WithoutHeaderField("Bcc: x\nTo: a\n\nhi", "bcc"), "To: a\n\nhi");
  EXPECT_EQ(WithoutHeaderField("To: a\r\n", "Bcc"), "To: a\r\n");
}

TEST(LocalTraceFields, NameTheHostTheWayAndTheId) {
  EXPECT_EQ(LocalTraceFields("a@b", "mx.example", "JMAP submission", "ID1", 0),
            "Return-Path: <a@b>\r\nReceived: by mx.example (pushmail JMAP submission)\r\n"
            "\tid ID1;\r\n\tThu, 01 Jan 1970 00:00:00 +0000\r\n");
}

}  // namespace
}  // namespace pushmail::delivery
