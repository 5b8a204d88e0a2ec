// The store's JMAP Email part: queries over the SQL and the full-text index, uploads and blob
// access, and Email/set's writes with their change log.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "store/email_query.h"
#include "store/ops.h"
#include "store/search_index.h"
#include "store/store.h"
#include "testing/temp_dir.h"

namespace pushmail::store {
namespace {

class JmapStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Store::Open({dir_.File("store.db"), 64}).value();
    alice_ = store_->CreateAccount("alice@example.test", "pw", HashCost::kMinimum).value();
    bob_ = store_->CreateAccount("bob@example.test", "pw", HashCost::kMinimum).value();
  }

  Delivered Deliver(AccountId to, const std::string& headers, const std::string& body,
                    int64_t received_at, Keywords keywords = {}) {
    Incoming in;
    in.message = headers + "\r\n" + body;
    in.summary = mime::Parse(in.message);
    in.received_at = received_at;
    in.recipients = {to};
    in.keywords = std::move(keywords);
    return store_->DeliverSync(std::move(in)).value().at(0);
  }

  MailboxId Box(AccountId account, const char* name) {
    return store_->FindMailbox(account, name).value().id;
  }

  std::vector<EmailId> Run(const EmailQuery& q, AccountId account = 0) {
    auto r = store_->QueryEmails(account ? account : alice_, q, 0, -1, true).value();
    std::vector<EmailId> ids;
    for (const auto& row : r.rows) ids.push_back(row.email);
    EXPECT_EQ(r.total, static_cast<int64_t>(ids.size()));
    return ids;
  }

  static EmailFilter Cond(EmailFilter::Op op, std::string text = {}, int64_t number = 0) {
    EmailFilter f;
    f.op = op;
    f.text = std::move(text);
    f.number = number;
    return f;
  }

  testing::TempDir dir_;
  std::unique_ptr<Store> store_;
  AccountId alice_ = 0, bob_ = 0;
};

TEST_F(JmapStoreTest, QueriesFilterAndSortInSql) {
  auto a = Deliver(alice_,
                   "From: Zed <zed@x.test>\r\nTo: ann@x.test\r\nSubject: Re: Budget\r\n"
                   "X-Project: apollo moon\r\n",
                   "The quarterly numbers are in.\r\n", 100, {"$seen"});
  auto b = Deliver(alice_, "From: amy@x.test\r\nSubject: Lunch\r\n", "Pizza tomorrow?\r\n", 200);
  auto c = Deliver(alice_,
                   "From: Bob <bob@x.test>\r\nSubject: report\r\nContent-Type: multipart/mixed; "
                   "boundary=b\r\n",
                   "--b\r\nContent-Type: text/plain\r\n\r\nsee attached numbers\r\n--b\r\n"
                   "Content-Type: application/pdf\r\nContent-Disposition: attachment; "
                   "filename=r.pdf\r\n\r\nxx\r\n--b--\r\n",
                   300);
  Deliver(bob_, "Subject: numbers for bob\r\n", "numbers\r\n", 400);
  using Op = EmailFilter::Op;
  EmailQuery q;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{c.email, b.email, a.email}));  // newest first
  q.sort = {{EmailSort::Key::kReceivedAt, "", true}};
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email, b.email, c.email}));
  q.sort = {{EmailSort::Key::kSubject, "", true}};  // base subjects: budget, lunch, report
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email, b.email, c.email}));
  q.sort = {{EmailSort::Key::kFrom, "", false}};  // zed, bob, amy@x.test
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email, c.email, b.email}));
  q.sort = {{EmailSort::Key::kHasKeyword, "$seen", false}, {EmailSort::Key::kSize, "", true}};
  EXPECT_EQ(Run(q).front(), a.email);
  q.sort.clear();
  q.filter = Cond(Op::kText, "NUMBERS");
  q.filter.columns = ~0u;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{c.email, a.email}));
  q.filter.columns = EmailFilter::kSubject;
  EXPECT_TRUE(Run(q).empty());
  q.filter = Cond(Op::kText, "\"quarterly numbers\" budg");
  q.filter.columns = ~0u;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email}));
  q.filter = Cond(Op::kHeader, "x-project");
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email}));
  q.filter.value = "MOON";
  EXPECT_EQ(Run(q), (std::vector<EmailId>{a.email}));
  q.filter.value = "budget";  // a word of another header
  EXPECT_TRUE(Run(q).empty());
  q.filter = Cond(Op::kHasAttachment, "", 1);
  EXPECT_EQ(Run(q), (std::vector<EmailId>{c.email}));
  q.filter = Cond(Op::kNotKeyword, "$SEEN");
  EXPECT_EQ(Run(q), (std::vector<EmailId>{c.email, b.email}));
  EmailFilter range;
  range.op = Op::kAnd;
  range.children = {Cond(Op::kAfter, "", 200), Cond(Op::kBefore, "", 300)};
  EmailFilter either;
  either.op = Op::kOr;
  either.children = {range, Cond(Op::kHasKeyword, "$seen")};
  q.filter = either;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{b.email, a.email}));
  EmailFilter none;
  none.op = Op::kNot;
  none.children = {either};
  q.filter = none;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{c.email}));
  q.filter = Cond(Op::kInMailbox, "", Box(alice_, "INBOX"));
  EXPECT_EQ(Run(q).size(), 3u);
  EXPECT_TRUE(Run(q, bob_).empty());  // Alice's mailbox id finds nothing of Bob's
  // A window: offset 1, one row, with the total.
  q.filter = {};
  auto window = store_->QueryEmails(alice_, q, 1, 1, true).value();
  ASSERT_EQ(window.rows.size(), 1u);
  EXPECT_EQ(window.rows[0].email, b.email);
  EXPECT_EQ(window.total, 3);
}

