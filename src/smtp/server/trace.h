#pragma once
// Trace headers added to every accepted message (RFC 5321 4.4).

#include <string>
#include <string_view>

namespace pushmail::smtp {

struct TraceInfo {
  std::string helo;         // what the client said in HELO/EHLO
  std::string client_ip;    // "127.0.0.1" or "IPv6:::1"
  std::string by;           // our host name
  std::string protocol;     // "ESMTP", "ESMTPS", "ESMTPSA", "UTF8SMTPS"... (RFC 3848, 6531)
  std::string id;           // our id for the transaction
  std::string recipient;    // named in "for" when the message has exactly one
  std::string tls;          // negotiated TLS, e.g. "TLSv1.3 TLS_AES_256_GCM_SHA384"
  std::string return_path;  // the MAIL FROM address; empty for "<>"
  int64_t when = 0;         // Unix seconds
};

// "Return-Path: <...>\r\nReceived: ...\r\n", folded to stay under 78 columns where it can.
std::string TraceHeaders(const TraceInfo& info);

// The RFC 3848 protocol name for a session's state.
std::string WithProtocol(bool esmtp, bool tls, bool authenticated, bool utf8);

}  // namespace pushmail::smtp
