#include "base/config.h"

#include <toml++/toml.h>

#include "base/strings.h"

namespace pushmail {
namespace {

template <class T>
void Read(const toml::table& t, std::string_view key, T& out) {
  if (auto v = t[key].value<T>()) out = *v;
}

template <class Rep, class Period>
void ReadDuration(const toml::table& t, std::string_view key,
                  std::chrono::duration<Rep, Period>& out) {
  if (auto v = t[key].value<int64_t>()) out = std::chrono::duration<Rep, Period>(*v);
}

void ReadSmtp(const toml::table& t, SmtpLimits& s) {
  int64_t n = 0;
  auto unsigned_key = [&](std::string_view key, auto& out) {
    n = static_cast<int64_t>(out);
    Read(t, key, n);
    if (n > 0) out = static_cast<std::remove_reference_t<decltype(out)>>(n);
  };
  unsigned_key("max_line", s.max_line);
  unsigned_key("max_message_size", s.max_message_size);
  unsigned_key("max_recipients", s.max_recipients);
  unsigned_key("max_bad_commands", s.max_bad_commands);
  unsigned_key("max_connections_per_ip", s.max_connections_per_ip);
  unsigned_key("auth_failures_before_delay", s.auth_failures_before_delay);
  ReadDuration(t, "auth_failure_delay_ms", s.auth_failure_delay);
  ReadDuration(t, "command_timeout_s", s.command_timeout);
  ReadDuration(t, "data_timeout_s", s.data_timeout);
}

void ReadImap(const toml::table& t, ImapLimits& s) {
  auto unsigned_key = [&](std::string_view key, auto& out) {
    auto n = static_cast<int64_t>(out);
    Read(t, key, n);
    if (n > 0) out = static_cast<std::remove_reference_t<decltype(out)>>(n);
  };
  unsigned_key("max_line", s.max_line);
  unsigned_key("max_literal", s.max_literal);
  unsigned_key("max_bad_commands", s.max_bad_commands);
  unsigned_key("max_commands_before_login", s.max_commands_before_login);
  unsigned_key("max_connections_per_ip", s.max_connections_per_ip);
  unsigned_key("auth_failures_before_delay", s.auth_failures_before_delay);
  ReadDuration(t, "auth_failure_delay_ms", s.auth_failure_delay);
  ReadDuration(t, "idle_keepalive_s", s.idle_keepalive);
  ReadDuration(t, "autologout_s", s.autologout);
  ReadDuration(t, "login_timeout_s", s.login_timeout);
}

void ReadHttp(const toml::table& t, HttpLimits& s) {
  auto unsigned_key = [&](std::string_view key, auto& out) {
    auto n = static_cast<int64_t>(out);
    Read(t, key, n);
    if (n > 0) out = static_cast<std::remove_reference_t<decltype(out)>>(n);
  };
  unsigned_key("max_header_size", s.max_header_size);
  unsigned_key("max_size_request", s.max_size_request);
  unsigned_key("max_size_upload", s.max_size_upload);
  unsigned_key("max_concurrent_upload", s.max_concurrent_upload);
  unsigned_key("max_concurrent_requests", s.max_concurrent_requests);
  unsigned_key("max_calls_in_request", s.max_calls_in_request);
  unsigned_key("max_objects_in_get", s.max_objects_in_get);
  unsigned_key("max_objects_in_set", s.max_objects_in_set);
  unsigned_key("max_connections_per_ip", s.max_connections_per_ip);
  unsigned_key("auth_failures_before_delay", s.auth_failures_before_delay);
  ReadDuration(t, "auth_failure_delay_ms", s.auth_failure_delay);
  ReadDuration(t, "idle_timeout_s", s.idle_timeout);
  ReadDuration(t, "request_timeout_s", s.request_timeout);
  ReadDuration(t, "ping_min_s", s.ping_min);
  ReadDuration(t, "ping_max_s", s.ping_max);
  ReadDuration(t, "websocket_ping_s", s.websocket_ping);
  ReadDuration(t, "token_lifetime_s", s.token_lifetime);
  ReadDuration(t, "eventsource_token_lifetime_s", s.eventsource_token_lifetime);
  Read(t, "metrics_auth", s.metrics_auth);
}

void ReadWebPush(const toml::table& t, WebPushLimits& s) {
  auto unsigned_key = [&](std::string_view key, auto& out) {
    auto n = static_cast<int64_t>(out);
    Read(t, key, n);
    if (n > 0) out = static_cast<std::remove_reference_t<decltype(out)>>(n);
  };
  unsigned_key("max_subscriptions", s.max_subscriptions);
  unsigned_key("max_attempts", s.max_attempts);
  unsigned_key("max_connections", s.max_connections);
  unsigned_key("max_idle_connections", s.max_idle_connections);
  ReadDuration(t, "max_expiry_s", s.max_expiry);
  ReadDuration(t, "ttl_s", s.ttl);
  ReadDuration(t, "timeout_s", s.timeout);
  ReadDuration(t, "max_backoff_s", s.max_backoff);
  ReadDuration(t, "idle_connection_s", s.idle_connection);
  Read(t, "allow_private_addresses", s.allow_private_addresses);
}

}  // namespace

Result<Config> LoadConfig(const std::string& path, std::string* error) {
  Config config;
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    *error = std::string(e.description()) + " at line " + std::to_string(e.source().begin.line);
    return MakeError(Errc::kInvalidArgument);
  }
  Read(root, "data", config.data_dir);
  Read(root, "hostname", config.hostname);
  Read(root, "log_level", config.log_level);
  if (auto* domains = root["domains"].as_array()) {
    for (auto& d : *domains) {
      if (auto s = d.value<std::string>()) config.domains.push_back(*s);
    }
  }
  if (auto* listen = root["listen"].as_table()) {
    Read(*listen, "smtp", config.smtp_addr);
    Read(*listen, "submission", config.submission_addr);
    Read(*listen, "imap", config.imap_addr);
    Read(*listen, "imaps", config.imaps_addr);
    Read(*listen, "http", config.http_addr);
  }
  if (auto* tls = root["tls"].as_table()) {
    Read(*tls, "cert", config.tls_cert);
    Read(*tls, "key", config.tls_key);
    Read(*tls, "ciphers", config.tls_ciphers);
    Read(*tls, "ciphersuites", config.tls_ciphersuites);
  }
  int64_t workers = 0;
  Read(root, "workers", workers);
  if (workers > 0) config.workers = static_cast<unsigned>(workers);
  if (auto* smtp = root["smtp"].as_table()) ReadSmtp(*smtp, config.smtp);
  if (auto* imap = root["imap"].as_table()) ReadImap(*imap, config.imap);
  if (auto* http = root["http"].as_table()) {
    ReadHttp(*http, config.http);
    // Where the key was before every login shared the cache; [auth] wins when both are set.
    ReadDuration(*http, "credential_cache_s", config.auth.credential_cache);
  }
  if (auto* auth = root["auth"].as_table()) {
    ReadDuration(*auth, "credential_cache_s", config.auth.credential_cache);
    int64_t hashing = config.auth.max_hashing;
    Read(*auth, "max_hashing", hashing);
    if (hashing > 0) config.auth.max_hashing = static_cast<unsigned>(hashing);
  }
  if (auto* webpush = root["webpush"].as_table()) ReadWebPush(*webpush, config.webpush);
  int64_t blocking = config.blocking_threads;
  Read(root, "blocking_threads", blocking);
  if (blocking > 0) config.blocking_threads = static_cast<unsigned>(blocking);
  if (auto* bridge = root["bridge"].as_table()) {
    ReadDuration(*bridge, "status_round_s", config.bridge.status_round);
    ReadDuration(*bridge, "write_timeout_s", config.bridge.write_timeout);
    int64_t threads = config.bridge.write_threads;
    Read(*bridge, "write_threads", threads);
    if (threads > 0) config.bridge.write_threads = static_cast<unsigned>(threads);
  }
  if (auto* hub = root["hub"].as_table()) {
    int64_t queue = static_cast<int64_t>(config.hub.subscriber_queue);
    Read(*hub, "subscriber_queue", queue);
    if (queue > 0) config.hub.subscriber_queue = static_cast<size_t>(queue);
  }
  if (auto* store = root["store"].as_table()) {
    int64_t batch = config.store.max_batch;
    Read(*store, "max_batch", batch);
    if (batch > 0) config.store.max_batch = static_cast<unsigned>(batch);
  }
  return config;
}

bool IsLocalDomain(const Config& config, std::string_view domain) {
  for (const auto& d : config.domains) {
    if (EqualsIgnoreCase(d, domain)) return true;
  }
  return false;
}

}  // namespace pushmail
