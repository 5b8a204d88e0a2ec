// JMAP's store objects: mailbox patches, thread counts, identities, the vacation response and
// email submissions, each kept to its account.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <mutex>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    store_ = Store::Open({dir_.File("store.db"), 256}).value();
    store_->SetCommitListener([this](const std::vector<StateChange>& changes) {
      std::lock_guard lock(mu_);
      published_.insert(published_.end(), changes.begin(), changes.end());
    });
    if (alice_ == 0) {
      alice_ = store_->CreateAccount("alice@example.test", "pw", HashCost::kMinimum).value();
      bob_ = store_->CreateAccount("bob@example.test", "pw", HashCost::kMinimum).value();
    }
  }

  MailboxId Box(AccountId account, const std::string& name) {
    return store_->FindMailbox(account, name).value().id;
  }

  Delivered Deliver(const std::string& id, MailboxId mailbox, const std::string& refs = "",
                    int64_t received_at = 1700000000, AccountId account = 0) {
    Incoming in;
    in.message = "Message-ID: <" + id + ">\r\n" +
                 (refs.empty() ? "" : "References: <" + refs + ">\r\n") + "Subject: " + id +
                 "\r\n\r\nbody\r\n";
    in.summary = mime::Parse(in.message);
    in.received_at = received_at;
    in.recipients = {account ? account : alice_};
    in.mailbox = mailbox;
    return store_->DeliverSync(std::move(in)).value().at(0);
  }

  StateChange LastPublished() {
    std::lock_guard lock(mu_);
    return published_.back();
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::mutex mu_;
  std::vector<StateChange> published_;
  AccountId alice_ = 0, bob_ = 0;
};

TEST_F(ObjectsTest, MailboxPatchRenamesMovesAndSetsAttributesInOneCommit) {
  MailboxPatch attributes;
  attributes.sort_order = 7;
  attributes.subscribed = false;
  attributes.role = "flagged";
  auto work = store_->CreateMailbox(alice_, "Work", attributes).value();
  EXPECT_EQ(work.sort_order, 7);
  EXPECT_FALSE(work.subscribed);
  EXPECT_EQ(work.role, "flagged");
  auto child = store_->CreateMailbox(alice_, "Work/2026").value();
  EXPECT_EQ(child.parent, work.id);
  // A second mailbox with the role is refused, and nothing of the create stays.
  EXPECT_EQ(store_->CreateMailbox(alice_, "Other", attributes).error(),
            MakeError(Errc::kAlreadyExists));
  EXPECT_FALSE(store_->FindMailbox(alice_, "Other").has_value());
  auto before = store_->GetAccount(alice_).value().mailbox_state;
  MailboxPatch move;
  move.name = "Archive/Work";
  move.role = "";
  move.subscribed = true;
  ASSERT_FALSE(store_->UpdateMailbox(alice_, work.id, move));
  auto moved = store_->FindMailbox(alice_, "Archive/Work").value();
  EXPECT_EQ(moved.id, work.id);
  EXPECT_EQ(moved.parent, Box(alice_, "Archive"));
  EXPECT_EQ(moved.role, "");
  EXPECT_TRUE(moved.subscribed);
  EXPECT_EQ(store_->FindMailbox(alice_, "Archive/Work/2026").value().id, child.id);
  auto changes = store_->ChangesSince(alice_, DataType::kMailbox, before, 100).value();
  EXPECT_EQ(changes.updated, (std::vector<int64_t>{work.id, child.id}));
  EXPECT_FALSE(changes.counts_only);
  // Into its own subtree, onto a taken name, or another account's mailbox: refused.
  move = {};
  move.name = "Archive/Work/2026/x";
  EXPECT_EQ(store_->UpdateMailbox(alice_, work.id, move), MakeError(Errc::kInvalidArgument));
  move.name = "INBOX";
  EXPECT_EQ(store_->UpdateMailbox(alice_, work.id, move), MakeError(Errc::kInvalidArgument));
  move.name = "Sent";
  EXPECT_EQ(store_->UpdateMailbox(alice_, work.id, move), MakeError(Errc::kAlreadyExists));
  EXPECT_EQ(store_->UpdateMailbox(bob_, work.id, MailboxPatch{{}, {}, 1, {}}),
            MakeError(Errc::kNotFound));
}

TEST_F(ObjectsTest, ChangesTellCountsOnlyUpdatesApart) {
  MailboxId inbox = Box(alice_, "INBOX");
  auto start = store_->GetAccount(alice_).value().mailbox_state;
  Deliver("m1", inbox);
  auto counts = store_->ChangesSince(alice_, DataType::kMailbox, start, 100).value();
  EXPECT_EQ(counts.updated, std::vector<int64_t>{inbox});
  EXPECT_TRUE(counts.counts_only);
  ASSERT_FALSE(store_->SetSubscribed(alice_, inbox, false));
  auto both = store_->ChangesSince(alice_, DataType::kMailbox, start, 100).value();
  EXPECT_EQ(both.updated, std::vector<int64_t>{inbox});
  EXPECT_FALSE(both.counts_only);
  auto later = store_->ChangesSince(alice_, DataType::kMailbox, counts.new_state, 100).value();
  EXPECT_FALSE(later.counts_only);
  // A mailbox made and filled since is created, whatever else happened to it.
  auto box = store_->CreateMailbox(alice_, "New").value();
  Deliver("m2", box.id);
  auto made = store_->ChangesSince(alice_, DataType::kMailbox, both.new_state, 100).value();
  EXPECT_EQ(made.created, std::vector<int64_t>{box.id});
  EXPECT_TRUE(made.updated.empty());
}

