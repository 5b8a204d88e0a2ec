#include "smtp/server/trace.h"

#include <gtest/gtest.h>

namespace pushmail::smtp {
namespace {

TEST(Trace, ReceivedHeader) {
  TraceInfo t;
  t.helo = "client.example";
  t.client_ip = "127.0.0.1";
  t.by = "mx.example.test";
  t.protocol = WithProtocol(true, true, false, false);
  t.id = "ABC";
  t.recipient = "alice@example.test";
  t.return_path = "bob@example.org";
  t.when = 0;
  EXPECT_EQ(TraceHeaders(t),
            "Return-Path: <bob@example.org>\r\n"
            "Received: from client.example ([127.0.0.1])\r\n"
            "\tby mx.example.test (pushmail) with ESMTPS\r\n"
            "\tid ABC\r\n"
            "\tfor <alice@example.test>;\r\n"
            "\tThu, 01 Jan 1970 00:00:00 +0000\r\n");
}

TEST(Trace, ProtocolNames) {
  EXPECT_EQ(WithProtocol(false, false, false, false), "SMTP");
  EXPECT_EQ(WithProtocol(true, false, false, false), "ESMTP");
  EXPECT_EQ(WithProtocol(true, true, true, false), "ESMTPSA");
  EXPECT_EQ(WithProtocol(true, false, true, true), "UTF8SMTPA");
}

}  // namespace
}  // namespace pushmail::smtp
