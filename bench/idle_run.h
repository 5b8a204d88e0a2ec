#pragma once
// One run of an idle benchmark: start pushmaild with A accounts, open N connections that set up
// and idle (the protocol says how), read the server's memory before and after, then deliver M
// small messages over SMTP one at a time, delivery d to account d mod A, and time each idle
// connection's notification against the 250 that acknowledged the message. With A = N (the
// default) that is one device per user; with A = 1 every connection watches one account, which
// measures fan-out. Reports figures; asserts nothing.

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "fleet.h"

namespace pushmail::bench {

struct IdleOptions {
  std::string server;
  size_t connections = 10000;
  size_t accounts = 0;  // 0: one per connection
  size_t sources = 0;   // 0: enough for the per-address limit and the ephemeral ports
  int deliveries = 200;
  bool tls = false;
  size_t parallel = 64;  // connections setting up at one time
  int deadline_s = 0;    // for opening the connections; 0: 300 s or 0.1 s per connection
  int settle_s = 2;
  int workers = 0;
  // The accounts' Argon2id cost: "minimum" keeps setup about the connections; "interactive"
  // (the server's default) measures a reconnect storm's logins as users would have them.
  std::string hash_cost = "minimum";
};

// What is measured: the server's listener the fleet connects to, and words for the report.
struct IdleTarget {
  std::string name;                     // "imap_idle"
  std::string what;                     // "IMAPS (TLS), LOGIN + SELECT INBOX + IDLE"
  std::string notification;             // "* N EXISTS"
  std::vector<std::string> serve_args;  // listeners beyond --smtp
  std::string listener;                 // the one the fleet connects to
  size_t per_source = 0;                // the server's connection limit per address, less some
};

// Adds the options every idle benchmark takes.
void AddIdleOptions(CLI::App& app, IdleOptions& o);

// Runs the benchmark and prints its figures; returns the process's exit status.
int RunIdle(IdleOptions o, const IdleTarget& target, Protocol& protocol);

}  // namespace pushmail::bench
