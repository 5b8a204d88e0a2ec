#include "net/net.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace pushmail::net {
namespace {

TEST(Endpoint, ParsesAndFormats) {
  struct Case {
    const char* text;
    const char* formatted;  // nullptr: must fail
  };
  const Case cases[] = {
      {"127.0.0.1:0", "127.0.0.1:0"},   {"[::1]:2525", "[::1]:2525"},
      {"localhost:25", "127.0.0.1:25"}, {":143", "[::]:143"},
      {"127.0.0.1", nullptr},           {"127.0.0.1:65536", nullptr},
      {"127.0.0.1:-1", nullptr},        {"example.org:25", nullptr},
      {"127.0.0.1:25x", nullptr},       {"", nullptr},
  };
  for (const auto& c : cases) {
    auto e = ParseEndpoint(c.text);
    if (c.formatted) {
      ASSERT_TRUE(e.has_value()) << c.text;
      EXPECT_EQ(FormatEndpoint(*e), c.formatted);
    } else {
      EXPECT_FALSE(e.has_value()) << c.text;
    }
  }
}

TEST(Tls, SelfSignedCertificateLoadsAndIsKept) {
  testing::TempDir dir;
  auto files = EnsureSelfSigned(dir.File("tls"), {"mail.example.test"});
  ASSERT_TRUE(files.has_value());
  std::string error;
  EXPECT_TRUE(MakeServerContext(*files, &error).has_value()) << error;
  auto mtime = std::filesystem::last_write_time(files->cert);
  auto again = EnsureSelfSigned(dir.File("tls"), {"mail.example.test"});
  EXPECT_EQ(std::filesystem::last_write_time(again->cert), mtime);
  EXPECT_EQ(std::filesystem::status(files->key).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
}

TEST(Tls, MissingFilesAreAClearError) {
  std::string error;
  EXPECT_FALSE(MakeServerContext({"/nonexistent/cert.pem", "/nonexistent/key.pem"}, &error));
  EXPECT_NE(error.find("/nonexistent/cert.pem"), std::string::npos);
}

TEST(IpLimiter, CountsPerAddress) {
  IpLimiter limiter(2);
  auto a = boost::asio::ip::make_address("127.0.0.1");
  auto b = boost::asio::ip::make_address("127.0.0.2");
  auto s1 = limiter.Acquire(a);
  auto s2 = limiter.Acquire(a);
  EXPECT_TRUE(s1 && s2);
  EXPECT_FALSE(limiter.Acquire(a));
  EXPECT_TRUE(limiter.Acquire(b));
  s1.reset();
  EXPECT_TRUE(limiter.Acquire(a));
}

TEST(FailureCounter, CountsAndClears) {
  FailureCounter counter(std::chrono::seconds(60));
  auto a = boost::asio::ip::make_address("127.0.0.1");
  EXPECT_EQ(counter.Count(a), 0u);
  counter.Fail(a);
  counter.Fail(a);
  EXPECT_EQ(counter.Count(a), 2u);
  counter.Clear(a);
  EXPECT_EQ(counter.Count(a), 0u);
}

}  // namespace
}  // namespace pushmail::net

namespace {

struct FakeSession {
  explicit FakeSession(int& destroyed) : destroyed_(destroyed) {}
  ~FakeSession() { ++destroyed_; }
  void RequestStop() { ++stops; }
  void Abort() { ++aborts; }
  int& destroyed_;
  int stops = 0, aborts = 0;
};

}  // namespace

TEST(Sessions, ASessionCountsUntilItsLastHolderLetsGo) {
  int destroyed = 0;
  pushmail::net::Sessions<FakeSession> sessions;
  auto a = sessions.Make(destroyed);
  auto b = sessions.Make(destroyed);
  EXPECT_EQ(sessions.Count(), 2u);
  // b's main coroutine is over, but a timer still holds it: it still counts.
  std::shared_ptr<FakeSession> timer = b;
  b.reset();
  EXPECT_EQ(sessions.Count(), 2u);
  sessions.StopAll();
  EXPECT_EQ(a->stops, 1);
  EXPECT_EQ(timer->stops, 1);
  timer.reset();
  EXPECT_EQ(destroyed, 1);
  EXPECT_EQ(sessions.Count(), 1u);
  // Made after StopAll: told to stop at once.
  auto late = sessions.Make(destroyed);
  EXPECT_EQ(late->stops, 1);
  sessions.AbortAll();
  EXPECT_EQ(a->aborts, 1);
  EXPECT_EQ(late->aborts, 1);
  a.reset();
  late.reset();
  EXPECT_EQ(sessions.Count(), 0u);
  EXPECT_EQ(destroyed, 3);
}
