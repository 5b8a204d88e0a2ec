// TLS through net::Stream and net::TlsSocket over real loopback TCP. The peer is OpenSSL with a
// blocking socket on a thread of its own; the side under test runs on the test's io_context.
#include "net/tls_socket.h"

#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <csignal>
#include <functional>
#include <future>
#include <optional>
#include <thread>

#include "net/stream.h"
#include "net/tls.h"
#include "testing/temp_dir.h"

namespace pushmail::net {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::ip::tcp;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr Duration kLong = std::chrono::seconds(10);  // "never", for a test that works
constexpr size_t kMiB = 1 << 20;
constexpr int kSmallSocketBuffer = 16 * 1024;  // makes large transfers wait for the socket

static_assert(boost::beast::is_async_stream<TlsSocket>::value,
              "Beast must be able to layer on TlsSocket");

// Octets in which a lost, repeated or misplaced chunk shows.
std::string Pattern(size_t size) {
  std::string s(size, '\0');
  for (size_t i = 0; i < size; ++i) s[i] = static_cast<char>((i * 7 + i / 4093) & 0xff);
  return s;
}

// The other end of the connection: OpenSSL over a blocking socket, on a thread of its own.
// Every blocking call gives up after kLong, so a broken server fails a test instead of hanging it.
class Peer {
 public:
  Peer(uint16_t port, SSL_CTX* context, int receive_buffer = 0) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof(int));
    timeval limit{std::chrono::duration_cast<std::chrono::seconds>(kLong).count(), 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    ssl_ = SSL_new(context);
    SSL_set_fd(ssl_, fd_);
  }
  ~Peer() {
    Join();
    SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  void Run(std::function<void(Peer&)> script) {
    thread_ = std::thread([this, script = std::move(script)] { script(*this); });
  }
  void Join() {
    if (thread_.joinable()) thread_.join();
  }

  SSL* ssl() { return ssl_; }
  int fd() const { return fd_; }
  bool Handshake() { return SSL_connect(ssl_) == 1; }
  bool Send(std::string_view data) {
    size_t written = 0;  // without SSL_MODE_ENABLE_PARTIAL_WRITE: all or nothing
    return SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1;
  }
  // Up to `size` octets: fewer when the connection ends or fails first.
  std::string Receive(size_t size) {
    std::string got(size, '\0');
    size_t have = 0, n = 0;
    while (have < size && SSL_read_ex(ssl_, got.data() + have, size - have, &n) == 1) have += n;
    got.resize(have);
    return got;
  }
  bool SendPlain(std::string_view data) {
    return ::send(fd_, data.data(), data.size(), 0) == static_cast<ssize_t>(data.size());
  }
  std::string ReceivePlain(size_t size) {
    std::string got(size, '\0');
    size_t have = 0;
    for (ssize_t n; have < size && (n = recv(fd_, got.data() + have, size - have, 0)) > 0;) {
      have += static_cast<size_t>(n);
    }
    got.resize(have);
    return got;
  }
  // Ends the connection with a FIN; with close_notify first if `notify`.
  void Hangup(bool notify) {
    if (notify) SSL_shutdown(ssl_);
    ::shutdown(fd_, SHUT_WR);
  }
  // Closes the socket with octets unread (the server's session tickets), which resets the
  // connection.
  void Vanish() {
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  SSL* ssl_ = nullptr;
  std::thread thread_;
};

class TlsTest : public ::testing::Test {
 protected:
  TlsTest() {
    std::signal(SIGPIPE, SIG_IGN);  // as pushmaild does: see tls_socket.h
    auto files = EnsureSelfSigned(dir_.File("tls"), {});
    std::string error;
    auto context = MakeServerContext(*files, &error);
    EXPECT_TRUE(context.has_value()) << error;
    server_context_ = *context;
    client_context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(client_context_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_load_verify_locations(client_context_, files->cert.c_str(), nullptr);
  }
  ~TlsTest() override { SSL_CTX_free(client_context_); }

  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  tcp::socket Accept(int send_buffer = 0) {
    tcp::socket socket = acceptor_.accept();
    if (send_buffer) socket.set_option(tcp::socket::send_buffer_size(send_buffer));
    return socket;
  }

  // Runs the io_context until `done` says so; false if that takes longer than it ever should.
  bool RunUntil(const std::function<bool()>& done) {
    auto give_up = SteadyClock::now() + 2 * kLong;
    while (!done() && SteadyClock::now() < give_up) {
      io_.restart();
      io_.run_one_for(milliseconds(10));
    }
    return done();
  }
  // Runs a server-side scenario to its end.
  void Run(awaitable<void> scenario) {
    bool finished = false;
    asio::co_spawn(io_, std::move(scenario), [&](const std::exception_ptr& e) {
      finished = true;
      if (e) std::rethrow_exception(e);
    });
    EXPECT_TRUE(RunUntil([&] { return finished; })) << "the scenario did not finish";
  }
  void WriteNowThenWrite(Peer& peer, Stream& stream, asio::ssl::context* tls);

  testing::TempDir dir_;
  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::address_v4::loopback(), 0}};
  std::shared_ptr<asio::ssl::context> server_context_;
  SSL_CTX* client_context_ = nullptr;
};

awaitable<std::string> ReadExactly(Stream& stream, size_t size) {
  std::string got;
  std::array<char, 4096> chunk;
  while (got.size() < size) {
    size_t want = std::min(chunk.size(), size - got.size());
    auto n = co_await stream.ReadSome(asio::buffer(chunk.data(), want), kLong);
    if (!n) {
      ADD_FAILURE() << "read after " << got.size() << " octets: " << n.error().message();
      break;
    }
    got.append(chunk.data(), *n);
  }
  co_return got;
}

// Reads as many octets as `expected` holds and expects them to be those.
awaitable<void> ExpectInput(Stream& stream, std::string_view expected) {
  std::string got = co_await ReadExactly(stream, expected.size());
  EXPECT_TRUE(got == expected) << got.size() << " octets, " << (got.size() <= 64 ? got : "changed");
}

awaitable<void> ExpectSent(Stream& stream, std::string_view data) {
  ErrorCode ec = co_await stream.Write(asio::buffer(data), kLong);
  EXPECT_FALSE(ec) << ec.message();
}

awaitable<void> Sleep(Duration duration) {
  auto executor = co_await asio::this_coro::executor;
  asio::steady_timer timer(executor, duration);
  co_await timer.async_wait(kTuple);
}

awaitable<bool> StartTls(Stream& stream, asio::ssl::context& context) {
  ErrorCode ec = co_await stream.StartTls(context, kLong);
  EXPECT_FALSE(ec) << ec.message();
  co_return !ec;
}

// GCC 12 miscompiles co_await inside conditions and macro arguments (docs/architecture.md), so
// every result below is awaited into a named variable first.

TEST_F(TlsTest, HandshakeAndEcho) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  std::string echoed;
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send("hello")) return;
    echoed = p.Receive(5);
  });
  Run([&]() -> awaitable<void> {
    EXPECT_FALSE(stream.tls());
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    EXPECT_TRUE(stream.tls());
    EXPECT_EQ(stream.TlsDescription().rfind("TLSv1.3 TLS_", 0), 0u) << stream.TlsDescription();
    std::string got = co_await ReadExactly(stream, 5);
    EXPECT_EQ(got, "hello");
    co_await ExpectSent(stream, got);
  }());
  peer.Join();
  EXPECT_EQ(echoed, "hello");
}

