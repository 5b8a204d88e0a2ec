#include "net/tls_records.h"

#include <openssl/hmac.h>

#include <algorithm>
#include <boost/system/errc.hpp>
#include <memory>

namespace pushmail::net {

namespace {

using boost::system::errc::make_error_code;
namespace errc = boost::system::errc;

constexpr size_t kTagSize = 16;
constexpr uint8_t kKeyUpdate = 24;
constexpr uint8_t kCloseNotify = 0;
constexpr uint8_t kUserCanceled = 90;

// Fetched once: an implicit fetch per record would take a lock and a lookup each time.
const EVP_CIPHER* Cipher(const char* name) {
  static const EVP_CIPHER* aes128 = EVP_CIPHER_fetch(nullptr, "AES-128-GCM", nullptr);
  static const EVP_CIPHER* aes256 = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
  static const EVP_CIPHER* chacha = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  std::string_view n(name);
  return n == "AES-128-GCM" ? aes128 : n == "AES-256-GCM" ? aes256 : chacha;
}

const EVP_MD* Digest(bool sha384) {
  static const EVP_MD* sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static const EVP_MD* sha384_md = EVP_MD_fetch(nullptr, "SHA384", nullptr);
  return sha384 ? sha384_md : sha256;
}

// One context per worker thread, reset for every record: none is kept per connection.
EVP_CIPHER_CTX* Context() {
  struct Free {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
  };
  thread_local std::unique_ptr<EVP_CIPHER_CTX, Free> context(EVP_CIPHER_CTX_new());
  EVP_CIPHER_CTX_reset(context.get());
  return context.get();
}

// HKDF-Expand-Label(secret, label, "", length) for length <= the hash size (RFC 8446 7.1): one
// HMAC block, T(1) = HMAC(secret, HkdfLabel || 0x01).
void ExpandLabel(const EVP_MD* md, std::span<const uint8_t> secret, std::string_view label,
                 std::span<uint8_t> out) {
  std::string info;
  info += static_cast<char>(out.size() >> 8);
  info += static_cast<char>(out.size() & 0xff);
  info += static_cast<char>(6 + label.size());
  info += "tls13 ";
  info += label;
  info += '\0';  // empty context
  info += '\x01';
  std::array<uint8_t, EVP_MAX_MD_SIZE> block{};
  unsigned size = 0;
  HMAC(md, secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const uint8_t*>(info.data()), info.size(), block.data(), &size);
  std::copy_n(block.begin(), out.size(), out.begin());
}

std::array<uint8_t, 5> Header(uint8_t type, size_t length) {
  return {type, 0x03, 0x03, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)};
}

}  // namespace

std::optional<Tls13Records> Tls13Records::Make(uint16_t suite, std::string_view read_secret,
                                               std::string_view write_secret) {
  Tls13Records r;
  switch (suite) {
    case 0x1301:
      r.cipher_ = Cipher("AES-128-GCM");
      r.key_size_ = 16;
      break;
    case 0x1302:
      r.cipher_ = Cipher("AES-256-GCM");
      r.key_size_ = 32;
      break;
    case 0x1303:
      r.cipher_ = Cipher("ChaCha20-Poly1305");
      r.key_size_ = 32;
      break;
    default:
      return std::nullopt;
  }
  r.md_ = Digest(suite == 0x1302);
  r.hash_size_ = static_cast<uint8_t>(EVP_MD_get_size(r.md_));
  if (!r.cipher_ || !r.md_ || read_secret.size() != r.hash_size_ ||
      write_secret.size() != r.hash_size_) {
    return std::nullopt;
  }
  std::copy(read_secret.begin(), read_secret.end(), r.read_.secret.begin());
  std::copy(write_secret.begin(), write_secret.end(), r.write_.secret.begin());
  r.Derive(r.read_);
  r.Derive(r.write_);
  return r;
}

void Tls13Records::Derive(Direction& d) const {
  std::span<const uint8_t> secret(d.secret.data(), hash_size_);
  ExpandLabel(md_, secret, "key", std::span(d.key.data(), key_size_));
  ExpandLabel(md_, secret, "iv", d.iv);
  d.seq = 0;
}

void Tls13Records::Update(Direction& d) const {
  std::array<uint8_t, EVP_MAX_MD_SIZE> next{};
  ExpandLabel(md_, std::span<const uint8_t>(d.secret.data(), hash_size_), "traffic upd",
              std::span(next.data(), hash_size_));
  d.secret = next;
  Derive(d);
}

std::array<uint8_t, 12> Tls13Records::Nonce(const Direction& d) const {
  std::array<uint8_t, 12> nonce = d.iv;
  for (int i = 0; i < 8; ++i) nonce[11 - i] ^= static_cast<uint8_t>(d.seq >> (8 * i));
  return nonce;
}

