// Fuzzes the TLS 1.3 record layer that replaces OpenSSL after the handshake: the input is either
// a stream of records as they arrive off the socket (header checks, lengths, authentication), or
// the inner plaintext of records a peer with the right keys sealed (content types, padding,
// alerts, KeyUpdate), since random ciphertext never gets past the authentication tag.
// Invariants trap on violation.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "net/tls_records.h"

using pushmail::net::Tls13Records;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

// Opens what `wire` holds record by record, as TlsSocket does, until an error or its end.
void OpenAll(Tls13Records& reader, std::string& wire) {
  size_t at = 0;
  while (wire.size() - at >= Tls13Records::kHeaderSize) {
    auto size = Tls13Records::RecordSize(std::string_view(wire).substr(at));
    if (!size) return;
    Check(*size > Tls13Records::kHeaderSize && *size <= Tls13Records::kMaxRecord);
    if (wire.size() - at < *size) return;
    auto got = reader.Open(std::span<char>(wire.data() + at, *size));
    if (!got) return;
    if (got->kind == Tls13Records::Received::kData) {
      Check(!got->data.empty() && got->data.size() <= Tls13Records::kMaxPlain + 1);
      Check(got->data.data() >= wire.data() + at + Tls13Records::kHeaderSize);
      Check(got->data.data() + got->data.size() <= wire.data() + at + *size);
    }
    if (got->kind == Tls13Records::Received::kClosed) return;
    at += *size;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string client(32, '\x11'), server(32, '\x22');
  auto reader = Tls13Records::Make(0x1301, client, server);
  auto writer = Tls13Records::Make(0x1301, server, client);
  Check(reader && writer);
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  std::string wire;
  if (data[0] & 1) {
    wire.assign(input);
  } else {
    // Records of type data[1] carrying the input in pieces of at most 2^14 octets.
    for (size_t at = 0; at < input.size() || at == 0; at += Tls13Records::kMaxPlain) {
      writer->SealRecord(data[1], input.substr(at, Tls13Records::kMaxPlain), wire);
      if (input.empty()) break;
    }
  }
  OpenAll(*reader, wire);
  // The reader answers a KeyUpdate that asked for one before its next record; whatever it
  // writes now, the other side must be able to read.
  std::string answer;
  reader->Seal("ok", answer);
  Check(!answer.empty());
  return 0;
}
