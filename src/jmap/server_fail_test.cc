// ServerFail: the client sees what failed, never the cause; each answer is counted once.
#include "jmap/server_fail.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "jmap/api.h"

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

}  // namespace
}  // namespace pushmail::jmap
