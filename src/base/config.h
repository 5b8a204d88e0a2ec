#pragma once
// Server configuration. Every limit is a key of the TOML config file with a sane default;
// command-line flags override the file. See docs/config.md for the keys.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
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
  size_t max_line = size_t{64} * 1024;  // octets of a command line outside literals
  size_t max_literal = 64ull << 20;     // advertised as APPENDLIMIT
  unsigned max_bad_commands = 10;       // in a row, then BYE and close
  unsigned max_commands_before_login = 30;
  unsigned max_connections_per_ip = 200;    // concurrent
  unsigned auth_failures_before_delay = 3;  // per IP, then every failed login is delayed
  std::chrono::milliseconds auth_failure_delay{2000};
  std::chrono::seconds idle_keepalive{120};  // "* OK Still here" during IDLE
  std::chrono::seconds autologout{1800};     // RFC 9051 5.4: at least 30 minutes
  std::chrono::seconds login_timeout{60};    // before authentication
};

// The HTTPS server (JMAP and push). The JMAP ones are advertised in the session resource.
struct HttpLimits {
  size_t max_header_size = size_t{16} * 1024;  // request line and header fields; more: 431
  size_t max_size_request = 10ull << 20;       // JMAP maxSizeRequest: request bodies; more: 413
  size_t max_size_upload = 50ull << 20;        // JMAP maxSizeUpload (advertised)
  unsigned max_concurrent_upload = 4;          // JMAP maxConcurrentUpload (advertised)
  unsigned max_concurrent_requests = 8;        // JMAP maxConcurrentRequests, per account
  unsigned max_calls_in_request = 64;          // JMAP maxCallsInRequest
  unsigned max_objects_in_get = 1000;          // JMAP maxObjectsInGet
  unsigned max_objects_in_set = 1000;          // JMAP maxObjectsInSet (advertised)
  unsigned max_connections_per_ip = 500;       // concurrent; more are refused with 503
  unsigned auth_failures_before_delay = 3;     // per IP, then every failed login is delayed
  std::chrono::milliseconds auth_failure_delay{2000};
  std::chrono::seconds idle_timeout{300};    // keep-alive connection with no request
  std::chrono::seconds request_timeout{60};  // to read a request once it has begun
  std::chrono::seconds ping_min{1};          // EventSource ping is clamped to [min, max]
  std::chrono::seconds ping_max{3600};
  // WebSocket, tokens, /metrics.
  std::chrono::seconds websocket_ping{30};  // ping after this much silence; none back: close
  std::chrono::seconds token_lifetime{30 * 86400};       // Bearer tokens from /jmap/login
  std::chrono::seconds eventsource_token_lifetime{600};  // signed EventSource URLs
  bool metrics_auth = false;                             // /metrics needs an authenticated user
};

// Web Push (RFC 8030/8291/8292): JMAP PushSubscription and the sender.
struct WebPushLimits {
  unsigned max_subscriptions = 16;             // per account; more: overQuota
  std::chrono::seconds max_expiry{7 * 86400};  // expires is clamped to now + this
  std::chrono::seconds ttl{86400};             // TTL header: how long a push service keeps it
  std::chrono::seconds timeout{30};            // connect, TLS and each request
  unsigned max_attempts = 6;                   // per push, on 429, 5xx and network errors
  std::chrono::seconds max_backoff{600};       // retry delay cap (Retry-After too)
  unsigned max_connections = 16;               // requests in flight per push service origin
  unsigned max_idle_connections = 4;           // kept per push service origin
  std::chrono::seconds idle_connection{60};    // an idle kept connection is closed after
  bool allow_private_addresses = false;        // https URLs may resolve to private ranges
};

// The bridge (src/bridge): upstream IMAP sessions of bridged accounts.
struct BridgeLimits {
  // Without NOTIFY upstream: how often the mailboxes other than INBOX are asked for their
  // STATUS, and upstream's mailboxes are listed again.
  std::chrono::seconds status_round{60};
  // A local client's write to a bridged account waits this long for upstream, then fails.
  std::chrono::seconds write_timeout{60};
  // Threads for those writes, apart from the blocking pool: a slow upstream stalls only the
  // writes of bridged accounts, never a login, a read or a local write.
  unsigned write_threads = 16;
};

// The change hub: each push connection's queue of StateChanges.
struct HubLimits {
  size_t subscriber_queue = 256;  // events waiting for one subscriber; full: it is dropped
};

struct StoreLimits {
  unsigned max_batch = 2048;  // writes that may share one commit (one fsync)
};

// Password checks of every protocol (IMAP LOGIN/AUTHENTICATE, SMTP AUTH, HTTP Basic).
struct AuthLimits {
  std::chrono::seconds credential_cache{300};  // credentials that passed skip Argon2id; 0: off
  unsigned max_hashing = 0;                    // Argon2id at once (~64 MiB each); 0: one per CPU
};
// The [tls] ciphers and ciphersuites defaults (docs/config.md).
inline constexpr std::string_view kDefaultTlsCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
inline constexpr std::string_view kDefaultTlsCiphersuites =
    "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";

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
  // Threads for store work, MIME parsing of large messages and password checks.
  unsigned blocking_threads = 4;
  std::string tls_cert;  // PEM; empty: a self-signed one is made in data_dir/tls
  std::string tls_key;
  // What TLS 1.2 and TLS 1.3 handshakes may agree on (OpenSSL's cipher list and ciphersuites
  // syntax). The defaults are AEAD only: ECDHE with AES-GCM or ChaCha20-Poly1305 for TLS 1.2, no
  // CBC (LUCKY13), no RSA key exchange, no SHA-1 MACs.
  std::string tls_ciphers = std::string(kDefaultTlsCiphers);
  std::string tls_ciphersuites = std::string(kDefaultTlsCiphersuites);
  std::string log_level = "info";
  SmtpLimits smtp;
  ImapLimits imap;
  HttpLimits http;
  StoreLimits store;
  AuthLimits auth;
  WebPushLimits webpush;
  BridgeLimits bridge;
  HubLimits hub;
};

// Reads a TOML file over the defaults. Fails with a message naming the bad key or line.
Result<Config> LoadConfig(const std::string& path, std::string* error);

// True when `domain` is one of config.domains (ASCII case-insensitive).
bool IsLocalDomain(const Config& config, std::string_view domain);

}  // namespace pushmail
