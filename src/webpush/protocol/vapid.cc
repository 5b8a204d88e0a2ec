#include "webpush/protocol/vapid.h"

#include <fcntl.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>

#include "base/base64.h"

namespace pushmail::webpush {

Result<std::string> VapidJwt(const EcKey& key, std::string_view aud, int64_t exp,
                             std::string_view sub) {
  boost::json::object claims{{"aud", aud}, {"exp", exp}, {"sub", sub}};
  std::string input = EncodeBase64Url(R"({"typ":"JWT","alg":"ES256"})") + "." +
                      EncodeBase64Url(boost::json::serialize(claims));
  auto signature = SignEs256(key, input);
  if (!signature) return signature.error();
  return input + "." + EncodeBase64Url(*signature);
}

Result<Vapid> Vapid::LoadOrCreate(const std::string& path, std::string subject) {
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::stringstream pem;
    pem << in.rdbuf();
    auto key = EcKey::FromPem(pem.str());
    if (!key) return key.error();
    return Vapid(std::move(*key), std::move(subject));
  }
  auto key = EcKey::Generate();
  if (!key) return key.error();
  std::string pem = key->PrivatePem();
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(Errc::kIo);
  bool ok = ::write(fd, pem.data(), pem.size()) == static_cast<ssize_t>(pem.size());
  ok = ::fsync(fd) == 0 && ok;
  ::close(fd);
  if (!ok || pem.empty()) return MakeError(Errc::kIo);
  return Vapid(std::move(*key), std::move(subject));
}

Vapid::Vapid(EcKey key, std::string subject)
    : key_(std::move(key)),
      subject_(std::move(subject)),
      public_key_(EncodeBase64Url(key_.PublicPoint())) {}

Result<std::string> Vapid::Authorization(std::string_view audience, int64_t exp) const {
  auto jwt = VapidJwt(key_, audience, exp, subject_);
  if (!jwt) return jwt.error();
  return "vapid t=" + *jwt + ", k=" + public_key_;
}

}  // namespace pushmail::webpush
