#pragma once
// Where the client keeps its files (XDG Base Directory) and the login it stores.

#include <iosfwd>
#include <optional>
#include <string>

#include "client/rules.h"

namespace pushmail::client {

// $XDG_CONFIG_HOME/pushmail (default ~/.config/pushmail): the login and rules.toml.
std::string ConfigDir();
// $XDG_DATA_HOME/pushmail (default ~/.local/share/pushmail): the offline cache.
std::string DataDir();

// How to reach and trust the server.
struct ServerOptions {
  std::string url;        // "https://host:port", no path
  std::string ca_file;    // trust this PEM file instead of the system's roots; empty: system
  bool insecure = false;  // no certificate check at all
};

// What `pushmail login` stores: the server, the user and the Bearer token.
struct Login {
  ServerOptions server;
  std::string user;
  std::string token;
  std::string expires;  // RFC 3339, as the server said
};

std::string LoginPath();  // ConfigDir()/login.json
// Writes the login with mode 0600 (the directory 0700), atomically. Throws Failure (kLocal).
void SaveLogin(const Login& login);
// The stored login; nullopt when there is none. Throws Failure (kLocal) for a damaged file.
std::optional<Login> LoadLogin();
// The stored login, or Failure (kAuth) saying to log in first.
Login RequireLogin();
// Removes the stored login; false when there was none.
bool RemoveLogin();

// All of `in`, or Failure (kUsage) naming `what` when it is longer than `limit`.
std::string ReadAll(std::istream& in, size_t limit, const std::string& what);
// The file at `path`; nullopt when it cannot be opened. Failure (kUsage) when over `limit`.
std::optional<std::string> ReadFile(const std::string& path, size_t limit);
// ReadFile, or Failure (kUsage) "cannot read PATH".
std::string RequireFile(const std::string& path, size_t limit);
// The rules file at `path` (rules.h), or Failure (kUsage) with its path, line and column.
RuleSet LoadRulesFile(const std::string& path);

}  // namespace pushmail::client