TEST_F(JmapStoreTest, ThreadConditionsAndCollapse) {
  auto first = Deliver(alice_, "Message-ID: <t1@x>\r\nSubject: one\r\n", "a\r\n", 100, {"$seen"});
  auto reply = Deliver(alice_, "Message-ID: <t2@x>\r\nIn-Reply-To: <t1@x>\r\nSubject: Re: one\r\n",
                       "b\r\n", 200);
  auto other = Deliver(alice_, "Subject: two\r\n", "c\r\n", 300, {"$seen"});
  ASSERT_EQ(first.thread, reply.thread);
  using Op = EmailFilter::Op;
  EmailQuery q;
  q.filter = Cond(Op::kAllInThreadHaveKeyword, "$seen");
  EXPECT_EQ(Run(q), (std::vector<EmailId>{other.email}));
  q.filter = Cond(Op::kSomeInThreadHaveKeyword, "$seen");
  EXPECT_EQ(Run(q).size(), 3u);
  q.filter = Cond(Op::kNoneInThreadHaveKeyword, "$flagged");
  EXPECT_EQ(Run(q).size(), 3u);
  q.filter = {};
  q.collapse_threads = true;
  EXPECT_EQ(Run(q), (std::vector<EmailId>{other.email, reply.email}));
  EXPECT_EQ(store_->ThreadEmails(alice_, {first.thread}).value().size(), 2u);
  EXPECT_TRUE(store_->ThreadEmails(bob_, {first.thread}).value().empty());
}

