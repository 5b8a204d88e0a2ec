// Mailbox and message writes as IMAP and JMAP use them.
#include <gtest/gtest.h>

#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class MessagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = Store::Open({dir_.File("store.db"), 256});
    ASSERT_TRUE(store.has_value());
    store_ = std::move(*store);
    store_->SetCommitListener([this](const std::vector<StateChange>& changes) {
      std::lock_guard lock(mu_);
      published_.insert(published_.end(), changes.begin(), changes.end());
    });
    account_ = store_->CreateAccount("alice@example.test", "pw", HashCost::kMinimum).value();
    inbox_ = store_->FindMailbox(account_, "INBOX").value().id;
    archive_ = store_->FindMailbox(account_, "Archive").value().id;
  }

  Uid Deliver(const std::string& id, MailboxId mailbox = 0) {
    Incoming in;
    in.message = "Message-ID: <" + id + ">\r\nSubject: " + id + "\r\n\r\nbody\r\n";
    in.summary = mime::Parse(in.message);
    in.recipients = {account_};
    if (mailbox) in.mailbox = mailbox;
    return store_->DeliverSync(std::move(in)).value().at(0).uid;
  }

  std::vector<Uid> Uids(MailboxId mailbox) {
    std::vector<Uid> out;
    for (const auto& m : store_->ReadMailbox(mailbox).value().messages) out.push_back(m.uid);
    return out;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::mutex mu_;
  std::vector<StateChange> published_;
  AccountId account_ = 0;
  MailboxId inbox_ = 0, archive_ = 0;
};

TEST_F(MessagesTest, DeliverAllIsAllOrNothing) {
  auto message = [this](const std::string& id, MailboxId mailbox) {
    Incoming in;
    in.message = "Message-ID: <" + id + ">\r\nSubject: " + id + "\r\n\r\nbody\r\n";
    in.summary = mime::Parse(in.message);
    in.recipients = {account_};
    in.mailbox = mailbox;
    return in;
  };
  std::vector<Incoming> two;
  two.push_back(message("m1", archive_));
  two.push_back(message("m2", archive_));
  auto done = store_->DeliverAll(std::move(two));
  ASSERT_TRUE(done.has_value());
  ASSERT_EQ(done->size(), 2u);
  EXPECT_EQ((*done)[0].uid, 1u);
  EXPECT_EQ((*done)[1].uid, 2u);
  EXPECT_EQ(Uids(archive_), (std::vector<Uid>{1, 2}));

  // The third message names a mailbox of nobody: the first two are not kept either.
  std::vector<Incoming> three;
  three.push_back(message("m3", archive_));
  three.push_back(message("m4", archive_));
  three.push_back(message("m5", 999999));
  auto published = [this] {
    std::lock_guard lock(mu_);
    return published_.size();
  };
  size_t before = published();
  EXPECT_FALSE(store_->DeliverAll(std::move(three)).has_value());
  EXPECT_EQ(Uids(archive_), (std::vector<Uid>{1, 2}));
  EXPECT_EQ(published(), before);
  EXPECT_EQ(Deliver("m6", archive_), 3u);  // no UID was spent on the failed ones
}

TEST_F(MessagesTest, KeywordsChangeOnceAndRespectUnchangedSince) {
  Deliver("a");
  Deliver("b");
  auto before = store_->ReadMailbox(inbox_).value();
  auto update =
      store_->UpdateKeywords(account_, inbox_, {1, 2, 9}, KeywordOp::kAdd, {"$Seen", "$flagged"});
  ASSERT_TRUE(update.has_value());
  ASSERT_EQ(update->changed.size(), 2u);  // UID 9 does not exist: nothing said of it
  EXPECT_EQ(update->changed[0].keywords, (Keywords{"$flagged", "$seen"}));
  ModSeq after = update->changed[0].modseq;
  EXPECT_GT(after, before.mailbox.highest_modseq);
  EXPECT_EQ(store_->ReadMailbox(inbox_).value().mailbox.highest_modseq, after);

  auto again = store_->UpdateKeywords(account_, inbox_, {1}, KeywordOp::kAdd, {"$seen"});
  EXPECT_TRUE(again->changed.empty());
  EXPECT_EQ(again->unchanged, std::vector<Uid>{1});

  auto stale = store_->UpdateKeywords(account_, inbox_, {1, 2}, KeywordOp::kRemove, {"$seen"},
                                      before.mailbox.highest_modseq);
  EXPECT_EQ(stale->modified, (std::vector<Uid>{1, 2}));
  auto counts = store_->CountMailbox(inbox_).value();
  EXPECT_EQ(counts.messages, 2);
  EXPECT_EQ(counts.unseen, 0);

  auto delta = store_->ReadMailboxChanges(inbox_, before.mailbox.highest_modseq).value();
  EXPECT_EQ(delta.changed.size(), 2u);
  EXPECT_TRUE(delta.expunged.empty());
}

