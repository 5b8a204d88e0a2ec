#pragma once

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

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

// A server context with TLS 1.2 and later only, and SSL_MODE_RELEASE_BUFFERS so an idle
// connection holds no TLS read/write buffers.
Result<std::shared_ptr<boost::asio::ssl::context>> MakeServerContext(const CertificateFiles& files,
                                                                     std::string* error);

}  // namespace pushmail::net