TEST_F(JmapStoreTest, UploadsAreTheAccountsOwn) {
  auto up = store_->PutUpload(alice_, "hello blob", "text/plain", 1000).value();
  EXPECT_EQ(up.size, 10);
  EXPECT_EQ(up.blob_id.size(), 65u);
  EXPECT_EQ(store_->ReadBlob(alice_, up.blob_id, 1000).value(), "hello blob");
  EXPECT_EQ(store_->ReadBlob(bob_, up.blob_id, 1000).error(), MakeError(Errc::kNotFound));
  // Expired after the TTL; the same bytes uploaded again are one blob.
  EXPECT_FALSE(store_->ReadBlob(alice_, up.blob_id, 1000 + kUploadTtlSeconds + 1));
  EXPECT_EQ(store_->PutUpload(bob_, "hello blob", "", 1000).value().blob_id, up.blob_id);
  EXPECT_TRUE(store_->ReadBlob(bob_, up.blob_id, 1000));
  // An email's blob is readable by its account only.
  auto d = Deliver(alice_, "Subject: x\r\n", "y\r\n", 1);
  auto record = store_->GetEmail(d.email).value();
  EXPECT_TRUE(store_->ReadBlob(alice_, record.blob_id, 0));
  EXPECT_FALSE(store_->ReadBlob(bob_, record.blob_id, 0));
}

// Deleting an account drops the blobs nothing refers to any more; another account's upload
// still refers to its blob (its foreign key failed the whole delete before).
TEST_F(JmapStoreTest, DeletingAnAccountKeepsAnotherAccountsUploads) {
  auto up = store_->PutUpload(alice_, "an attachment", "text/plain", 1000).value();
  Deliver(bob_, "Subject: x\r\n", "y\r\n", 1);
  EXPECT_FALSE(store_->DeleteAccount("bob@example.test"));
  EXPECT_EQ(store_->ReadBlob(alice_, up.blob_id, 1000).value(), "an attachment");
}

// A delivery's blob id is its own even for bytes stored before, and ids made one after another
// sort one after another (so the blobs table grows at its end); it still carries the start of
// the bytes' SHA-256, in the format of an upload's id.
TEST_F(JmapStoreTest, DeliveredBlobIdsAreUniqueAndInOrder) {
  auto first = store_->GetEmail(Deliver(alice_, "Subject: x\r\n", "y\r\n", 1).email).value();
  auto second = store_->GetEmail(Deliver(alice_, "Subject: x\r\n", "y\r\n", 1).email).value();
  auto third = store_->GetEmail(Deliver(bob_, "Subject: z\r\n", "y\r\n", 1).email).value();
  EXPECT_LT(first.blob_id, second.blob_id);
  EXPECT_LT(second.blob_id, third.blob_id);
  std::string hash = ContentBlobId(store_->ReadBlob(alice_, first.blob_id, 0).value());
  EXPECT_EQ(first.blob_id.size(), hash.size());
  EXPECT_EQ(first.blob_id.substr(17), hash.substr(1, 48));
  EXPECT_EQ(store_->ReadBlob(alice_, second.blob_id, 0).value(),
            store_->ReadBlob(alice_, first.blob_id, 0).value());
}

