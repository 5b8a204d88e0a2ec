// `pushmail login` and `pushmail logout`: POST /jmap/login trades the password for a Bearer
// token, which is stored with mode 0600; POST /jmap/logout revokes it.
#include <termios.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <iostream>

#include "client/commands.h"
#include "client/connection.h"
#include "client/error.h"
#include "client/jmap_client.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

std::string ReadPassword(bool from_stdin) {
  std::string password;
  if (from_stdin || !::isatty(STDIN_FILENO)) {
    std::getline(std::cin, password);
  } else {
    std::fprintf(stderr, "Password: ");
    termios saved{};
    bool restore = ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (restore) {
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::getline(std::cin, password);
    if (restore) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    std::fprintf(stderr, "\n");
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw Failure(FailureKind::kUsage, "no password given");
  return password;
}

}  // namespace

int RunLogin(const LoginFlags& flags) {
  Connection connection(flags.server);
  std::string password = ReadPassword(flags.password_stdin);
  json::object body{{"username", flags.user}, {"password", password}};
  HttpResponse r =
      connection.Request("POST", "/jmap/login", json::serialize(body), "application/json");
  if (r.status == 401) {
    throw Failure(FailureKind::kAuth, "wrong username or password for " + flags.user);
  }
  boost::system::error_code ec;
  json::value v = json::parse(r.body, ec);
  if (r.status != 200 || ec || !v.is_object() || Str(v.as_object(), "accessToken").empty()) {
    throw Failure(FailureKind::kServer,
                  "login failed: HTTP " + std::to_string(r.status) + " from " + connection.url());
  }
  Login login;
  login.server = flags.server;
  login.server.url = connection.url();
  if (!login.server.ca_file.empty()) {
    char* absolute = ::realpath(login.server.ca_file.c_str(), nullptr);
    if (absolute) {
      login.server.ca_file = absolute;
      std::free(absolute);
    }
  }
  login.user = flags.user;
  login.token = Str(v.as_object(), "accessToken");
  login.expires = Str(v.as_object(), "expires");
  SaveLogin(login);
  std::printf("logged in as %s at %s (token stored in %s, valid until %s)\n", login.user.c_str(),
              login.server.url.c_str(), LoginPath().c_str(), login.expires.c_str());
  return 0;
}

int RunLogout() {
  auto login = LoadLogin();
  if (!login) {
    std::printf("not logged in\n");
    return 0;
  }
  Connection connection(login->server);
  connection.SetBearer(login->token);
  std::string problem;
  try {
    HttpResponse r = connection.Request("POST", "/jmap/logout");
    if (r.status != 204 && r.status != 200 && r.status != 401) {
      problem = "the server answered HTTP " + std::to_string(r.status);
    }
  } catch (const Failure& f) {
    problem = f.what();
  }
  RemoveLogin();
  if (!problem.empty()) {
    throw Failure(FailureKind::kUnreachable,
                  "removed the stored token, but could not revoke it on the server: " + problem);
  }
  std::printf("logged out of %s\n", login->server.url.c_str());
  return 0;
}

}  // namespace pushmail::client
