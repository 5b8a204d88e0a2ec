#pragma once
// What the benchmarks share: a pushmaild started in a temp dir, and figures read from /proc.
// Single-threaded helpers for a benchmark's main thread; they block.

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

namespace pushmail::bench {

// Runs a command to completion with `stdin_text` on its standard input and its standard output
// discarded; returns its exit status.
int Run(const std::vector<std::string>& args, const std::string& stdin_text = "");

// A pushmaild started by StartServer. Its standard output goes to DIR/stdout, its log to `log`.
struct ServerProcess {
  pid_t pid = 0;
  std::string dir;                   // the temp data folder
  std::string log;                   // the server's standard error
  std::map<std::string, int> ports;  // from its "listening NAME HOST:PORT" lines, by NAME
};

// Makes a temp dir, adds `users` with `password` there (Argon2id at its minimum cost: the
// benchmarks time connections and mail, not password hashing), and starts
// `server serve --data DIR serve_args...`. Waits up to 10 s for a listening line naming each
// of `wanted`; a listener that did not come up is missing from `ports`.
// `hash_cost` is the accounts' Argon2id cost (pushmaild user add --hash-cost).
ServerProcess StartServer(const std::string& server, const std::vector<std::string>& users,
                          const std::string& password, const std::vector<std::string>& serve_args,
                          const std::vector<std::string>& wanted,
                          const std::string& hash_cost = "minimum");

// A process's CPU time so far (user + system), in seconds.
double CpuSeconds(pid_t pid);

// A process's resident set (VmRSS), in bytes; 0 when /proc cannot tell.
long RssBytes(pid_t pid);

// The p-th percentile (0 < p <= 100) of `v`, which it reorders; 0 for an empty `v`.
double Percentile(std::vector<double>& v, double p);

}  // namespace pushmail::bench
