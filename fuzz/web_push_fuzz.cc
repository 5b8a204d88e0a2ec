// Fuzzes what a client gives PushSubscription/set for Web Push: the push URL and the keys. The
// first octet picks what the rest is read as. Invariants trap on violation: an accepted URL is
// https, or http to a loopback literal, and its origin and target are well formed; a decoded
// base64url text encodes back to itself; an accepted key is a 65-octet point that encrypts.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/base64.h"
#include "webpush/protocol/crypto.h"
#include "webpush/protocol/push_url.h"

namespace webpush = pushmail::webpush;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

void Url(std::string_view text) {
  std::string why;
  auto url = webpush::ParsePushUrl(text, &why);
  Check(url.has_value() == why.empty());
  if (!url) return;
  Check(text.size() <= webpush::kMaxUrlSize);
  Check(!url->host.empty() && !url->port.empty() && url->target.starts_with('/'));
  Check(url->origin.starts_with(url->tls ? "https://" : "http://"));
  if (!url->tls) {
    boost::system::error_code ec;
    auto address = boost::asio::ip::make_address(url->host, ec);
    Check(!ec && address.is_loopback());
  }
}

void Key(std::string_view text) {
  auto bytes = pushmail::DecodeBase64Url(text);
  if (!bytes) return;
  std::string again = pushmail::EncodeBase64Url(*bytes);
  Check(text.substr(0, again.size()) == again);
  auto key = webpush::EcKey::FromPublicPoint(*bytes);
  if (!key) return;
  Check(bytes->size() == webpush::kPublicKeySize && key->PublicPoint() == *bytes);
  Check(webpush::Encrypt("{}", *bytes, std::string(webpush::kAuthSecretSize, 'a')).has_value());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  if (data[0] & 1) {
    Url(rest);
  } else {
    Key(rest);
  }
  return 0;
}