TEST_F(TlsTest, EchoesAMebibyteThroughSmallSocketBuffers) {
  Peer peer(port(), client_context_, kSmallSocketBuffer);
  Stream stream(Accept(kSmallSocketBuffer));
  const std::string payload = Pattern(kMiB);
  std::string echoed;
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send(payload)) return;
    echoed = p.Receive(payload.size());
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    std::string got = co_await ReadExactly(stream, payload.size());
    EXPECT_TRUE(got == payload) << "the payload came in changed";
    co_await ExpectSent(stream, got);
  }());
  peer.Join();
  EXPECT_EQ(echoed.size(), payload.size());
  EXPECT_TRUE(echoed == payload) << "the echo came back changed";
}

awaitable<void> WriteAndNote(Stream& stream, const std::string& data, bool& written) {
  ErrorCode ec = co_await stream.Write(asio::buffer(data), kLong);
  EXPECT_FALSE(ec) << ec.message();
  written = true;
}

// An IMAP IDLE reads DONE while pushes are written. The peer also asks for a TLS 1.3 KeyUpdate,
// which the server's read meets while its write is stuck on a full socket.
TEST_F(TlsTest, AReadAndAWriteInFlightAtOnce) {
  Peer peer(port(), client_context_, kSmallSocketBuffer);
  Stream stream(Accept(kSmallSocketBuffer));
  const std::string push = Pattern(kMiB);
  std::string received, bye;
  peer.Run([&](Peer& p) {
    if (!p.Handshake()) return;
    EXPECT_EQ(SSL_key_update(p.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
    if (!p.Send("ping")) return;
    received = p.Receive(push.size());
    if (!p.Send("pong")) return;
    bye = p.Receive(3);
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    bool written = false;
    asio::co_spawn(io_, WriteAndNote(stream, push, written), asio::detached);
    co_await ExpectInput(stream, "ping");
    EXPECT_FALSE(written) << "the peer has read nothing yet: the write cannot be over";
    co_await ExpectInput(stream, "pong");  // sent once the push is all in
    for (int i = 0; !written && i < 1000; ++i) co_await Sleep(milliseconds(10));
    EXPECT_TRUE(written);
    co_await ExpectSent(stream, "bye");
  }());
  peer.Join();
  EXPECT_TRUE(received == push) << "the push came in changed, " << received.size() << " octets";
  EXPECT_EQ(bye, "bye");
}

TEST_F(TlsTest, CancelEndsAPendingReadAndTheStreamGoesOn) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  peer.Run([&](Peer& p) {
    if (!p.Handshake()) return;
    EXPECT_EQ(p.Receive(2), "go");
    p.Send("after");
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    asio::steady_timer timer(io_, milliseconds(50));
    timer.async_wait([&](ErrorCode) { stream.Cancel(); });
    std::array<char, 16> buffer;
    auto n = co_await stream.ReadSome(asio::buffer(buffer), kLong);
    EXPECT_EQ(n.error(), asio::error::operation_aborted);
    co_await ExpectSent(stream, "go");
    co_await ExpectInput(stream, "after");
  }());
}

TEST_F(TlsTest, CloseEndsAPendingWait) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  std::string after_close = "unset";
  peer.Run([&](Peer& p) {
    if (p.Handshake()) after_close = p.Receive(1);
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    asio::steady_timer timer(io_, milliseconds(50));
    timer.async_wait([&](ErrorCode) { stream.Close(); });
    ErrorCode woke = co_await stream.WaitReadable(kLong);
    EXPECT_EQ(woke, asio::error::operation_aborted);
    std::array<char, 16> buffer;  // and nothing reaches the closed descriptor's number
    auto n = co_await stream.ReadSome(asio::buffer(buffer), kLong);
    EXPECT_EQ(n.error(), asio::error::bad_descriptor);
  }());
  peer.Join();
  EXPECT_EQ(after_close, "");
}

