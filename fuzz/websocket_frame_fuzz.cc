// Fuzzes the WebSocket frame receiver and the extension negotiation: the input is fed to a
// receiver (with and without permessage-deflate) in pieces whose sizes the input's first octet
// picks, as a session would read them. Invariants trap on violation: every event obeys the
// limits, a message is valid UTF-8 when text, an error carries a close code RFC 6455 defines,
// and the receiver never consumes more than it was given.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/utf8.h"
#include "http/websocket.h"

namespace ws = pushmail::http::ws;

namespace {

constexpr size_t kMaxMessage = 4096;

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void Run(std::string_view input, bool deflate, size_t step) {
  ws::Receiver receiver(kMaxMessage, deflate);
  std::string buffer;
  size_t fed = 0;
  // Each round takes input, consumes buffered octets or stops.
  for (int round = 0; round < 100000; ++round) {
    size_t used = 0;
    ws::Event e = receiver.Next(buffer, used);
    Check(used <= buffer.size());
    buffer.erase(0, used);
    using Kind = ws::Event::Kind;
    switch (e.kind) {
      case Kind::kError:
        Check(e.code == ws::kProtocolError || e.code == ws::kInvalidPayload ||
              e.code == ws::kTooBig);
        return;
      case Kind::kClose:
        Check(pushmail::ValidUtf8(e.payload) && e.payload.size() <= 123);
        return;
      case Kind::kMessage:
        Check(e.payload.size() <= kMaxMessage);
        Check(e.opcode != ws::Opcode::kText || pushmail::ValidUtf8(e.payload));
        Check(receiver.Idle());
        break;
      case Kind::kPing:
      case Kind::kPong:
        Check(e.payload.size() <= 125);
        break;
      case Kind::kNeedMore:
        if (used > 0) break;
        if (fed >= input.size()) return;
        buffer.append(input.substr(fed, step));
        fed += std::min(step, input.size() - fed);
        break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t step = 1 + data[0] % 64;
  Run(input, false, step);
  Run(input, true, step);
  // The same octets as a Sec-WebSocket-Extensions offer.
  std::string answer = ws::NegotiateDeflate(input);
  Check(answer.empty() || answer.starts_with("permessage-deflate"));
  return 0;
}
