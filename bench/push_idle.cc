// bench/push_idle: memory per idle JMAP push connection over TLS, SMTP 250 -> StateChange
// latency, and fan-out.
//
// Starts the real pushmaild in a temp dir with A accounts and opens N HTTPS connections from
// 127.0.0.1 ... K, connection i authenticating as account i mod A, each holding either an
// EventSource stream (GET the eventSourceUrl with types=*, closeafter=no, ping=0, until its
// first state event) or a WebSocket (RFC 8887, subprotocol jmap, WebSocketPushEnable sent); then
// times each delivery's StateChange on every idle connection of its account by the account's
// push sequence ("pushSeq"), which each commit raises by one (see idle_run.h). Reports figures;
// asserts nothing.
#include <openssl/evp.h>

#include <charconv>
#include <string_view>

#include "idle_run.h"

namespace bench = pushmail::bench;

namespace {

enum Step { kHead, kFirstEvent };

std::string Base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(in.data()),
                          static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

// The push sequence of a StateChange's data ("pushSeq":{"ACCOUNT":N}); false when it has none.
bool ParsePushSeq(std::string_view data, long& n) {
  constexpr std::string_view kKey = "\"pushSeq\":{";
  size_t at = data.find(kKey);
  if (at == data.npos) return false;
  size_t colon = data.find("\":", at + kKey.size());
  if (colon == data.npos) return false;
  const char* begin = data.data() + colon + 2;
  auto [end, ec] = std::from_chars(begin, data.data() + data.size(), n);
  return ec == std::errc() && end != begin;
}

// "Authorization: Basic ..." for the account of connection `c`, with its line end.
std::string Authorization(const bench::Conn& c) {
  return "Authorization: Basic " +
         Base64(bench::BenchUser(c.account) + ":" + bench::kBenchPassword) + "\r\n";
}

class EventSource : public bench::Protocol {
 public:
  void Start(bench::Fleet& fleet, size_t i) override {
    fleet.Send(i,
               "GET /jmap/eventsource/?types=*&closeafter=no&ping=0 HTTP/1.1\r\n"
               "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n" +
                   Authorization(fleet.conn(i)) + "\r\n");
  }

  void OnInput(bench::Fleet& fleet, size_t i) override {
    bench::Conn& c = fleet.conn(i);
    if (c.phase == bench::Phase::kSetup && c.step == kHead) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == c.in.npos) return;
      if (!c.in.starts_with("HTTP/1.1 200")) {
        fleet.Fail(i, "EventSource GET: " + c.in.substr(0, std::min(c.in.find('\r'), size_t{80})));
        return;
      }
      c.in.erase(0, end + 4);
      c.step = kFirstEvent;
    }
    size_t pos = 0;
    for (size_t end;
         c.phase != bench::Phase::kClosed && (end = c.in.find("\n\n", pos)) != c.in.npos;) {
      std::string_view event = std::string_view(c.in).substr(pos, end - pos);
      pos = end + 2;
      long seq = 0;
      if (!event.starts_with("event: state") || !ParsePushSeq(event, seq)) continue;
      fleet.Notified(i, seq);
      if (c.phase == bench::Phase::kSetup) fleet.BecomeIdle(i);
    }
    if (c.phase != bench::Phase::kClosed) c.in.erase(0, pos);
  }

  std::string_view StepName(int step) const override {
    return step == kHead ? "EventSource GET" : "first state event";
  }
};

// RFC 6455 client side: the upgrade, one masked text frame out, unmasked frames in.
class WebSocket : public bench::Protocol {
 public:
  void Start(bench::Fleet& fleet, size_t i) override {
    fleet.Send(i,
               "GET /jmap/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
               "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: jmap\r\n" +
                   Authorization(fleet.conn(i)) + "\r\n");
  }

  void OnInput(bench::Fleet& fleet, size_t i) override {
    bench::Conn& c = fleet.conn(i);
    if (c.phase == bench::Phase::kSetup) {
      size_t end = c.in.find("\r\n\r\n");
      if (end == c.in.npos) return;
      if (!c.in.starts_with("HTTP/1.1 101")) {
        fleet.Fail(i,
                   "WebSocket upgrade: " + c.in.substr(0, std::min(c.in.find('\r'), size_t{80})));
        return;
      }
      c.in.erase(0, end + 4);
      fleet.Send(i, Frame(R"({"@type":"WebSocketPushEnable","dataTypes":null})"));
      // Push is on once the server has read that; the run settles before it delivers.
      fleet.BecomeIdle(i);
    }
    size_t pos = 0;
    while (c.phase != bench::Phase::kClosed && c.in.size() - pos >= 2) {
      auto byte = [&](size_t k) { return static_cast<uint8_t>(c.in[pos + k]); };
      size_t header = 2, length = byte(1) & 0x7f;
      if (length == 126) {
        if (c.in.size() - pos < 4) break;
        header = 4;
        length = static_cast<size_t>(byte(2)) << 8 | byte(3);
      } else if (length == 127) {
        fleet.Fail(i, "WebSocket: a frame over 64 KiB");
        return;
      }
      if (c.in.size() - pos < header + length) break;
      std::string_view payload = std::string_view(c.in).substr(pos + header, length);
      long seq = 0;
      if ((byte(0) & 0x0f) == 1 && payload.find("StateChange") != payload.npos &&
          ParsePushSeq(payload, seq)) {
        fleet.Notified(i, seq);
      }
      pos += header + length;
    }
    if (c.phase != bench::Phase::kClosed) c.in.erase(0, pos);
  }

  std::string_view StepName(int) const override { return "WebSocket upgrade"; }

 private:
  // A final text frame, masked as a client's must be (the key need not be secret here).
  static std::string Frame(std::string_view text) {
    const uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
    std::string f;
    f += static_cast<char>(0x81);
    f += static_cast<char>(0x80 | text.size());  // the one message sent is under 126 octets
    for (uint8_t m : mask) f += static_cast<char>(m);
    for (size_t k = 0; k < text.size(); ++k) f += static_cast<char>(text[k] ^ mask[k % 4]);
    return f;
  }
};

}  // namespace

int main(int argc, char** argv) {
  bench::IdleOptions o;
  CLI::App app{
      "JMAP push benchmark: memory per idle TLS push connection, SMTP 250 -> StateChange latency, "
      "fan-out"};
  bench::AddIdleOptions(app, o);
  bool websocket = false;
  app.add_flag("--websocket", websocket, "WebSocket push (RFC 8887) instead of EventSource");
  CLI11_PARSE(app, argc, argv);
  o.tls = true;
  bench::IdleTarget target;
  target.name = "push_idle";
  target.what = websocket ? "WebSocket over TLS (WebSocketPushEnable)"
                          : "HTTPS EventSource (types=*, ping=0)";
  target.notification = "StateChange";
  target.listener = "http";
  target.serve_args = {"--http", "127.0.0.1:0"};
  target.per_source = 490;  // the server allows 500 HTTP connections per address
  EventSource eventsource;
  WebSocket ws;
  if (websocket) return bench::RunIdle(o, target, ws);
  return bench::RunIdle(o, target, eventsource);
}
