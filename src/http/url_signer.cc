#include "http/url_signer.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>

#include "base/base64.h"

namespace pushmail::http {

namespace {

constexpr std::string_view kPurpose = "pushmail eventsource v1:";

template <class T>
bool ParseNumber(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool ReadAll(int fd, unsigned char* data, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(fd, data + done, size - done);
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  char extra;
  return read(fd, &extra, 1) == 0;
}

}  // namespace

Result<UrlSigner> UrlSigner::Load(const std::string& path) {
  if (sodium_init() < 0) return MakeError(Errc::kIo);
  std::array<unsigned char, 32> key{};
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) {
    randombytes_buf(key.data(), key.size());
    bool ok = write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
    ok = fsync(fd) == 0 && ok;
    close(fd);
    if (!ok) return MakeError(Errc::kIo);
    return UrlSigner(key);
  }
  if (errno != EEXIST) return MakeError(Errc::kIo);
  fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(Errc::kIo);
  fchmod(fd, 0600);  // a key others can read signs for them too
  bool ok = ReadAll(fd, key.data(), key.size());
  close(fd);
  if (!ok) return MakeError(Errc::kInvalidArgument);
  return UrlSigner(key);
}

std::string UrlSigner::Mac(std::string_view message) const {
  unsigned char mac[crypto_auth_hmacsha256_BYTES];
  std::string input(kPurpose);
  input += message;
  crypto_auth_hmacsha256(mac, reinterpret_cast<const unsigned char*>(input.data()), input.size(),
                         key_.data());
  return EncodeBase64Url(std::string_view(reinterpret_cast<char*>(mac), sizeof mac));
}

std::string UrlSigner::Sign(store::AccountId account, int64_t expires_at) const {
  std::string message = std::to_string(account) + "." + std::to_string(expires_at);
  return message + "." + Mac(message);
}

std::optional<store::AccountId> UrlSigner::Verify(std::string_view token, int64_t now) const {
  if (token.size() > 128) return std::nullopt;
  size_t last = token.rfind('.');
  if (last == std::string_view::npos) return std::nullopt;
  std::string_view message = token.substr(0, last);
  std::string expected = Mac(message);
  std::string_view given = token.substr(last + 1);
  if (given.size() != expected.size() ||
      sodium_memcmp(given.data(), expected.data(), expected.size()) != 0) {
    return std::nullopt;
  }
  size_t dot = message.find('.');
  if (dot == std::string_view::npos) return std::nullopt;
  store::AccountId account = 0;
  int64_t expires = 0;
  if (!ParseNumber(message.substr(0, dot), account) ||
      !ParseNumber(message.substr(dot + 1), expires) || now >= expires) {
    return std::nullopt;
  }
  return account;
}

}  // namespace pushmail::http