TEST_F(MessagesTest, ExpungeRemovesOnlyDeletedAndIsLogged) {
  Deliver("a");
  Deliver("b");
  Deliver("c");
  ModSeq start = store_->ReadMailbox(inbox_).value().mailbox.highest_modseq;
  auto email_state = store_->GetAccount(account_).value().email_state;
  store_->UpdateKeywords(account_, inbox_, {1, 3}, KeywordOp::kAdd, {"$deleted"}).value();
  auto only_three = store_->Expunge(account_, inbox_, std::vector<Uid>{3, 2});
  EXPECT_EQ(only_three.value(), std::vector<Uid>{3});
  EXPECT_EQ(store_->Expunge(account_, inbox_, std::nullopt).value(), std::vector<Uid>{1});
  EXPECT_EQ(Uids(inbox_), std::vector<Uid>{2});
  auto delta = store_->ReadMailboxChanges(inbox_, start).value();
  EXPECT_EQ(delta.expunged, (std::vector<Uid>{1, 3}));
  auto changes = store_->ChangesSince(account_, DataType::kEmail, email_state, 100).value();
  EXPECT_EQ(changes.destroyed.size(), 2u);
}

TEST_F(MessagesTest, CopyAndMoveGiveNewUidsAndKeepKeywords) {
  Deliver("a");
  Deliver("b");
  store_->UpdateKeywords(account_, inbox_, {2}, KeywordOp::kAdd, {"$flagged"}).value();
  auto copy = store_->Copy(account_, inbox_, {2, 1, 7}, archive_, false).value();
  EXPECT_EQ(copy.source, (std::vector<Uid>{2, 1}));
  EXPECT_EQ(copy.destination, (std::vector<Uid>{1, 2}));
  EXPECT_EQ(copy.uidvalidity, store_->ReadMailbox(archive_).value().mailbox.uidvalidity);
  auto archived = store_->ReadMailbox(archive_).value().messages;
  EXPECT_EQ(archived[0].keywords, Keywords{"$flagged"});
  // The same email sits in both mailboxes (JMAP mailboxIds).
  EXPECT_EQ(archived[0].email, store_->ReadMailbox(inbox_).value().messages[1].email);

  // Copying again into a mailbox that has the email makes a second email.
  auto twice = store_->Copy(account_, inbox_, {2}, archive_, false).value();
  auto now = store_->ReadMailbox(archive_).value().messages;
  ASSERT_EQ(now.size(), 3u);
  EXPECT_NE(now[2].email, now[0].email);
  EXPECT_EQ(twice.destination, std::vector<Uid>{3});

  auto moved = store_->Copy(account_, inbox_, {1}, archive_, true).value();
  EXPECT_EQ(moved.destination, std::vector<Uid>{4});
  EXPECT_EQ(Uids(inbox_), std::vector<Uid>{2});
  auto within = store_->Copy(account_, archive_, {4}, archive_, true).value();
  EXPECT_EQ(within.destination, std::vector<Uid>{5});
  EXPECT_EQ(Uids(archive_), (std::vector<Uid>{1, 2, 3, 5}));
}

TEST_F(MessagesTest, PlacementsListEveryMailboxOfAnEmail) {
  Deliver("a");
  store_->UpdateKeywords(account_, inbox_, {1}, KeywordOp::kAdd, {"$seen"}).value();
  store_->Copy(account_, inbox_, {1}, archive_, false).value();
  EmailId email = store_->ReadMailbox(inbox_).value().messages.at(0).email;
  auto placed = store_->ReadPlacements(email).value();
  ASSERT_EQ(placed.size(), 2u);
  EXPECT_EQ(placed[0].mailbox, std::min(inbox_, archive_));
  EXPECT_EQ(placed[1].mailbox, std::max(inbox_, archive_));
  EXPECT_EQ(placed[0].keywords, Keywords{"$seen"});
  EXPECT_TRUE(store_->ReadPlacements(email + 1000).value().empty());
}

