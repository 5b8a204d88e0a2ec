#pragma once
// Where the client keeps its files (XDG Base Directory) and the login it stores.

#include <optional>
#include <string>

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

}  // namespace pushmail::client