TEST_F(JmapStoreTest, UpdatesAndDestroysGoThroughTheChangeLog) {
  auto d = Deliver(alice_, "Subject: x\r\n", "y\r\n", 1, {"$seen"});
  MailboxId archive = Box(alice_, "Archive"), inbox = Box(alice_, "INBOX");
  auto before = store_->GetAccount(alice_).value();
  EmailUpdate u;
  u.email = d.email;
  u.add_keywords = {"$Flagged"};
  u.remove_keywords = {"$seen"};
  u.add_mailboxes = {archive};
  EmailUpdate foreign;
  foreign.email = d.email;
  foreign.add_mailboxes = {Box(bob_, "INBOX")};
  EmailUpdate empty;
  empty.email = d.email;
  empty.mailboxes = std::vector<MailboxId>{};
  EmailUpdate many;
  many.email = d.email;
  for (int i = 0; i < 101; ++i) many.add_keywords.push_back("k" + std::to_string(i));
  auto r = store_->UpdateEmails(alice_, {u, foreign, empty, many}).value();
  EXPECT_EQ(r, (std::vector<EmailWriteError>{
                   EmailWriteError::kNone, EmailWriteError::kMailboxNotFound,
                   EmailWriteError::kNoMailbox, EmailWriteError::kTooManyKeywords}));
  auto placements = store_->ReadPlacements(d.email).value();
  ASSERT_EQ(placements.size(), 2u);
  for (const auto& p : placements) EXPECT_EQ(p.keywords, Keywords{"$flagged"});
  auto changes = store_->ChangesSince(alice_, DataType::kEmail, before.email_state, 100).value();
  EXPECT_EQ(changes.updated, std::vector<int64_t>{d.email});
  // Bob can neither change nor destroy it.
  EXPECT_EQ(store_->UpdateEmails(bob_, {u}).value()[0], EmailWriteError::kNotFound);
  EXPECT_EQ(store_->DestroyEmails(bob_, {d.email}).value()[0], EmailWriteError::kNotFound);
  // Out of INBOX (replace), then destroyed; INBOX records the expunge for IMAP.
  EmailUpdate move;
  move.email = d.email;
  move.mailboxes = std::vector<MailboxId>{archive};
  EXPECT_EQ(store_->UpdateEmails(alice_, {move}).value()[0], EmailWriteError::kNone);
  EXPECT_EQ(store_->ReadMailboxChanges(inbox, 0).value().expunged.size(), 1u);
  EXPECT_EQ(store_->DestroyEmails(alice_, {d.email}).value()[0], EmailWriteError::kNone);
  EXPECT_FALSE(store_->GetEmail(d.email));
  changes = store_->ChangesSince(alice_, DataType::kEmail, before.email_state, 100).value();
  EXPECT_EQ(changes.destroyed, std::vector<int64_t>{d.email});
}

TEST_F(JmapStoreTest, DeliveryIntoSeveralMailboxes) {
  Incoming in;
  in.message = "Subject: both\r\n\r\nx\r\n";
  in.summary = mime::Parse(in.message);
  in.recipients = {alice_};
  in.mailbox = Box(alice_, "Drafts");
  in.more_mailboxes = {Box(alice_, "Sent")};
  auto d = store_->DeliverSync(std::move(in)).value().at(0);
  EXPECT_EQ(store_->ReadPlacements(d.email).value().size(), 2u);
}

// The full-text index lives in search.db, written by its own thread. A text query finds what
// was committed before it, indexed or not yet; an index that is lost, or left from another
// store, is built anew from the emails.
TEST_F(JmapStoreTest, TheSearchIndexIsRebuiltWhenLostOrForeign) {
  EmailQuery q;
  q.filter = Cond(EmailFilter::Op::kText, "zebra");
  q.filter.columns = ~0u;
  auto a = Deliver(alice_, "Subject: zebra one\r\n", "stripes\r\n", 100);
  EXPECT_EQ(Run(q), std::vector<EmailId>{a.email});  // right after the commit
  auto b = Deliver(alice_, "Subject: two\r\n", "a zebra again\r\n", 200);
  EXPECT_EQ(Run(q), (std::vector<EmailId>{b.email, a.email}));

  // Lost: the server stops, the index file goes away.
  store_.reset();
  std::filesystem::remove(dir_.File("search.db"));
  store_ = Store::Open({dir_.File("store.db"), 64}).value();
  EXPECT_EQ(Run(q), (std::vector<EmailId>{b.email, a.email}));

  // Foreign: an index of a store with more emails, put beside a new store.
  store_.reset();
  std::filesystem::rename(dir_.File("search.db"), dir_.File("kept.db"));
  std::filesystem::remove(dir_.File("search.db-wal"));
  std::filesystem::remove(dir_.File("search.db-shm"));
  std::filesystem::remove(dir_.File("store.db"));
  std::filesystem::remove(dir_.File("store.db-wal"));
  std::filesystem::remove(dir_.File("store.db-shm"));
  store_ = Store::Open({dir_.File("store.db"), 64}).value();
  alice_ = store_->CreateAccount("alice@example.test", "pw", HashCost::kMinimum).value();
  store_.reset();
  std::filesystem::rename(dir_.File("kept.db"), dir_.File("search.db"));
  store_ = Store::Open({dir_.File("store.db"), 64}).value();
  auto c = Deliver(alice_, "Subject: horse\r\n", "no stripes\r\n", 300);
  EXPECT_TRUE(Run(q).empty());  // the old index's zebras are not this store's emails
  q.filter.text = "horse";
  EXPECT_EQ(Run(q), std::vector<EmailId>{c.email});
}

