// The sender's queue per subscription is one coalesced StateChange.
#include "webpush/sender.h"

#include <gtest/gtest.h>

namespace pushmail::webpush {
namespace {

store::StateChange Change(uint64_t seq, store::ModSeq email, store::ModSeq mailbox,
                          store::DataTypes changed) {
  store::StateChange c;
  c.account = 1;
  c.push_seq = seq;
  c.email_state = email;
  c.mailbox_state = mailbox;
  c.changed = changed;
  return c;
}

TEST(Coalesce, NewestStatesAndEveryChangedType) {
  const auto email = store::Bit(store::DataType::kEmail);
  const auto mailbox = store::Bit(store::DataType::kMailbox);
  const auto identity = store::Bit(store::DataType::kIdentity);
  std::optional<store::StateChange> pending;
  Coalesce(pending, Change(5, 10, 3, email));
  ASSERT_TRUE(pending);
  EXPECT_EQ(pending->push_seq, 5u);
  Coalesce(pending, Change(6, 11, 4, mailbox));
  Coalesce(pending, Change(7, 11, 4, identity));
  EXPECT_EQ(pending->push_seq, 7u);
  EXPECT_EQ(pending->email_state, 11);
  EXPECT_EQ(pending->mailbox_state, 4);
  EXPECT_EQ(pending->changed, email | mailbox | identity);
  // A push that failed goes back under what came meanwhile: the newer states stay on top.
  Coalesce(pending, Change(4, 9, 2, email));
  EXPECT_EQ(pending->push_seq, 7u);
  EXPECT_EQ(pending->email_state, 11);
  EXPECT_EQ(pending->changed, email | mailbox | identity);
}

}  // namespace
}  // namespace pushmail::webpush