TEST_F(TlsTest, AReadTimesOut) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  peer.Run([&](Peer& p) {
    if (p.Handshake()) p.Receive(1);  // quiet until the server closes
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    auto start = SteadyClock::now();
    std::array<char, 16> buffer;
    auto n = co_await stream.ReadSome(asio::buffer(buffer), milliseconds(50));
    EXPECT_EQ(n.error(), asio::error::timed_out);
    EXPECT_GE(SteadyClock::now() - start, milliseconds(50));
    ErrorCode woke = co_await stream.WaitReadable(milliseconds(20));
    EXPECT_EQ(woke, asio::error::timed_out);
    stream.Close();
  }());
}

// The peer sends one record of 100 octets and then stays quiet, so the socket has nothing more
// to signal: only OpenSSL knows that 90 decrypted octets are still to be read.
TEST_F(TlsTest, WaitingForInputReturnsAtOnceWhenTlsHoldsDecryptedOctets) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  const std::string record = Pattern(100);
  peer.Run([&](Peer& p) {
    if (p.Handshake() && p.Send(record)) p.Receive(1);  // quiet until the server closes
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    std::array<char, 10> head;
    auto n = co_await stream.ReadSome(asio::buffer(head), kLong);
    EXPECT_EQ(n ? *n : 0, 10u);
    // A wait on the socket would time out.
    ErrorCode waited = co_await stream.WaitReadable(milliseconds(100));
    EXPECT_FALSE(waited) << waited.message();
    std::optional<ErrorCode> woke;
    stream.AsyncWaitReadable(milliseconds(100), [&](ErrorCode ec) { woke = ec; });
    while (!woke) co_await Sleep(milliseconds(1));
    EXPECT_FALSE(*woke) << woke->message();
    const std::string rest = record.substr(10);
    co_await ExpectInput(stream, rest);
    ErrorCode drained = co_await stream.WaitReadable(milliseconds(50));
    EXPECT_EQ(drained, asio::error::timed_out);
    stream.Close();
  }());
}