// With no query to make it, the index thread indexes what was delivered by itself (this
// process leaves the machine's CPU idle, so nothing keeps it waiting).
TEST_F(JmapStoreTest, TheIndexThreadCatchesUpByItself) {
  Delivered last;
  for (int i = 0; i < 3; ++i) last = Deliver(alice_, "Subject: s\r\n", "body\r\n", 100 + i);
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (store_->Stats().indexed_upto < last.email && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(store_->Stats().indexed_upto, last.email);
}

// The index thread starts no batch while the rest of the process used more than half of the
// CPUs since it last looked; its own use does not count.
TEST(SearchIndexRoom, CrowdedWhenTheRestOfTheProcessTakesOverHalfTheCpus) {
  using std::chrono::milliseconds;
  struct Case {
    int wall_ms, process_ms, thread_ms;
    unsigned cpus;
    bool crowded;
  };
  const Case cases[] = {
      {1000, 1500, 400, 2, true},    // others 1.1 s of 2 CPU-seconds
      {1000, 1000, 0, 2, false},     // exactly half: still room
      {1000, 1900, 1000, 2, false},  // the index thread's own 1 s does not count
      {1000, 600, 0, 1, true},       // one CPU
      {1000, 3000, 0, 8, false},     // a large machine
      {0, 10, 0, 2, false},          // no time passed: nothing to judge by
  };
  for (const auto& c : cases) {
    CpuSample then;
    CpuSample now{milliseconds(c.wall_ms), milliseconds(c.process_ms), milliseconds(c.thread_ms)};
    EXPECT_EQ(Crowded(then, now, c.cpus), c.crowded) << c.wall_ms << " " << c.process_ms;
  }
}

// A query says whether it reads the full-text index, so the store can bring the index up to
// date first, whatever else the query sorts or collapses by.
TEST(EmailQueryText, QueriesSayWhenTheyReadTheIndex) {
  EmailQuery q;
  EXPECT_FALSE(CompileEmailQuery(1, q, false).full_text);
  q.filter.op = EmailFilter::Op::kText;
  q.filter.text = "zebra";
  q.filter.columns = ~0u;
  q.sort = {{EmailSort::Key::kSubject, "", true}};
  for (bool collapse : {false, true}) {
    q.collapse_threads = collapse;
    EXPECT_TRUE(CompileEmailQuery(1, q, false, 0, 10).full_text) << collapse;
    EXPECT_TRUE(CompileEmailQuery(1, q, true).full_text) << collapse;
  }
  q.filter.text = " ... ";  // no word: nothing to look up
  EXPECT_FALSE(CompileEmailQuery(1, q, false).full_text);
}

TEST(EmailQueryText, FtsExpressionsAndBaseSubjects) {
  EXPECT_EQ(FtsExpression("hello  \"big world\" @@ it\"s"),
            "\"hello\" * AND \"big world\" * AND \"it\"\"s\" *");
  EXPECT_EQ(FtsExpression("  ... "), "");
  EXPECT_EQ(BaseSubject("Re: [list] Fwd: Hello World (fwd)"), "hello world");
  EXPECT_EQ(BaseSubject("RE:re: x"), "x");
  EXPECT_EQ(BaseSubject("Report"), "report");
}

}  // namespace
}  // namespace pushmail::store