TEST_F(ObjectsTest, ThreadCountsFollowRfc8621) {
  MailboxId inbox = Box(alice_, "INBOX"), trash = Box(alice_, "Trash");
  auto a1 = Deliver("a1", inbox, "", 30);
  Deliver("a2", inbox, "a1", 10);  // same thread, older
  Deliver("b1", inbox);            // a thread of its own
  Deliver("c1", trash);            // unread, only in the trash
  ASSERT_TRUE(store_->UpdateKeywords(alice_, inbox, {a1.uid}, KeywordOp::kAdd, {"$seen"}));
  auto counts = store_->CountThreads(alice_).value();
  EXPECT_EQ(counts[inbox].emails, 3);
  EXPECT_EQ(counts[inbox].unread_emails, 2);
  EXPECT_EQ(counts[inbox].threads, 2);
  EXPECT_EQ(counts[inbox].unread_threads, 2);  // a2 is unread, so thread a is
  EXPECT_EQ(counts[trash].threads, 1);
  EXPECT_EQ(counts[trash].unread_threads, 1);
  // Drafts are not unread; the thread of a1 now has no unread email outside the trash.
  auto uids = store_->ReadMailbox(inbox).value().messages;
  ASSERT_TRUE(store_->UpdateKeywords(alice_, inbox, {uids[1].uid}, KeywordOp::kAdd, {"$draft"}));
  counts = store_->CountThreads(alice_).value();
  EXPECT_EQ(counts[inbox].unread_emails, 1);
  EXPECT_EQ(counts[inbox].unread_threads, 1);
  EXPECT_EQ(counts.count(Box(alice_, "Sent")), 0u);  // empty: no entry
  EXPECT_TRUE(store_->CountThreads(bob_).value().empty());
  // Thread/get's order is by receivedAt, and only for the owner.
  auto thread = store_->ReadThread(alice_, a1.thread).value();
  ASSERT_EQ(thread.size(), 2u);
  EXPECT_EQ(thread[1], a1.email);
  EXPECT_TRUE(store_->ReadThread(bob_, a1.thread).value().empty());
}

TEST_F(ObjectsTest, RemoveMessagesIgnoresKeywordsAndDestroysOrphans) {
  MailboxId inbox = Box(alice_, "INBOX"), archive = Box(alice_, "Archive");
  auto m = Deliver("m1", inbox);
  auto copied = store_->Copy(alice_, inbox, {m.uid}, archive, false).value();
  auto before = store_->GetAccount(alice_).value().email_state;
  EXPECT_EQ(store_->RemoveMessages(alice_, inbox, {m.uid, 99}).value(), std::vector<Uid>{m.uid});
  auto placements = store_->ReadPlacements(m.email).value();
  ASSERT_EQ(placements.size(), 1u);
  EXPECT_EQ(placements[0].mailbox, archive);
  EXPECT_EQ(store_->RemoveMessages(bob_, archive, {copied.destination[0]}).error(),
            MakeError(Errc::kNotFound));
  ASSERT_TRUE(store_->RemoveMessages(alice_, archive, {copied.destination[0]}).has_value());
  auto changes = store_->ChangesSince(alice_, DataType::kEmail, before, 100).value();
  EXPECT_EQ(changes.destroyed, std::vector<int64_t>{m.email});
  EXPECT_FALSE(store_->GetEmail(m.email).has_value());
}

TEST_F(ObjectsTest, IdentitiesBelongToTheirAccount) {
  auto start = store_->GetAccount(alice_).value().identity_state;
  auto list = store_->ListIdentities(alice_).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].email, "alice@example.test");
  EXPECT_FALSE(list[0].may_delete);
  EXPECT_GT(start, 0);
  Identity extra;
  extra.account = alice_;
  extra.name = "Alice at work";
  extra.email = "alice@example.test";
  extra.reply_to = R"([{"name":null,"email":"boss@example.test"}])";
  auto made = store_->CreateIdentity(extra).value();
  EXPECT_TRUE(made.may_delete);
  EXPECT_EQ(LastPublished().changed & Bit(DataType::kIdentity), Bit(DataType::kIdentity));
  made.text_signature = "-- \nA";
  made.email = "ignored@example.test";
  ASSERT_FALSE(store_->UpdateIdentity(made));
  list = store_->ListIdentities(alice_).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].text_signature, "-- \nA");
  EXPECT_EQ(list[1].email, "alice@example.test");
  EXPECT_EQ(list[1].reply_to, extra.reply_to);
  // Bob can neither change nor delete it; nobody deletes the default one.
  Identity theirs = made;
  theirs.account = bob_;
  EXPECT_EQ(store_->UpdateIdentity(theirs), MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->DeleteIdentity(bob_, made.id), MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->DeleteIdentity(alice_, list[0].id), MakeError(Errc::kInvalidArgument));
  ASSERT_FALSE(store_->DeleteIdentity(alice_, made.id));
  auto changes = store_->ChangesSince(alice_, DataType::kIdentity, start, 100).value();
  EXPECT_EQ(changes.destroyed, std::vector<int64_t>{made.id});
  EXPECT_TRUE(changes.created.empty());
  EXPECT_EQ(store_->ListIdentities(bob_).value().size(), 1u);
}

