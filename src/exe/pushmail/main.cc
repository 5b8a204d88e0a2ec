// pushmail: the command-line push email client (src/client).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "client/commands.h"
#include "client/error.h"

namespace pc = pushmail::client;

int main(int argc, char** argv) {
  CLI::App app{"pushmail: push email client"};
  app.require_subcommand(1);

  pc::LoginFlags login;
  auto* login_cmd = app.add_subcommand("login", "get a token from the server and store it");
  login_cmd->add_option("URL", login.server.url, "https://HOST:PORT of pushmaild")->required();
  login_cmd->add_option("--user", login.user, "the account's address")->required();
  login_cmd->add_flag("--password-stdin", login.password_stdin,
                      "read the password from standard input");
  auto* ca = login_cmd->add_option("--ca", login.server.ca_file,
                                   "trust this PEM certificate (pushmaild's DATA/tls/cert.pem)");
  login_cmd->add_flag("--insecure", login.server.insecure, "do not check the certificate")
      ->excludes(ca);
  auto* logout_cmd = app.add_subcommand("logout", "revoke the stored token and remove it");

  pc::WatchFlags watch;
  auto* watch_cmd = app.add_subcommand("watch", "print each new message the moment it arrives");
  watch_cmd->add_flag("--json", watch.json, "one JSON object per line");
  watch_cmd->add_option("--exec", watch.exec,
                        "run this shell command per message (fields in PUSHMAIL_* variables)");
  watch_cmd->add_option("--rules", watch.rules_file,
                        "rules file (default: rules.toml in the config folder)");
  watch_cmd
      ->add_option("--max-backoff", watch.max_backoff_s,
                   "longest wait in seconds between reconnects (default 30)")
      ->check(CLI::Range(1, 3600));
  watch_cmd->add_flag("--eventsource", watch.event_source, "use EventSource, not WebSocket");

  CLI11_PARSE(app, argc, argv);
  try {
    if (app.got_subcommand(login_cmd)) return pc::RunLogin(login);
    if (app.got_subcommand(logout_cmd)) return pc::RunLogout();
    if (app.got_subcommand(watch_cmd)) return pc::RunWatch(watch);
  } catch (const pc::Failure& f) {
    std::fprintf(stderr, "pushmail: %s\n", f.what());
    return pc::ExitStatus(f.kind());
  }
  return 0;
}