Result<size_t> Tls13Records::RecordSize(std::string_view header) {
  if (header.size() < kHeaderSize) return make_error_code(errc::invalid_argument);
  // Every record after the handshake is protected, so its outer type is application_data; a
  // change_cipher_spec is allowed only during the handshake (RFC 8446 5).
  if (static_cast<uint8_t>(header[0]) != kApplicationData) {
    return make_error_code(errc::protocol_error);
  }
  size_t length =
      static_cast<size_t>(static_cast<uint8_t>(header[3])) << 8 | static_cast<uint8_t>(header[4]);
  if (length < kTagSize + 1 || kHeaderSize + length > kMaxRecord) {
    return make_error_code(errc::bad_message);  // record_overflow or a record too short
  }
  return kHeaderSize + length;
}

Result<Tls13Records::Received> Tls13Records::Open(std::span<char> record) {
  auto size = RecordSize(std::string_view(record.data(), record.size()));
  if (!size) return size.error();
  if (*size != record.size()) return make_error_code(errc::invalid_argument);
  if (read_.seq == UINT64_MAX) return make_error_code(errc::value_too_large);
  auto* bytes = reinterpret_cast<uint8_t*>(record.data());
  uint8_t* body = bytes + kHeaderSize;
  int body_size = static_cast<int>(record.size() - kHeaderSize - kTagSize);
  auto nonce = Nonce(read_);
  EVP_CIPHER_CTX* ctx = Context();
  int n = 0;
  bool ok = EVP_DecryptInit_ex(ctx, cipher_, nullptr, read_.key.data(), nonce.data()) == 1 &&
            EVP_DecryptUpdate(ctx, nullptr, &n, bytes, kHeaderSize) == 1 &&
            EVP_DecryptUpdate(ctx, body, &n, body, body_size) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, kTagSize, body + body_size) == 1 &&
            EVP_DecryptFinal_ex(ctx, body + n, &n) == 1;
  if (!ok) return make_error_code(errc::bad_message);  // bad_record_mac
  ++read_.seq;
  // The content type is the last non-zero octet; zeros after it are padding (RFC 8446 5.4).
  int end = body_size;
  while (end > 0 && body[end - 1] == 0) --end;
  if (end == 0) return make_error_code(errc::bad_message);
  uint8_t type = body[end - 1];
  std::string_view content(reinterpret_cast<char*>(body), static_cast<size_t>(end - 1));
  switch (type) {
    case kApplicationData:
      return Received{content.empty() ? Received::kNothing : Received::kData, content};
    case kAlert:
      if (content.size() != 2) return make_error_code(errc::bad_message);
      if (static_cast<uint8_t>(content[1]) == kCloseNotify) return Received{Received::kClosed, {}};
      if (static_cast<uint8_t>(content[1]) == kUserCanceled) return Received{};
      return make_error_code(errc::connection_aborted);
    case kHandshake:
      return OnHandshake(content);
    default:
      return make_error_code(errc::protocol_error);
  }
}

Result<Tls13Records::Received> Tls13Records::OnHandshake(std::string_view messages) {
  // Exactly one KeyUpdate: it must end its record, since the keys change after it (RFC 8446 5.1).
  if (messages.size() != 5 || static_cast<uint8_t>(messages[0]) != kKeyUpdate ||
      messages.substr(1, 3) != std::string_view("\0\0\1", 3)) {
    return make_error_code(errc::protocol_error);
  }
  auto request = static_cast<uint8_t>(messages[4]);
  if (request > 1) return make_error_code(errc::bad_message);  // illegal_parameter
  Update(read_);
  if (request == 1) update_due_ = true;
  return Received{};
}

void Tls13Records::Seal(std::string_view data, std::string& out) {
  if (update_due_) {
    update_due_ = false;
    SealRecord(kHandshake, std::string_view("\x18\0\0\1\0", 5), out);  // update_not_requested
    Update(write_);
  }
  for (size_t at = 0; at < data.size(); at += kMaxPlain) {
    SealRecord(kApplicationData, data.substr(at, kMaxPlain), out);
  }
}

void Tls13Records::SealRecord(uint8_t type, std::string_view inner, std::string& out) {
  size_t start = out.size();
  size_t length = inner.size() + 1 + kTagSize;
  auto header = Header(kApplicationData, length);
  out.append(reinterpret_cast<const char*>(header.data()), header.size());
  out += inner;
  out += static_cast<char>(type);
  out.append(kTagSize, '\0');
  auto* bytes = reinterpret_cast<uint8_t*>(out.data() + start);
  uint8_t* body = bytes + kHeaderSize;
  int body_size = static_cast<int>(inner.size() + 1);
  auto nonce = Nonce(write_);
  EVP_CIPHER_CTX* ctx = Context();
  int n = 0;
  int tail = 0;
  // Encryption with a valid key and nonce cannot fail short of memory corruption.
  EVP_EncryptInit_ex(ctx, cipher_, nullptr, write_.key.data(), nonce.data());
  EVP_EncryptUpdate(ctx, nullptr, &n, bytes, kHeaderSize);
  EVP_EncryptUpdate(ctx, body, &n, body, body_size);
  EVP_EncryptFinal_ex(ctx, body + n, &tail);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, kTagSize, body + body_size);
  ++write_.seq;
}

}  // namespace pushmail::net
