#include "client/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "client/error.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

std::string XdgDir(const char* variable, const char* fallback) {
  const char* set = std::getenv(variable);
  if (set && set[0] == '/') return std::string(set) + "/pushmail";
  const char* home = std::getenv("HOME");
  if (!home || !*home)
    throw Failure(FailureKind::kLocal, "neither $" + std::string(variable) + " nor $HOME is set");
  return std::string(home) + "/" + fallback + "/pushmail";
}

std::string Text(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string ConfigDir() { return XdgDir("XDG_CONFIG_HOME", ".config"); }
std::string DataDir() { return XdgDir("XDG_DATA_HOME", ".local/share"); }
std::string LoginPath() { return ConfigDir() + "/login.json"; }

void SaveLogin(const Login& login) {
  std::string dir = ConfigDir();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Failure(FailureKind::kLocal, "cannot create " + dir + ": " + ec.message());
  ::chmod(dir.c_str(), 0700);
  json::object o{
      {"url", login.server.url}, {"ca", login.server.ca_file}, {"insecure", login.server.insecure},
      {"user", login.user},      {"token", login.token},       {"expires", login.expires}};
  std::string text = json::serialize(o) + "\n";
  std::string path = LoginPath(), tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            ::fsync(fd) == 0;
  int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    throw Failure(FailureKind::kLocal, "cannot write " + path + ": " + std::strerror(saved));
  }
}

std::string ReadAll(std::istream& in, size_t limit, const std::string& what) {
  std::stringstream text;
  text << in.rdbuf();
  std::string out = text.str();
  if (out.size() > limit) throw Failure(FailureKind::kUsage, what + " is too large");
  return out;
}

std::optional<std::string> ReadFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return ReadAll(in, limit, path);
}

std::string RequireFile(const std::string& path, size_t limit) {
  auto text = ReadFile(path, limit);
  if (!text) throw Failure(FailureKind::kUsage, "cannot read " + path);
  return std::move(*text);
}

RuleSet LoadRulesFile(const std::string& path) {
  std::string error;
  auto rules = ParseRules(RequireFile(path, kMaxRulesFile), &error);
  if (!rules) throw Failure(FailureKind::kUsage, path + ": " + error);
  return std::move(*rules);
}

std::optional<Login> LoadLogin() {
  std::string path = LoginPath();
  auto text = ReadFile(path, 1 << 20);
  if (!text) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object()) {
    throw Failure(FailureKind::kLocal, path + " is damaged: remove it and log in again");
  }
  const json::object& o = v.as_object();
  Login login;
  login.server.url = Text(o, "url");
  login.server.ca_file = Text(o, "ca");
  const auto* insecure = o.if_contains("insecure");
  login.server.insecure = insecure && insecure->is_bool() && insecure->get_bool();
  login.user = Text(o, "user");
  login.token = Text(o, "token");
  login.expires = Text(o, "expires");
  if (login.server.url.empty() || login.token.empty()) {
    throw Failure(FailureKind::kLocal, path + " is damaged: remove it and log in again");
  }
  return login;
}

Login RequireLogin() {
  auto login = LoadLogin();
  if (!login) {
    throw Failure(FailureKind::kAuth,
                  "not logged in: run `pushmail login https://HOST:PORT --user EMAIL` first");
  }
  return *login;
}

bool RemoveLogin() { return ::unlink(LoginPath().c_str()) == 0; }

}  // namespace pushmail::client
