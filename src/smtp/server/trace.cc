#include "smtp/server/trace.h"

#include "base/clock.h"

namespace pushmail::smtp {

std::string TraceHeaders(const TraceInfo& info) {
  std::string out = "Return-Path: <" + info.return_path + ">\r\n";
  out += "Received: from " + info.helo + " ([" + info.client_ip + "])\r\n";
  out += "\tby " + info.by + " (pushmail) with " + info.protocol;
  if (!info.tls.empty()) out += "\r\n\t(" + info.tls + ")";
  out += "\r\n\tid " + info.id;
  if (!info.recipient.empty()) out += "\r\n\tfor <" + info.recipient + ">";
  out += ";\r\n\t" + Rfc5322Date(info.when) + "\r\n";
  return out;
}

std::string WithProtocol(bool esmtp, bool tls, bool authenticated, bool utf8) {
  if (!esmtp) return "SMTP";
  std::string name = utf8 ? "UTF8SMTP" : "ESMTP";
  if (tls) name += "S";
  if (authenticated) name += "A";
  return name;
}

}  // namespace pushmail::smtp
