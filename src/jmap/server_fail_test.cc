// ServerFail: the client sees what failed, never the cause; each answer is counted once.
#include "jmap/server_fail.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "jmap/api.h"
#include "store/error.h"

namespace pushmail::jmap {
namespace {

TEST(ServerFail, AnswersWhatFailedAndCountsEachOnce) {
  const ErrorCode disk = MakeError(Errc::kIo);
  uint64_t before = ServerErrorCount();
  MethodError e = ServerFail("Email/get", disk, "cannot read an email");
  EXPECT_EQ(e.type, "serverFail");
  EXPECT_EQ(e.description, "cannot read an email");
  boost::json::object set = ServerFailSetError("Email/set", disk, "cannot store the email");
  EXPECT_EQ(set, (boost::json::object{{"type", "serverFail"},
                                      {"description", "cannot store the email"}}));
  EXPECT_EQ(ServerFail("Core/echo", std::runtime_error("bug")).description, "internal error");
  EXPECT_EQ(ServerErrorCount(), before + 3);
}

// A full disk is the client's to retry (overQuota on a /set, as IMAP's NO [OVERQUOTA]); a store
// latched read-only says so; neither tells the cause's internals.
TEST(ServerFail, TheDiskFullAndReadOnlyStoreSayWhatTheClientCanDo) {
  ErrorCode full = store::StoreErrc::kDiskFull;
  ErrorCode latched = store::StoreErrc::kReadOnly;
  EXPECT_EQ(ServerFailSetError("Email/set", full, "cannot store the email").at("type"),
            "overQuota");
  EXPECT_EQ(ServerFailSetError("Email/set", latched, "cannot store the email").at("type"),
            "serverFail");
  MethodError e = ServerFail("Email/import", full, "cannot store");
  EXPECT_EQ(e.type, "serverFail");
  EXPECT_NE(e.description.find("disk is full"), std::string::npos);
  EXPECT_NE(ServerFail("Email/set", latched, "x").description.find("disk error"),
            std::string::npos);
}

}  // namespace
}  // namespace pushmail::jmap
