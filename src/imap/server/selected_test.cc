#include "imap/server/selected.h"

#include <gtest/gtest.h>

#include "imap/protocol/flags.h"
#include "imap/server/fetch_render.h"

namespace pushmail::imap {
namespace {

store::MailboxMessage Msg(store::Uid uid, store::ModSeq modseq, store::Keywords k = {}) {
  return {uid, store::EmailId{uid} * 10, 1, modseq, 100, 0, std::move(k)};
}

SelectedView View(std::vector<store::MailboxMessage> messages, store::ModSeq highest) {
  store::MailboxSnapshot s;
  s.mailbox.id = 1;
  s.mailbox.highest_modseq = highest;
  s.messages = std::move(messages);
  return SelectedView(std::move(s), false);
}

store::Store::MailboxDelta Delta(std::vector<store::MailboxMessage> changed,
                                 std::vector<store::Uid> expunged, store::ModSeq highest) {
  store::Store::MailboxDelta d;
  d.mailbox.id = 1;
  d.mailbox.highest_modseq = highest;
  d.changed = std::move(changed);
  d.expunged = std::move(expunged);
  return d;
}

TEST(SelectedView, ExpungesAreReportedHighestFirstThenExists) {
  auto view = View({Msg(1, 1), Msg(2, 1), Msg(3, 1), Msg(5, 1)}, 1);
  std::string out = view.Apply(Delta({Msg(7, 2)}, {2, 3, 4 /* not ours */}, 2), {});
  EXPECT_EQ(out, "* 3 EXPUNGE\r\n* 2 EXPUNGE\r\n* 3 EXISTS\r\n");
  EXPECT_EQ(view.uids(), (std::vector<uint32_t>{1, 5, 7}));
  EXPECT_EQ(view.known_modseq(), 2);
}

TEST(SelectedView, QresyncSaysVanished) {
  auto view = View({Msg(1, 1), Msg(2, 1), Msg(3, 1)}, 1);
  EXPECT_EQ(view.Apply(Delta({}, {1, 3}, 2), {true, true}), "* VANISHED 1,3\r\n");
  EXPECT_EQ(view.size(), 1u);
}

TEST(SelectedView, FlagChangesOnceAndNotForOwnStore) {
  auto view = View({Msg(1, 1), Msg(2, 1)}, 1);
  view.Update(Msg(1, 2, {"$seen"}));  // our own STORE, reported by it
  std::string out = view.Apply(Delta({Msg(1, 2, {"$seen"}), Msg(2, 3, {"$flagged"})}, {}, 3), {});
  EXPECT_EQ(out, "* 2 FETCH (UID 2 FLAGS (\\Flagged))\r\n");
  EXPECT_EQ(view.Apply(Delta({}, {}, 3), {}), "");
}

TEST(SelectedView, ResolvesSetsAgainstSequenceAndUid) {
  auto view = View({Msg(3, 1), Msg(7, 1), Msg(9, 1)}, 1);
  Limits limits;
  EXPECT_EQ(view.Resolve(*ParseSequenceSet("2:*", limits), false), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(view.Resolve(*ParseSequenceSet("5:9", limits), true), (std::vector<uint32_t>{2, 3}));
  EXPECT_EQ(view.Resolve(*ParseSequenceSet("100:*", limits), true), (std::vector<uint32_t>{3}));
  EXPECT_TRUE(view.Resolve(*ParseSequenceSet("4", limits), false).empty());
}

TEST(Flags, MapBothWays) {
  EXPECT_EQ(FlagToKeyword("\\SEEN"), "$seen");
  EXPECT_EQ(FlagToKeyword("$Label1"), "$label1");
  EXPECT_EQ(FlagToKeyword("\\Recent"), std::nullopt);
  EXPECT_EQ(FlagToKeyword("\\Unknown"), std::nullopt);
  EXPECT_EQ(FormatFlags({"$deleted", "$seen", "work"}), "(\\Deleted \\Seen work)");
}

TEST(FilterHeader, Table) {
  const std::string header =
      "From: a@b\r\nSubject: one\r\n two\r\nX-Long:\tv\r\nsubject : again\r\nbroken line\r\n\r\n";
  struct Case {
    std::vector<std::string> names;
    bool exclude;
    std::string want;
  } cases[] = {
      {{"SUBJECT"}, false, "Subject: one\r\n two\r\nsubject : again\r\n\r\n"},
      {{"from", "x-long"}, false, "From: a@b\r\nX-Long:\tv\r\n\r\n"},
      {{"nothing"}, false, "\r\n"},
      {{"subject", "x-long"}, true, "From: a@b\r\n\r\n"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(FilterHeader(header, c.names, c.exclude), c.want) << c.names[0];
  }
}

}  // namespace
}  // namespace pushmail::imap

namespace pushmail::imap {
namespace {

TEST(SelectedView, RowsFromTheStoreAreShownAsTheClientKnowsThem) {
  store::MailboxSnapshot s;
  s.mailbox.id = 1;
  s.mailbox.highest_modseq = 9;
  s.messages = {{3, 30, 1, 5, 100, 0, {"$seen"}}, {7, 70, 1, 6, 200, 0, {}}};
  SelectedView view(std::move(s), false);
  ASSERT_EQ(view.size(), 2u);
  EXPECT_EQ(view.at(1).keywords, (store::Keywords{"$seen"}));
  // The store has moved on: 3 got \Flagged (not yet told), 9 arrived (not yet told).
  std::vector<store::MailboxMessage> rows = {{3, 30, 1, 12, 100, 0, {"$flagged", "$seen"}},
                                             {9, 90, 1, 13, 300, 0, {}}};
  auto told = view.AsTold(rows);
  ASSERT_EQ(told.size(), 1u);
  EXPECT_EQ(told[0].first, 1u);
  EXPECT_EQ(told[0].second.email, 30);
  EXPECT_EQ(told[0].second.size, 100);
  EXPECT_EQ(told[0].second.keywords, (store::Keywords{"$seen"}));
  EXPECT_EQ(told[0].second.modseq, 5);
  // Flags that come back to an earlier set are told like any other change.
  store::Store::MailboxDelta d;
  d.mailbox.id = 1;
  d.mailbox.highest_modseq = 14;
  d.changed = {{7, 70, 1, 14, 200, 0, {"$seen"}}};
  EXPECT_EQ(view.Apply(d, {}), "* 2 FETCH (UID 7 FLAGS (\\Seen))\r\n");
  EXPECT_EQ(view.at(2).keywords, view.at(1).keywords);
  EXPECT_EQ(&view.at(2).keywords, &view.at(1).keywords);  // one copy of each distinct set
}

}  // namespace
}  // namespace pushmail::imap