// An idle push stream waits with no deadline: on the record layer that is a wait on the socket
// itself, which wakes when the peer sends and ends when the stream is cancelled.
TEST_F(TlsTest, AWaitWithNoDeadlineWakesOnInputAndEndsOnCancel) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  std::atomic<bool> waiting{false};
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send("go")) return;
    for (int i = 0; i < 1000 && !waiting; ++i) std::this_thread::sleep_for(milliseconds(5));
    if (p.Send("x")) p.Receive(1);  // quiet until the server closes
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    co_await ExpectInput(stream, "go");
    std::optional<ErrorCode> woke;
    stream.AsyncWaitReadable(Stream::kNoTimeout, [&](ErrorCode ec) { woke = ec; });
    waiting = true;
    for (int i = 0; i < 5000 && !woke; ++i) co_await Sleep(milliseconds(1));
    EXPECT_TRUE(woke && !*woke) << (woke ? woke->message() : "did not wake");
    co_await ExpectInput(stream, "x");
    woke.reset();
    stream.AsyncWaitReadable(Stream::kNoTimeout, [&](ErrorCode ec) { woke = ec; });
    co_await Sleep(milliseconds(20));
    EXPECT_FALSE(woke.has_value());
    stream.Cancel();
    for (int i = 0; i < 5000 && !woke; ++i) co_await Sleep(milliseconds(1));
    EXPECT_TRUE(woke && *woke == asio::error::operation_aborted);
    stream.Close();
  }());
}

TEST_F(TlsTest, ThePeerClosingIsAnError) {
  struct Case {
    bool close_notify;
    ErrorCode expected;
  };
  const Case cases[] = {{true, asio::error::eof}, {false, asio::ssl::error::stream_truncated}};
  for (const Case& c : cases) {
    Peer peer(port(), client_context_);
    Stream stream(Accept());
    peer.Run([&](Peer& p) {
      if (p.Handshake()) p.Hangup(c.close_notify);
    });
    Run([&]() -> awaitable<void> {
      bool started = co_await StartTls(stream, *server_context_);
      if (!started) co_return;
      ErrorCode woke = co_await stream.WaitReadable(kLong);
      EXPECT_FALSE(woke) << woke.message();
      std::array<char, 16> buffer;
      auto n = co_await stream.ReadSome(asio::buffer(buffer), kLong);
      EXPECT_EQ(n.error(), c.expected) << n.error().message();
    }());
  }
}

