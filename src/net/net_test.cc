#include "net/net.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

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

// Runs a handshake in memory between `server` and a client that offers only `tls12` (and, with
// `tls13`, TLS 1.3 too). The cipher the two agreed on, or "" when the handshake failed.
std::string Handshake(SSL_CTX* server, const char* tls12, bool tls13 = false) {
  SSL_CTX* client_context = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(client_context, SSL_VERIFY_NONE, nullptr);
  if (!tls13) SSL_CTX_set_max_proto_version(client_context, TLS1_2_VERSION);
  SSL_CTX_set_security_level(client_context, 0);  // let the client offer what it is told to
  EXPECT_EQ(SSL_CTX_set_cipher_list(client_context, tls12), 1) << tls12;
  SSL* client = SSL_new(client_context);
  SSL* peer = SSL_new(server);
  BIO* client_end = nullptr;
  BIO* server_end = nullptr;
  BIO_new_bio_pair(&client_end, 0, &server_end, 0);
  SSL_set_bio(client, client_end, client_end);
  SSL_set_bio(peer, server_end, server_end);
  SSL_set_connect_state(client);
  SSL_set_accept_state(peer);
  auto pending = [](SSL* ssl, int rc) {
    int e = SSL_get_error(ssl, rc);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE;
  };
  std::string agreed;
  for (int round = 0; round < 20; ++round) {
    int c = SSL_do_handshake(client);
    int s = SSL_do_handshake(peer);
    if (c == 1 && s == 1) {
      agreed = SSL_get_cipher_name(client);
      break;
    }
    if ((c != 1 && !pending(client, c)) || (s != 1 && !pending(peer, s))) break;
  }
  ERR_clear_error();
  SSL_free(client);
  SSL_free(peer);
  SSL_CTX_free(client_context);
  return agreed;
}

TEST(Tls, OffersOnlyAeadSuitesByDefault) {
  testing::TempDir dir;
  auto files = EnsureSelfSigned(dir.File("tls"), {});
  ASSERT_TRUE(files.has_value());
  std::string error;
  auto context = MakeServerContext(*files, &error);
  ASSERT_TRUE(context.has_value()) << error;
  SSL_CTX* server = (*context)->native_handle();
  struct Case {
    const char* client_offers;  // TLS 1.2 suites
    const char* agreed;         // "": refused
  };
  const Case cases[] = {
      {"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256"},
      {"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
      {"ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-ECDSA-CHACHA20-POLY1305"},
      {"ECDHE-ECDSA-AES128-SHA256", ""},  // CBC (LUCKY13)
      {"ECDHE-ECDSA-AES256-SHA384", ""},
      {"ECDHE-ECDSA-AES128-SHA", ""},
      {"ECDHE-ECDSA-AES256-SHA", ""},
      {"AES128-SHA:AES256-SHA:AES128-SHA256", ""},  // RSA key exchange, CBC
      // A client that offers CBC first still gets an AEAD suite: the server's order wins.
      {"ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-GCM-SHA384"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(Handshake(server, c.client_offers), c.agreed) << c.client_offers;
  EXPECT_EQ(Handshake(server, "ECDHE-ECDSA-AES128-SHA", true), "TLS_AES_256_GCM_SHA384");
}

TEST(Tls, CiphersAreConfigurable) {
  testing::TempDir dir;
  auto files = EnsureSelfSigned(dir.File("tls"), {});
  ASSERT_TRUE(files.has_value());
  std::string error;
  auto context = MakeServerContext(*files, &error, {"ECDHE-ECDSA-AES128-SHA256", ""});
  ASSERT_TRUE(context.has_value()) << error;
  SSL_CTX* server = (*context)->native_handle();
  EXPECT_EQ(Handshake(server, "ECDHE-ECDSA-AES128-SHA256"), "ECDHE-ECDSA-AES128-SHA256");
  EXPECT_EQ(Handshake(server, "ECDHE-ECDSA-AES128-GCM-SHA256"), "");
  // TLS 1.3 only: a TLS 1.2 client is refused, a TLS 1.3 one is served.
  context = MakeServerContext(*files, &error, {"", "TLS_CHACHA20_POLY1305_SHA256"});
  ASSERT_TRUE(context.has_value()) << error;
  server = (*context)->native_handle();
  EXPECT_EQ(Handshake(server, "ECDHE-ECDSA-AES128-GCM-SHA256"), "");
  EXPECT_EQ(Handshake(server, "ECDHE-ECDSA-AES128-GCM-SHA256", true),
            "TLS_CHACHA20_POLY1305_SHA256");
  EXPECT_FALSE(MakeServerContext(*files, &error, {"NO-SUCH-CIPHER", ""}).has_value());
  EXPECT_NE(error.find("NO-SUCH-CIPHER"), std::string::npos) << error;
  EXPECT_FALSE(MakeServerContext(*files, &error, {"", ""}).has_value());
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