TEST_F(ObjectsTest, VacationResponseAnswersEachSenderOncePerPeriod) {
  EXPECT_FALSE(store_->GetVacationResponse(alice_).value().enabled);
  EXPECT_FALSE(store_->VacationActive(alice_, 1000));
  VacationResponse v;
  v.enabled = true;
  v.from = 1000;
  v.to = 2000;
  v.subject = "Away";
  v.text_body = "Back soon";
  ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  EXPECT_TRUE(LastPublished().changed & Bit(DataType::kVacationResponse));
  auto read = store_->GetVacationResponse(alice_).value();
  EXPECT_EQ(read.subject, "Away");
  EXPECT_EQ(read.to, 2000);
  EXPECT_FALSE(read.html_body.has_value());
  EXPECT_FALSE(store_->VacationActive(alice_, 999));
  EXPECT_TRUE(store_->VacationActive(alice_, 1000));
  EXPECT_FALSE(store_->VacationActive(alice_, 2000));
  EXPECT_FALSE(store_->VacationActive(bob_, 1500));
  EXPECT_TRUE(store_->ClaimVacationReply(alice_, "carol@x.test", 1500, 100).value());
  EXPECT_FALSE(store_->ClaimVacationReply(alice_, "CAROL@x.test", 1550, 100).value());
  EXPECT_TRUE(store_->ClaimVacationReply(bob_, "carol@x.test", 1550, 100).value());
  EXPECT_TRUE(store_->ClaimVacationReply(alice_, "carol@x.test", 1600, 100).value());
  // A new response answers everybody again; the cache survives a reopen.
  ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  EXPECT_TRUE(store_->ClaimVacationReply(alice_, "carol@x.test", 1601, 100).value());
  store_.reset();
  Open();
  EXPECT_TRUE(store_->VacationActive(alice_, 1500));
  v.enabled = false;
  ASSERT_FALSE(store_->SetVacationResponse(alice_, v));
  EXPECT_FALSE(store_->VacationActive(alice_, 1500));
}

TEST_F(ObjectsTest, SubmissionsAreLoggedPerAccount) {
  auto start = store_->GetAccount(alice_).value().submission_state;
  EmailSubmission s;
  s.account = alice_;
  s.identity = 1;
  s.email = 5;
  s.thread = 6;
  s.envelope = R"({"mailFrom":{"email":"alice@example.test"},"rcptTo":[]})";
  s.send_at = 1234;
  s.delivery_status = "{}";
  auto made = store_->CreateSubmission(s).value();
  EXPECT_GT(made.id, 0);
  EXPECT_TRUE(store_->ListSubmissions(bob_).value().empty());
  auto list = store_->ListSubmissions(alice_).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].envelope, s.envelope);
  EXPECT_EQ(list[0].undo_status, "final");
  EXPECT_EQ(store_->DeleteSubmission(bob_, made.id), MakeError(Errc::kNotFound));
  ASSERT_FALSE(store_->DeleteSubmission(alice_, made.id));
  auto changes = store_->ChangesSince(alice_, DataType::kEmailSubmission, start, 100).value();
  EXPECT_EQ(changes.destroyed, std::vector<int64_t>{made.id});
  EXPECT_EQ(changes.new_state, store_->GetAccount(alice_).value().submission_state);
}

// A store made before identities existed gets one identity per account when it is migrated.
TEST_F(ObjectsTest, MigrationGivesExistingAccountsAnIdentity) {
  store_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(dir_.File("store.db").c_str(), &db), SQLITE_OK);
  const char* undo =
      "DROP TABLE push_subscriptions; "  // a later migration's, made again too
      "DROP TABLE bridge_mailboxes; DROP TABLE bridge_messages; "  // the later migration
      "DROP TABLE identities; DROP TABLE vacation_responses; DROP TABLE vacation_replies; "
      "DROP TABLE email_submissions; ALTER TABLE accounts DROP COLUMN identity_state; "
      "ALTER TABLE accounts DROP COLUMN submission_state; "
      "ALTER TABLE accounts DROP COLUMN vacation_state; PRAGMA user_version = 4;";
  ASSERT_EQ(sqlite3_exec(db, undo, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
  sqlite3_close(db);
  Open();
  auto list = store_->ListIdentities(bob_).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].email, "bob@example.test");
  EXPECT_FALSE(list[0].may_delete);
}

}  // namespace
}  // namespace pushmail::store
