#pragma once
// The WebSocket protocol (RFC 6455) as a pure codec, server side: the opening handshake's
// checks and accept key, frames in and out, and permessage-deflate (RFC 7692) without context
// takeover. No I/O and no state between messages beyond a half-received fragmented message, so
// a session that has read a whole message holds nothing here (http::Session hibernates between
// messages; Beast's websocket::stream would keep its read buffer and, with deflate, its zlib
// streams for the connection's life). Any thread may use it; one Receiver per connection.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushmail::http::ws {

enum class Opcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

// Close status codes (RFC 6455 7.4.1).
enum CloseCode : uint16_t {
  kNormal = 1000,
  kGoingAway = 1001,
  kProtocolError = 1002,
  kUnsupportedData = 1003,
  kNoStatus = 1005,  // never sent: a Close frame without a code
  kInvalidPayload = 1007,
  kPolicyViolation = 1008,
  kTooBig = 1009,
  kInternalError = 1011,
};

// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 4.2.2).
std::string AcceptKey(std::string_view client_key);
// A Sec-WebSocket-Key must be the base64 of 16 octets (4.2.1).
bool ValidClientKey(std::string_view key);
// Whether a comma-separated header value (Connection, Sec-WebSocket-Protocol) lists `token`,
// case-insensitively.
bool ListHas(std::string_view list, std::string_view token);

// The Sec-WebSocket-Extensions answer to a client's offers: the first acceptable
// permessage-deflate offer, answered with server_no_context_takeover and
// client_no_context_takeover (7.1.1.1 and 7.1.1.2 let the server ask both), so that neither side
// keeps a compression window between messages. Empty when no offer is acceptable (then the
// connection runs uncompressed).
std::string NegotiateDeflate(std::string_view offers);

// What the client sent, one item at a time.
struct Event {
  enum class Kind {
    kNeedMore,  // no whole frame yet
    kMessage,   // a whole data message (payload is unmasked and inflated)
    kPing,
    kPong,
    kClose,  // the client's close: code (kNoStatus when it gave none) and reason
    kError,  // the connection must fail with close `code`
  };
  Kind kind = Kind::kNeedMore;
  Opcode opcode = Opcode::kText;  // of a message: kText or kBinary
  std::string payload;
  uint16_t code = 0;
};

// Turns client frames into events. Enforces masking (client frames must be masked), reserved
// bits and opcodes, control-frame rules (at most 125 octets, never fragmented, may come between
// fragments), continuation order, the message size limit (before reading a frame's payload, and
// on inflated size), and UTF-8 in text messages and close reasons.
class Receiver {
 public:
  Receiver(size_t max_message, bool deflate) : max_message_(max_message), deflate_(deflate) {}

  // Consumes at most one frame from the front of `data` and sets `used`. A frame that is not
  // complete yet consumes nothing (kNeedMore) unless its header already breaks a rule. After
  // kError or kClose the receiver must not be fed again.
  Event Next(std::string_view data, size_t& used);
  // No fragment of a message is held.
  bool Idle() const { return !fragmented_; }

 private:
  Event Fail(uint16_t code);
  Event Control(Opcode opcode, std::string payload);
  Event Finish();

  size_t max_message_;
  bool deflate_;
  bool fragmented_ = false;  // a data message has begun and not yet ended
  bool compressed_ = false;  // the message in progress had RSV1
  Opcode opcode_ = Opcode::kText;
  std::string message_;  // the message in progress
};

// Server frames (never masked, 5.1), whole and unfragmented, appended to `out`.
void AppendFrame(std::string& out, Opcode opcode, std::string_view payload,
                 bool compressed = false);
void AppendClose(std::string& out, uint16_t code, std::string_view reason = {});

// One permessage-deflate message body for `payload` (7.2.1), made with a fresh compression
// context that is freed before returning; nullopt if zlib fails.
std::optional<std::string> DeflateMessage(std::string_view payload);
// The inverse, with a fresh context: nullopt for data that does not inflate or that inflates to
// more than `limit` octets (`too_big` is set then).
std::optional<std::string> InflateMessage(std::string_view data, size_t limit, bool& too_big);

}  // namespace pushmail::http::ws