TEST_F(TlsTest, WritingToAPeerThatHasGoneIsAnError) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  peer.Run([&](Peer& p) {
    if (p.Handshake()) p.Vanish();
  });
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    ErrorCode woke = co_await stream.WaitReadable(kLong);  // the reset, or the FIN before it
    EXPECT_FALSE(woke) << woke.message();
    const std::string data(1024, 'x');
    ErrorCode ec;
    for (int i = 0; !ec && i < 100; ++i) {  // the first write may go out before the reset is in
      ec = co_await stream.Write(asio::buffer(data), kLong);
      if (!ec) co_await Sleep(milliseconds(1));
    }
    EXPECT_TRUE(ec == boost::system::errc::broken_pipe ||
                ec == boost::system::errc::connection_reset)
        << ec.message();
  }());
}

TEST_F(TlsTest, StartTlsSwitchesAPlainStreamInPlace) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  std::string reply;
  peer.Run([&](Peer& p) {
    if (!p.SendPlain("a STARTTLS\r\n") || p.ReceivePlain(6) != "a OK\r\n") return;
    if (p.Handshake() && p.Send("secret")) reply = p.Receive(2);
  });
  Run([&]() -> awaitable<void> {
    co_await ExpectInput(stream, "a STARTTLS\r\n");
    co_await ExpectSent(stream, "a OK\r\n");
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    co_await ExpectInput(stream, "secret");
    co_await ExpectSent(stream, "ok");
  }());
  peer.Join();
  EXPECT_EQ(reply, "ok");
}

