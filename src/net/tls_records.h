#pragma once
// TLS 1.3 record protection (RFC 8446 5.2, 7.2, 7.3) for a connection whose handshake OpenSSL
// did.
//
// An OpenSSL 3 SSL object costs ~14 KB for as long as its connection lives
// (docs/benchmarks.md), and an idle push connection may cost 8 KiB in all. Once a TLS 1.3
// handshake is over, a connection needs only its two application traffic secrets, the AEAD keys
// derived from them and two sequence numbers (~220 octets): TlsSocket captures the secrets
// through the context's key log callback, frees the SSL object and protects records with this
// class. It is what the kernel's TLS offload (kTLS) does, for kernels without the tls module.
//
// Pure: no I/O. Beyond application data it handles what a peer may send after the handshake:
// alerts (close_notify ends the stream, user_canceled is ignored, any other is fatal) and
// KeyUpdate (RFC 8446 4.6.3), answered with our own before our next record when asked.
// Handshake messages split over records are refused; KeyUpdate is the only one a client may
// send once the handshake is over, and it is 5 octets.

#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::net {

class Tls13Records {
 public:
  static constexpr size_t kHeaderSize = 5;
  static constexpr size_t kMaxPlain = 16384;  // 2^14 (RFC 8446 5.1)
  static constexpr size_t kMaxRecord = kHeaderSize + kMaxPlain + 256;
  static constexpr uint8_t kAlert = 21;
  static constexpr uint8_t kHandshake = 22;
  static constexpr uint8_t kApplicationData = 23;

  // For cipher suite `suite` (its IANA number: 0x1301, 0x1302 or 0x1303) with the peer's and our
  // application traffic secrets; nullopt for another suite or a secret of the wrong length.
  static std::optional<Tls13Records> Make(uint16_t suite, std::string_view read_secret,
                                          std::string_view write_secret);

  // The size of the record whose header `header` (kHeaderSize octets) is, header included; an
  // error for a header no TLS 1.3 record after the handshake may have.
  static Result<size_t> RecordSize(std::string_view header);

  // What one record carried.
  struct Received {
    enum Kind { kData, kClosed, kNothing } kind = kNothing;
    std::string_view data;  // kData: the plaintext, inside the record's buffer
  };
  // Decrypts the whole record `record` (header included) in place. Errors: bad_message (bad
  // authentication tag, malformed content), protocol_error (a message not allowed here),
  // connection_aborted (a fatal alert from the peer). After an error the stream is unusable.
  Result<Received> Open(std::span<char> record);

  // Appends records carrying `data` (any length; none for an empty one) to `out`, after a
  // KeyUpdate of ours if the peer asked for one.
  void Seal(std::string_view data, std::string& out);
  // Appends one record of content type `type` carrying `inner` (at most kMaxPlain octets).
  void SealRecord(uint8_t type, std::string_view inner, std::string& out);

  uint64_t records_read() const { return read_.seq; }
  uint64_t records_written() const { return write_.seq; }

 private:
  struct Direction {
    std::array<uint8_t, EVP_MAX_MD_SIZE> secret{};
    std::array<uint8_t, 32> key{};
    std::array<uint8_t, 12> iv{};
    uint64_t seq = 0;
  };

  Tls13Records() = default;
  void Derive(Direction& d) const;  // key and iv from the secret
  void Update(Direction& d) const;  // the next generation of the secret (KeyUpdate)
  std::array<uint8_t, 12> Nonce(const Direction& d) const;
  Result<Received> OnHandshake(std::string_view messages);

  const EVP_CIPHER* cipher_ = nullptr;
  const EVP_MD* md_ = nullptr;
  uint8_t key_size_ = 0;
  uint8_t hash_size_ = 0;
  bool update_due_ = false;  // the peer asked for our KeyUpdate
  Direction read_;
  Direction write_;
};

}  // namespace pushmail::net
