#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <boost/asio/ip/address.hpp>
#include <cstdio>
#include <filesystem>

#include "base/log.h"
#include "net/tls_socket.h"

namespace pushmail::net {
namespace {

template <class T, void (*Free)(T*)>
struct Owned {
  T* p;
  explicit Owned(T* ptr) : p(ptr) {}
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
  ~Owned() { Free(p); }
};

std::string SubjectAltNames(const std::vector<std::string>& names) {
  std::vector<std::string> all = {"localhost", "127.0.0.1", "::1"};
  all.insert(all.end(), names.begin(), names.end());
  std::string san;
  for (const auto& name : all) {
    boost::system::error_code ec;
    boost::asio::ip::make_address(name, ec);
    if (!san.empty()) san += ",";
    san += (ec ? "DNS:" : "IP:") + name;
  }
  return san;
}

bool AddExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool BuildCertificate(X509* cert, EVP_PKEY* key, const std::vector<std::string>& names) {
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_set_version(cert, 2);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  std::string cn = names.empty() ? "localhost" : names.front();
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("pushmail self-signed"), -1, -1,
                             0);
  X509_set_issuer_name(cert, subject);
  return AddExtension(cert, NID_subject_alt_name, SubjectAltNames(names)) &&
         AddExtension(cert, NID_basic_constraints, "critical,CA:FALSE") &&
         X509_sign(cert, key, EVP_sha256()) > 0;
}

bool WritePem(const std::string& path, mode_t mode, const std::function<int(FILE*)>& write) {
  std::string tmp = path + ".tmp";
  FILE* f = std::fopen(tmp.c_str(), "w");
  if (!f) return false;
  fchmod(fileno(f), mode);
  bool ok = write(f) == 1;
  ok = std::fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
  ok = std::fclose(f) == 0 && ok;
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

}  // namespace

Result<CertificateFiles> EnsureSelfSigned(const std::string& dir,
                                          const std::vector<std::string>& names) {
  CertificateFiles files{dir + "/cert.pem", dir + "/key.pem"};
  if (std::filesystem::exists(files.cert) && std::filesystem::exists(files.key)) return files;
  std::error_code fs_error;
  std::filesystem::create_directories(dir, fs_error);
  if (fs_error) return MakeError(Errc::kIo);
  Owned<EVP_PKEY, EVP_PKEY_free> key(EVP_EC_gen("P-256"));
  Owned<X509, X509_free> cert(X509_new());
  if (!key.p || !cert.p || !BuildCertificate(cert.p, key.p, names)) {
    return MakeError(Errc::kUnavailable);
  }
  bool ok = WritePem(files.key, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.p, nullptr, nullptr, 0, nullptr, nullptr);
  });
  ok = ok && WritePem(files.cert, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.p); });
  if (!ok) return MakeError(Errc::kIo);
  spdlog::info("made a self-signed certificate in {}", dir);
  return files;
}

Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerContext(const CertificateFiles& files,
                                                                     std::string* error,
                                                                     const TlsCiphers& ciphers) {
  namespace ssl = boost::asio::ssl;
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use,
                   ec);
  if (!ec) ctx->use_certificate_chain_file(files.cert, ec);
  if (!ec) ctx->use_private_key_file(files.key, ssl::context::pem, ec);
  if (ec) {
    *error = files.cert + " / " + files.key + ": " + ec.message();
    return ec;
  }
  SSL_CTX* native = ctx->native_handle();
  // The server's order wins, so a client that also offers weaker suites gets the first of ours.
  SSL_CTX_set_options(native, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_COMPRESSION);
  // An empty list turns its version off (OpenSSL refuses every handshake when the highest
  // version it may speak has no suite).
  bool tls12 = !ciphers.tls12.empty(), tls13 = !ciphers.tls13.empty();
  if ((!tls12 && !tls13) ||
      (tls12 && SSL_CTX_set_cipher_list(native, ciphers.tls12.c_str()) != 1) ||
      SSL_CTX_set_ciphersuites(native, ciphers.tls13.c_str()) != 1 ||
      SSL_CTX_set_min_proto_version(native, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION) != 1 ||
      SSL_CTX_set_max_proto_version(native, tls13 ? TLS1_3_VERSION : TLS1_2_VERSION) != 1) {
    ERR_clear_error();
    *error = "no usable cipher in [tls] ciphers \"" + ciphers.tls12 + "\" / ciphersuites \"" +
             ciphers.tls13 + "\"";
    return MakeError(Errc::kInvalidArgument);
  }
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  TlsSocket::PrepareContext(ctx->native_handle());
  return ctx;
}

}  // namespace pushmail::net
