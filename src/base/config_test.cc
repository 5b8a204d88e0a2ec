#include "base/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace pushmail {
namespace {

std::string WriteTemp(const std::string& text) {
  char name[] = "/tmp/pushmail-config-XXXXXX";
  int fd = mkstemp(name);
  EXPECT_GE(fd, 0);
  close(fd);
  std::ofstream(name) << text;
  return name;
}

TEST(Config, DefaultsWhenKeysAreAbsent) {
  std::string path = WriteTemp("domains = [\"example.test\"]\n");
  std::string error;
  auto config = LoadConfig(path, &error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->smtp.max_line, 1000u);
  EXPECT_EQ(config->domains.size(), 1u);
  EXPECT_TRUE(IsLocalDomain(*config, "EXAMPLE.test"));
  EXPECT_FALSE(IsLocalDomain(*config, "example.org"));
  std::remove(path.c_str());
}

TEST(Config, ReadsLimits) {
  std::string path = WriteTemp(
      "[smtp]\nmax_recipients = 7\nauth_failure_delay_ms = 10\n[listen]\nsmtp = "
      "\"127.0.0.1:0\"\n");
  std::string error;
  auto config = LoadConfig(path, &error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->smtp.max_recipients, 7u);
  EXPECT_EQ(config->smtp.auth_failure_delay.count(), 10);
  EXPECT_EQ(config->smtp_addr, "127.0.0.1:0");
  std::remove(path.c_str());
}

TEST(Config, ReadsHttpLimits) {
  std::string path = WriteTemp(
      "[http]\nmax_size_request = 4096\nmax_calls_in_request = 3\nidle_timeout_s = 9\n"
      "max_header_size = -1\n[listen]\nhttp = \"127.0.0.1:0\"\n");
  std::string error;
  auto config = LoadConfig(path, &error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->http.max_size_request, 4096u);
  EXPECT_EQ(config->http.max_calls_in_request, 3u);
  EXPECT_EQ(config->http.idle_timeout.count(), 9);
  EXPECT_EQ(config->http.max_header_size, 16u * 1024);  // a negative value keeps the default
  EXPECT_EQ(config->http_addr, "127.0.0.1:0");
  std::remove(path.c_str());
}

TEST(Config, BadTomlNamesTheLine) {
  std::string path = WriteTemp("domains = [\n\nworkers = = 3\n");
  std::string error;
  auto config = LoadConfig(path, &error);
  EXPECT_FALSE(config.has_value());
  EXPECT_NE(error.find("line"), std::string::npos);
  std::remove(path.c_str());
}

TEST(Config, TlsSuitesAreAeadByDefaultAndConfigurable) {
  Config defaults;
  std::string_view list = defaults.tls_ciphers;
  for (size_t start = 0; start < list.size();) {
    size_t end = std::min(list.find(':', start), list.size());
    std::string_view suite = list.substr(start, end - start);
    EXPECT_TRUE(suite.starts_with("ECDHE-") && (suite.find("-GCM-") != std::string_view::npos ||
                                                suite.ends_with("-CHACHA20-POLY1305")))
        << suite;
    start = end + 1;
  }
  std::string path =
      WriteTemp("[tls]\nciphers = \"ECDHE-RSA-AES128-GCM-SHA256\"\nciphersuites = \"\"\n");
  std::string error;
  auto config = LoadConfig(path, &error);
  ASSERT_TRUE(config.has_value()) << error;
  EXPECT_EQ(config->tls_ciphers, "ECDHE-RSA-AES128-GCM-SHA256");
  EXPECT_EQ(config->tls_ciphersuites, "");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace pushmail