TEST_F(MessagesTest, MailboxTreeCreateRenameDelete) {
  auto deep = store_->CreateMailbox(account_, "Work/2026/Q4");
  ASSERT_TRUE(deep.has_value());
  auto work = store_->FindMailbox(account_, "Work");
  ASSERT_TRUE(work.has_value());
  auto mid = store_->FindMailbox(account_, "Work/2026").value();
  EXPECT_EQ(deep->parent, mid.id);
  EXPECT_EQ(store_->CreateMailbox(account_, "Work").error(), MakeError(Errc::kAlreadyExists));
  for (const char* bad : {"", "/a", "a/", "a//b", "x\ny"}) {
    EXPECT_EQ(store_->CreateMailbox(account_, bad).error(), MakeError(Errc::kInvalidArgument))
        << bad;
  }
  EXPECT_EQ(store_->DeleteMailbox(account_, work->id), MakeError(Errc::kInvalidArgument));
  EXPECT_EQ(store_->DeleteMailbox(account_, inbox_), MakeError(Errc::kInvalidArgument));

  ASSERT_FALSE(store_->RenameMailbox(account_, work->id, "Jobs/Old"));
  EXPECT_TRUE(store_->FindMailbox(account_, "Jobs/Old/2026/Q4").has_value());
  EXPECT_TRUE(store_->FindMailbox(account_, "Jobs").has_value());
  EXPECT_FALSE(store_->FindMailbox(account_, "Work/2026").has_value());
  // Into its own subtree: refused.
  EXPECT_EQ(store_->RenameMailbox(account_, work->id, "Jobs/Old/x"),
            MakeError(Errc::kInvalidArgument));

  // A mailbox made again under a deleted one's name never reuses its UIDVALIDITY.
  auto leaf = store_->FindMailbox(account_, "Jobs/Old/2026/Q4").value();
  Deliver("x", leaf.id);
  ASSERT_FALSE(store_->DeleteMailbox(account_, leaf.id));
  auto remade = store_->CreateMailbox(account_, "Jobs/Old/2026/Q4").value();
  EXPECT_GT(remade.uidvalidity, leaf.uidvalidity);
  EXPECT_EQ(remade.uidnext, 1u);
}

TEST_F(MessagesTest, RenamingInboxMovesItsMessages) {
  Deliver("a");
  Deliver("b");
  ASSERT_FALSE(store_->RenameMailbox(account_, inbox_, "Old Inbox"));
  auto old = store_->FindMailbox(account_, "Old Inbox").value();
  EXPECT_EQ(Uids(old.id), (std::vector<Uid>{1, 2}));
  EXPECT_TRUE(Uids(inbox_).empty());
  EXPECT_EQ(store_->FindMailbox(account_, "inbox").value().id, inbox_);
}

TEST_F(MessagesTest, WritesPublishTheMailboxesTheyTouch) {
  Deliver("a");
  {
    std::lock_guard lock(mu_);
    published_.clear();
  }
  store_->Copy(account_, inbox_, {1}, archive_, true).value();
  std::lock_guard lock(mu_);
  ASSERT_EQ(published_.size(), 1u);
  auto boxes = published_[0].mailboxes;
  std::sort(boxes.begin(), boxes.end());
  EXPECT_EQ(boxes, (std::vector<MailboxId>{inbox_, archive_}));
}

TEST_F(MessagesTest, OtherAccountsMailboxesAreNotFound) {
  auto bob = store_->CreateAccount("bob@example.test", "pw").value();
  Deliver("a");
  EXPECT_EQ(store_->UpdateKeywords(bob, inbox_, {1}, KeywordOp::kAdd, {"$seen"}).error(),
            MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->Expunge(bob, inbox_, std::nullopt).error(), MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->Copy(bob, inbox_, {1}, inbox_, false).error(), MakeError(Errc::kNotFound));
  EXPECT_EQ(store_->DeleteMailbox(bob, archive_), MakeError(Errc::kNotFound));
}

}  // namespace
}  // namespace pushmail::store
