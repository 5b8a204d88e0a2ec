#pragma once
// Server configuration. Every limit is a key of the TOML config file with a sane default;
// command-line flags override the file. See docs/config.md for the keys.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace pushmail {

struct SmtpLimits {
  size_t max_line = 1000;                   // octets, CRLF included (RFC 5321 4.5.3.1.6)
  size_t max_message_size = 50ull << 20;    // advertised as SIZE
  unsigned max_recipients = 100;            // per transaction (RFC 5321 4.5.3.1.8)
  unsigned max_bad_commands = 20;           // in a row, then 421 and close
  unsigned max_connections_per_ip = 100;    // concurrent
  unsigned auth_failures_before_delay = 3;  // per IP, then every reply to AUTH is delayed
  std::chrono::milliseconds auth_failure_delay{2000};  // times the failures past the threshold
  std::chrono::seconds command_timeout{300};           // RFC 5321 4.5.3.2.7
  std::chrono::seconds data_timeout{600};
};

struct ImapLimits {
  size_t max_line = 64 * 1024;       // octets of a command line outside literals
  size_t max_literal = 64ull << 20;  // advertised as APPENDLIMIT
  unsigned max_bad_commands = 10;    // in a row, then BYE and close
  unsigned max_commands_before_login = 30;
  unsigned max_connections_per_ip = 200;    // concurrent
  unsigned auth_failures_before_delay = 3;  // per IP, then every failed login is delayed
  std::chrono::milliseconds auth_failure_delay{2000};
  std::chrono::seconds idle_keepalive{120};  // "* OK Still here" during IDLE
  std::chrono::seconds autologout{1800};     // RFC 9051 5.4: at least 30 minutes
  std::chrono::seconds login_timeout{60};    // before authentication
};

struct StoreLimits {
  unsigned max_batch = 2048;  // writes that may share one commit (one fsync)
};

struct Config {
  std::string data_dir = "var";
  std::vector<std::string> domains;  // local domains; mail for others is refused
  std::string hostname;              // greeting and Received: name; defaults to the first domain
  std::string smtp_addr;             // empty: the listener is off
  std::string submission_addr;
  std::string imap_addr;
  std::string imaps_addr;
  std::string http_addr;
  unsigned workers = 0;  // 0: one per core
  std::string tls_cert;  // PEM; empty: a self-signed one is made in data_dir/tls
  std::string tls_key;
  std::string log_level = "info";
  SmtpLimits smtp;
  ImapLimits imap;
  StoreLimits store;
};

// Reads a TOML file over the defaults. Fails with a message naming the bad key or line.
Result<Config> LoadConfig(const std::string& path, std::string* error);

// True when `domain` is one of config.domains (ASCII case-insensitive).
bool IsLocalDomain(const Config& config, std::string_view domain);

}  // namespace pushmail