TEST_F(TlsTest, AFailedHandshakeIsAnError) {
  Peer peer(port(), client_context_);
  Stream stream(Accept());
  peer.Run([&](Peer& p) {
    p.SendPlain("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    p.ReceivePlain(1024);  // an alert, then the end
  });
  Run([&]() -> awaitable<void> {
    ErrorCode ec = co_await stream.StartTls(*server_context_, kLong);
    EXPECT_EQ(ec.category(), asio::error::get_ssl_category()) << ec.message();
    stream.Close();
  }());
}

// Both ends are TlsSockets driven by asio::async_read / async_write, as Beast would drive them.
TEST_F(TlsTest, TlsSocketIsAnAsioStreamOnBothSides) {
  asio::ssl::context client_context(asio::ssl::context::tls_client);
  tcp::socket client_socket(io_);
  client_socket.connect(acceptor_.local_endpoint());
  TlsSocket server(Accept(kSmallSocketBuffer), *server_context_);
  TlsSocket client(std::move(client_socket), client_context);
  const std::string head = "head:", body = Pattern(size_t{256} * 1024);
  std::string echoed(head.size() + body.size(), '\0');
  int finished = 0;
  auto serve = [&]() -> awaitable<void> {
    auto [ec] = co_await server.async_handshake(asio::ssl::stream_base::server, kTuple);
    EXPECT_FALSE(ec) << ec.message();
    std::string got(echoed.size(), '\0');
    auto [read_error, n] = co_await asio::async_read(server, asio::buffer(got), kTuple);
    EXPECT_EQ(n, got.size()) << read_error.message();
    co_await asio::async_write(server, asio::buffer(got), kTuple);
    ++finished;
  };
  auto call = [&]() -> awaitable<void> {
    auto [ec] = co_await client.async_handshake(asio::ssl::stream_base::client, kTuple);
    EXPECT_FALSE(ec) << ec.message();
    std::array<asio::const_buffer, 2> parts = {asio::buffer(head), asio::buffer(body)};
    auto [write_error, written] = co_await asio::async_write(client, parts, kTuple);
    EXPECT_EQ(written, echoed.size()) << write_error.message();
    co_await asio::async_read(client, asio::buffer(echoed), kTuple);
    ++finished;
  };
  asio::co_spawn(io_, serve(), asio::detached);
  asio::co_spawn(io_, call(), asio::detached);
  EXPECT_TRUE(RunUntil([&] { return finished == 2; }));
  EXPECT_TRUE(echoed == head + body) << "the echo came back changed";
}

// Waits, without running the io_context, until octets have come in on `fd` and stopped coming.
bool OctetsArrive(int fd) {
  auto give_up = SteadyClock::now() + kLong;
  for (int queued = 0, before = 0; SteadyClock::now() < give_up; before = queued) {
    std::this_thread::sleep_for(milliseconds(50));
    if (ioctl(fd, FIONREAD, &queued) == 0 && queued > 0 && queued == before) return true;
  }
  return false;
}

// OpenSSL can read inside SSL_write when a renegotiation is under way, and a read can take the
// octets off the socket that such a write waits for: the socket then has nothing left to signal,
// and the write must be woken by the read or it waits for ever. (The server context forbids
// client renegotiation, so this is for OpenSSL's sake, and to be safe with contexts that allow
// it.)
TEST_F(TlsTest, AReadThatFinishesAHandshakeWakesTheWaitingWrite) {
  Peer peer(port(), client_context_);
  SSL_set_max_proto_version(peer.ssl(), TLS1_2_VERSION);
  TlsSocket server(Accept(), *server_context_);
  SSL* ssl = server.native_handle();
  SSL_set_options(ssl, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  std::string reply;
  peer.Run([&](Peer& p) {
    if (!p.Handshake()) return;
    // Answers the server's hello late, so that the server's read stops in mid-handshake.
    SSL_set_verify(p.ssl(), SSL_VERIFY_PEER, [](int ok, X509_STORE_CTX*) {
      std::this_thread::sleep_for(milliseconds(200));
      return ok;
    });
    EXPECT_EQ(SSL_renegotiate(p.ssl()), 1);
    EXPECT_EQ(SSL_do_handshake(p.ssl()), 1);
    reply = p.Receive(1);
  });
  bool shaken = false;
  server.async_handshake(asio::ssl::stream_base::server, [&](ErrorCode ec) {
    EXPECT_FALSE(ec) << ec.message();
    shaken = true;
  });
  ASSERT_TRUE(RunUntil([&] { return shaken; }));
  // A read takes in the peer's ClientHello, answers it, and is cancelled in mid-handshake.
  std::array<char, 4> buffer;
  std::optional<ErrorCode> read;
  auto start_read = [&] {
    read.reset();
    server.async_read_some(asio::buffer(buffer), [&](ErrorCode ec, size_t) { read = ec; });
  };
  start_read();
  ASSERT_TRUE(RunUntil([&] { return SSL_in_init(ssl) == 1; })) << SSL_state_string_long(ssl);
  server.cancel();
  ASSERT_TRUE(RunUntil([&] { return read.has_value(); }));
  EXPECT_EQ(*read, asio::error::operation_aborted);
  // A write has to finish the handshake first: it waits for the peer's next flight.
  std::optional<size_t> written;
  server.async_write_some(asio::buffer("y", 1), [&](ErrorCode ec, size_t n) {
    EXPECT_FALSE(ec) << ec.message();
    written = n;
  });
  io_.restart();
  io_.poll();
  ASSERT_FALSE(written);
  // The flight comes in, and a new read takes it before the write hears of it.
  ASSERT_TRUE(OctetsArrive(server.next_layer().native_handle()));
  start_read();
  EXPECT_TRUE(RunUntil([&] { return written.has_value(); })) << "the write was never woken";
  EXPECT_EQ(SSL_in_init(ssl), 0);
  peer.Join();
  EXPECT_EQ(reply, "y");
  server.cancel();
  EXPECT_TRUE(RunUntil([&] { return read.has_value(); }));
}
}  // namespace
}  // namespace pushmail::net

