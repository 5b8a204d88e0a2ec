#include "http/websocket.h"

#include <openssl/evp.h>
#include <zlib.h>

#include <array>
#include <cstring>

#include "base/base64.h"
#include "base/strings.h"
#include "base/utf8.h"

namespace pushmail::http::ws {

namespace {

constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr std::string_view kDeflateTail{"\x00\x00\xff\xff", 4};
constexpr size_t kMaxControl = 125;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Calls `fn(item)` for each trimmed item of a list split at `sep`; stops when it returns false.
template <class Fn>
bool ForEachItem(std::string_view list, char sep, Fn fn) {
  while (true) {
    size_t at = list.find(sep);
    if (!fn(Trim(list.substr(0, at)))) return false;
    if (at == std::string_view::npos) return true;
    list.remove_prefix(at + 1);
  }
}

// Whether we can accept one permessage-deflate offer ("permessage-deflate;
// client_max_window_bits; ..."). Our messages are made with a 15-bit window, so an offer that
// asks for a smaller server window is declined; the client's window does not matter to an
// inflater that starts afresh for every message.
bool AcceptableOffer(std::string_view offer) {
  bool first = true, ok = true, seen[4] = {};
  ForEachItem(offer, ';', [&](std::string_view param) {
    if (first) {
      first = false;
      ok = EqualsIgnoreCase(param, "permessage-deflate");
      return ok;
    }
    std::string_view name = Trim(param.substr(0, param.find('=')));
    std::string_view value;
    if (param.find('=') != std::string_view::npos) {
      value = Trim(param.substr(param.find('=') + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
    }
    static constexpr std::string_view kNames[] = {
        "server_no_context_takeover", "client_no_context_takeover", "server_max_window_bits",
        "client_max_window_bits"};
    size_t i = 0;
    while (i < 4 && !EqualsIgnoreCase(name, kNames[i])) ++i;
    if (i == 4 || seen[i]) return ok = false;  // unknown or repeated (RFC 7692 7.1)
    seen[i] = true;
    if (i < 2) return ok = value.empty();
    if (value.empty()) return ok = (i == 3);  // client_max_window_bits may come bare
    if (value.size() > 2 || value.find_first_not_of("0123456789") != std::string_view::npos) {
      return ok = false;
    }
    int bits = std::stoi(std::string(value));
    return ok = bits >= 8 && bits <= 15 && (i == 3 || bits == 15);
  });
  return ok && !first;
}

uint64_t ReadBigEndian(const unsigned char* p, size_t n) {
  uint64_t v = 0;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return v;
}

bool ValidCloseCode(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

}  // namespace

std::string AcceptKey(std::string_view client_key) {
  std::string input(client_key);
  input += kGuid;
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int size = 0;
  EVP_Digest(input.data(), input.size(), digest.data(), &size, EVP_sha1(), nullptr);
  return EncodeBase64(std::string_view(reinterpret_cast<const char*>(digest.data()), size));
}

bool ValidClientKey(std::string_view key) {
  auto raw = DecodeBase64(key);
  return raw && raw->size() == 16;
}

bool ListHas(std::string_view list, std::string_view token) {
  bool found = false;
  ForEachItem(list, ',', [&](std::string_view item) {
    found = EqualsIgnoreCase(item, token);
    return !found;
  });
  return found;
}

std::string NegotiateDeflate(std::string_view offers) {
  std::string answer;
  ForEachItem(offers, ',', [&](std::string_view offer) {
    if (!AcceptableOffer(offer)) return true;
    answer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover";
    return false;
  });
  return answer;
}

Event Receiver::Fail(uint16_t code) {
  Event e;
  e.kind = Event::Kind::kError;
  e.code = code;
  return e;
}

Event Receiver::Next(std::string_view data, size_t& used) {
  used = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() < 2) return {};
  bool fin = p[0] & 0x80, rsv1 = p[0] & 0x40;
  auto opcode = static_cast<Opcode>(p[0] & 0x0F);
  bool control = (p[0] & 0x08) != 0;
  if (p[0] & 0x30) return Fail(kProtocolError);  // RSV2, RSV3: no extension defines them
  bool known = opcode == Opcode::kContinuation || opcode == Opcode::kText ||
               opcode == Opcode::kBinary || opcode == Opcode::kClose || opcode == Opcode::kPing ||
               opcode == Opcode::kPong;
  if (!known) return Fail(kProtocolError);
  if (!(p[1] & 0x80)) return Fail(kProtocolError);  // a client must mask (5.1)
  if (control && (!fin || rsv1)) return Fail(kProtocolError);
  if (rsv1 && (!deflate_ || opcode == Opcode::kContinuation)) return Fail(kProtocolError);
  if (opcode == Opcode::kContinuation && !fragmented_) return Fail(kProtocolError);
  if (!control && opcode != Opcode::kContinuation && fragmented_) return Fail(kProtocolError);
  uint64_t length = p[1] & 0x7F;
  size_t header = 2;
  if (length >= 126) {
    size_t extra = length == 126 ? 2 : 8;
    if (data.size() < 2 + extra) return {};
    length = ReadBigEndian(p + 2, extra);
    header += extra;
    // The length must use the fewest octets and its top bit is zero (5.2).
    if ((extra == 2 && length < 126) || (extra == 8 && (length >> 63 || length < 65536))) {
      return Fail(kProtocolError);
    }
  }
  if (control && length > kMaxControl) return Fail(kProtocolError);
  if (!control && length > max_message_ - message_.size()) return Fail(kTooBig);
  header += 4;
  if (data.size() < header || data.size() - header < length) return {};
  used = header + length;
  const unsigned char* mask = p + header - 4;
  std::string payload(data.substr(header, length));
  for (size_t i = 0; i < payload.size(); ++i) payload[i] ^= static_cast<char>(mask[i & 3]);
  if (control) return Control(opcode, std::move(payload));
  if (opcode != Opcode::kContinuation) {
    opcode_ = opcode;
    compressed_ = rsv1;
    fragmented_ = true;
  }
  message_ += payload;
  if (!fin) return {};  // kNeedMore with `used` set: the fragment is taken
  return Finish();
}

Event Receiver::Control(Opcode opcode, std::string payload) {
  Event e;
  e.payload = std::move(payload);
  if (opcode == Opcode::kPing) {
    e.kind = Event::Kind::kPing;
    return e;
  }
  if (opcode == Opcode::kPong) {
    e.kind = Event::Kind::kPong;
    return e;
  }
  e.kind = Event::Kind::kClose;
  e.code = kNoStatus;
  if (e.payload.empty()) return e;
  if (e.payload.size() == 1) return Fail(kProtocolError);
  e.code = static_cast<uint16_t>(
      ReadBigEndian(reinterpret_cast<const unsigned char*>(e.payload.data()), 2));
  if (!ValidCloseCode(e.code)) return Fail(kProtocolError);
  e.payload.erase(0, 2);
  if (!ValidUtf8(e.payload)) return Fail(kInvalidPayload);
  return e;
}

Event Receiver::Finish() {
  fragmented_ = false;
  Event e;
  e.kind = Event::Kind::kMessage;
  e.opcode = opcode_;
  if (compressed_) {
    bool too_big = false;
    auto inflated = InflateMessage(message_, max_message_, too_big);
    std::string().swap(message_);
    if (!inflated) return Fail(too_big ? kTooBig : kInvalidPayload);
    e.payload = std::move(*inflated);
  } else {
    e.payload = std::move(message_);
    message_.clear();
  }
  if (e.opcode == Opcode::kText && !ValidUtf8(e.payload)) return Fail(kInvalidPayload);
  return e;
}

void AppendFrame(std::string& out, Opcode opcode, std::string_view payload, bool compressed) {
  out += static_cast<char>(0x80 | (compressed ? 0x40 : 0) | static_cast<uint8_t>(opcode));
  uint64_t n = payload.size();
  if (n < 126) {
    out += static_cast<char>(n);
  } else if (n <= 0xFFFF) {
    out += static_cast<char>(126);
    out += static_cast<char>(n >> 8);
    out += static_cast<char>(n & 0xFF);
  } else {
    out += static_cast<char>(127);
    for (int shift = 56; shift >= 0; shift -= 8) out += static_cast<char>((n >> shift) & 0xFF);
  }
  out += payload;
}

void AppendClose(std::string& out, uint16_t code, std::string_view reason) {
  std::string payload;
  payload += static_cast<char>(code >> 8);
  payload += static_cast<char>(code & 0xFF);
  payload += reason.substr(0, kMaxControl - 2);
  AppendFrame(out, Opcode::kClose, payload);
}

std::optional<std::string> DeflateMessage(std::string_view payload) {
  z_stream z{};
  // A raw deflate stream (no zlib header) with a 15-bit window; memLevel 8 is zlib's default.
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return std::nullopt;
  }
  std::string out(deflateBound(&z, payload.size()) + 8, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(payload.data()));
  z.avail_in = static_cast<uInt>(payload.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_SYNC_FLUSH);
  size_t size = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_OK || z.avail_in != 0) return std::nullopt;
  out.resize(size);
  // The sync flush ends with 00 00 ff ff, which the message leaves off (7.2.1).
  if (out.size() >= 4 && std::string_view(out).substr(out.size() - 4) == kDeflateTail) {
    out.resize(out.size() - 4);
  }
  return out;
}

std::optional<std::string> InflateMessage(std::string_view data, size_t limit, bool& too_big) {
  too_big = false;
  z_stream z{};
  if (inflateInit2(&z, -15) != Z_OK) return std::nullopt;
  std::string input(data);
  input += kDeflateTail;
  z.next_in = reinterpret_cast<Bytef*>(input.data());
  z.avail_in = static_cast<uInt>(input.size());
  std::string out;
  char chunk[16384];
  bool ok = false;
  // Each round either takes input, makes output (bounded by `limit`) or ends.
  for (;;) {
    z.next_out = reinterpret_cast<Bytef*>(chunk);
    z.avail_out = sizeof chunk;
    int rc = inflate(&z, Z_SYNC_FLUSH);
    out.append(chunk, sizeof chunk - z.avail_out);
    if (out.size() > limit) {
      too_big = true;
      break;
    }
    if (rc == Z_STREAM_END) {  // a final block: what follows is our own tail
      ok = true;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
    if (z.avail_out != 0) {  // inflate stopped short of filling the chunk: input is used up
      ok = z.avail_in == 0;
      break;
    }
  }
  inflateEnd(&z);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace pushmail::http::ws
