#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/result.h"

namespace pushmail::net {

struct CertificateFiles {
  std::string cert;  // PEM chain
  std::string key;   // PEM private key
};

// Makes `dir`/cert.pem and `dir`/key.pem (mode 0600) when they do not exist: a self-signed
// P-256 certificate valid for ten years for `names` (DNS names or IP literals), plus localhost,
// 127.0.0.1 and ::1. Existing files are left alone.
Result<CertificateFiles> EnsureSelfSigned(const std::string& dir,
                                          const std::vector<std::string>& names);

// Which cipher suites a handshake may agree on, in OpenSSL's syntax (`openssl ciphers`).
struct TlsCiphers {
  std::string tls12 = std::string(kDefaultTlsCiphers);       // TLS 1.2: AEAD with ECDHE only
  std::string tls13 = std::string(kDefaultTlsCiphersuites);  // TLS 1.3 (all AEAD)
};

// A server context with TLS 1.2 and later only, offering only `ciphers` (an empty list turns
// its version off), and
// SSL_MODE_RELEASE_BUFFERS so an idle connection holds no TLS read/write buffers. Fails with
// `error` set when the files cannot be loaded or a cipher list selects nothing.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerContext(
    const CertificateFiles& files, std::string* error, const TlsCiphers& ciphers = {});

}  // namespace pushmail::net