namespace pushmail::net {
namespace {

// A server TlsSocket after a TLS 1.3 handshake with `peer`, which runs `script` after its
// handshake. Returns what the server read (`expect` octets) and then echoes it back.
struct RecordLayerRun {
  bool left_openssl = false;
  std::string description;
  std::string read;
};

class RecordLayerTest : public TlsTest {
 protected:
  RecordLayerRun Echo(Peer& peer, size_t expect) {
    RecordLayerRun result;
    TlsSocket server(Accept(kSmallSocketBuffer), *server_context_);
    bool finished = false;
    asio::co_spawn(
        io_,
        [&]() -> awaitable<void> {
          auto [ec] = co_await server.async_handshake(asio::ssl::stream_base::server, kTuple);
          EXPECT_FALSE(ec) << ec.message();
          result.left_openssl = server.native_handle() == nullptr;
          result.description = server.Description();
          std::string got(expect, '\0');
          auto [read_error, n] = co_await asio::async_read(server, asio::buffer(got), kTuple);
          EXPECT_EQ(n, expect) << read_error.message();
          result.read = got.substr(0, n);
          co_await asio::async_write(server, asio::buffer(result.read), kTuple);
          finished = true;
        },
        asio::detached);
    EXPECT_TRUE(RunUntil([&] { return finished; }));
    peer.Join();
    return result;
  }
};

TEST_F(RecordLayerTest, EverySuiteLeavesOpenSslAndEchoesThroughOurRecords) {
  for (const char* suite :
       {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
    Peer peer(port(), client_context_);
    SSL_set_ciphersuites(peer.ssl(), suite);
    const std::string data = Pattern(size_t{100} * 1024);
    std::string echoed;
    peer.Run([&](Peer& p) {
      if (!p.Handshake() || !p.Send(data)) return;
      echoed = p.Receive(data.size());
    });
    RecordLayerRun run = Echo(peer, data.size());
    EXPECT_TRUE(run.left_openssl) << suite;
    EXPECT_EQ(run.description, std::string("TLSv1.3 ") + suite);
    EXPECT_TRUE(run.read == data) << suite << ": the server read something else";
    EXPECT_TRUE(echoed == data) << suite << ": the client read something else";
  }
}

// RFC 8446 4.6.3: the client updates its keys and asks the server to update its own; the server
// must answer with a KeyUpdate before its next record, and read the client's new key.
TEST_F(RecordLayerTest, KeyUpdatesFromTheClientAreFollowedAndAnswered) {
  Peer peer(port(), client_context_);
  std::string echoed;
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send("before ")) return;
    if (SSL_key_update(p.ssl(), SSL_KEY_UPDATE_REQUESTED) != 1 || !p.Send("after  ")) return;
    if (SSL_key_update(p.ssl(), SSL_KEY_UPDATE_NOT_REQUESTED) != 1 || !p.Send("again")) return;
    echoed = p.Receive(19);
  });
  RecordLayerRun run = Echo(peer, 19);
  EXPECT_TRUE(run.left_openssl);
  EXPECT_EQ(run.read, "before after  again");
  EXPECT_EQ(echoed, "before after  again");  // OpenSSL read our KeyUpdate and the new key
}

TEST_F(RecordLayerTest, Tls12StaysWithOpenSsl) {
  Peer peer(port(), client_context_);
  SSL_set_max_proto_version(peer.ssl(), TLS1_2_VERSION);
  std::string echoed;
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send("twelve")) return;
    echoed = p.Receive(6);
  });
  RecordLayerRun run = Echo(peer, 6);
  EXPECT_FALSE(run.left_openssl);
  EXPECT_EQ(run.description.rfind("TLSv1.2 ", 0), 0u) << run.description;
  EXPECT_EQ(echoed, "twelve");
}

// A record whose authentication fails ends the stream with an error; the server does not crash
// or hand out the forged octets.
TEST_F(RecordLayerTest, AForgedRecordIsAnError) {
  Peer peer(port(), client_context_);
  peer.Run([&](Peer& p) {
    if (!p.Handshake()) return;
    // A well-formed header and a body no key made.
    p.SendPlain(std::string("\x17\x03\x03\x00\x20", 5) + std::string(32, 'x'));
  });
  TlsSocket server(Accept(), *server_context_);
  ErrorCode read_error;
  size_t read = 0;
  bool finished = false;
  asio::co_spawn(
      io_,
      [&]() -> awaitable<void> {
        auto [ec] = co_await server.async_handshake(asio::ssl::stream_base::server, kTuple);
        EXPECT_FALSE(ec) << ec.message();
        EXPECT_EQ(server.native_handle(), nullptr);
        std::array<char, 64> buffer;
        auto [error, n] = co_await server.async_read_some(asio::buffer(buffer), kTuple);
        read_error = error;
        read = n;
        finished = true;
      },
      asio::detached);
  EXPECT_TRUE(RunUntil([&] { return finished; }));
  peer.Join();
  EXPECT_EQ(read, 0u);
  EXPECT_EQ(read_error, boost::system::errc::make_error_code(boost::system::errc::bad_message));
}

// A push to an idle connection is written with WriteNow, no operation; when the socket's buffer
// is full, what WriteNow did not take goes to Write, and the peer reads every octet in order
// (over TLS, a record sealed and half sent is finished by the Write of the same data).
void TlsTest::WriteNowThenWrite(Peer& peer, Stream& stream, asio::ssl::context* tls) {
  std::atomic<bool> full{false};
  std::string received;
  peer.Run([&](Peer& p) {
    if (tls && (!p.Handshake() || !p.Send("go"))) return;
    if (!tls && !p.SendPlain("go")) return;
    for (int i = 0; i < 1000 && !full; ++i) std::this_thread::sleep_for(milliseconds(10));
    std::array<char, 4096> chunk;
    while (received.size() < 3 || received.compare(received.size() - 3, 3, "END") != 0) {
      size_t n = 0;
      if (tls && SSL_read_ex(p.ssl(), chunk.data(), chunk.size(), &n) != 1) break;
      if (!tls) n = static_cast<size_t>(std::max<ssize_t>(recv(p.fd(), chunk.data(), 4096, 0), 0));
      if (n == 0) break;
      received.append(chunk.data(), n);
    }
  });
  std::string expected;
  size_t at_once = 0;
  Run([&]() -> awaitable<void> {
    if (tls) {
      bool started = co_await StartTls(stream, *tls);
      if (!started) co_return;
    }
    co_await ExpectInput(stream, "go");
    std::string rest;
    for (int i = 0; i < 10000 && rest.empty(); ++i) {
      std::string chunk(1000, static_cast<char>('a' + i % 26));
      expected += chunk;
      auto done = stream.WriteNow(asio::buffer(chunk));
      if (!done) {
        ADD_FAILURE() << done.error().message();
        co_return;
      }
      if (*done == chunk.size()) ++at_once;
      rest = chunk.substr(*done);
    }
    EXPECT_FALSE(rest.empty()) << "the socket never filled";
    full = true;
    co_await ExpectSent(stream, rest);
    expected += "END";
    co_await ExpectSent(stream, "END");
  }());
  peer.Join();
  EXPECT_GT(at_once, 0u);
  EXPECT_EQ(received.size(), expected.size());
  EXPECT_TRUE(received == expected) << "the peer read something else";
}

TEST_F(RecordLayerTest, WriteNowThenWriteOverTls) {
  Peer peer(port(), client_context_, kSmallSocketBuffer);
  Stream stream(Accept(kSmallSocketBuffer));
  WriteNowThenWrite(peer, stream, server_context_.get());
}

TEST_F(TlsTest, WriteNowThenWriteOverPlainTcp) {
  Peer peer(port(), client_context_, kSmallSocketBuffer);
  Stream stream(Accept(kSmallSocketBuffer));
  WriteNowThenWrite(peer, stream, nullptr);
}

// With OpenSSL still holding the connection (TLS 1.2), WriteNow takes nothing and Write does it.
TEST_F(RecordLayerTest, WriteNowLeavesOpenSslConnectionsToWrite) {
  Peer peer(port(), client_context_);
  SSL_set_max_proto_version(peer.ssl(), TLS1_2_VERSION);
  std::string received;
  peer.Run([&](Peer& p) {
    if (!p.Handshake() || !p.Send("go")) return;
    received = p.Receive(5);
  });
  Stream stream(Accept());
  Run([&]() -> awaitable<void> {
    bool started = co_await StartTls(stream, *server_context_);
    if (!started) co_return;
    co_await ExpectInput(stream, "go");
    auto done = stream.WriteNow(asio::buffer(std::string_view("hello")));
    EXPECT_TRUE(done.has_value() && *done == 0u);
    co_await ExpectSent(stream, "hello");
  }());
  peer.Join();
  EXPECT_EQ(received, "hello");
}

}  // namespace
}  // namespace pushmail::net
