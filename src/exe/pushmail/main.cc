// pushmail: the command-line push email client (src/client).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "client/client.h"

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

  pc::ListFlags list;
  auto* ls_cmd = app.add_subcommand("ls", "list the newest messages of a mailbox");
  ls_cmd->add_option("MAILBOX", list.mailbox, "name or role (default INBOX)");
  ls_cmd->add_flag("--unread", list.unread, "only unread messages");
  ls_cmd->add_option("--limit", list.limit, "at most this many (default 20)")
      ->check(CLI::Range(1, 100000));
  ls_cmd->add_flag("--json", list.json, "one JSON object per line");

  pc::ReadFlags read;
  auto* read_cmd = app.add_subcommand("read", "show a message (and mark it read)");
  read_cmd->add_option("ID", read.id, "the message's id (from ls)")->required();
  read_cmd->add_option("--save", read.save_dir, "save the attachments into this folder");
  read_cmd->add_flag("--raw", read.raw, "the message as it is stored");

  std::vector<std::string> ids;
  std::string mailbox;
  auto* rm_cmd = app.add_subcommand("rm", "move messages to Trash");
  rm_cmd->add_option("ID", ids, "message ids")->required();
  std::vector<std::string> move_args;
  auto* mv_cmd = app.add_subcommand("mv", "move messages to a mailbox: mv ID [ID ...] MAILBOX");
  mv_cmd->add_option("ARGS", move_args, "message ids, then the mailbox's name or role")
      ->required()
      ->expected(2, -1);
  std::string flag_id;
  std::vector<std::string> flag_changes;
  auto* flag_cmd = app.add_subcommand("flag", "change a message's flags: +seen -seen +flagged ...");
  flag_cmd->add_option("ID", flag_id, "the message's id")->required();
  flag_cmd->allow_extras();  // "-seen" is a change, not an option
  flag_cmd->footer("CHANGE: +KEYWORD or -KEYWORD (seen, flagged, answered, ...), one or more");

  pc::ComposeFlags compose;
  auto* send_cmd = app.add_subcommand("send", "write a message ($EDITOR, or standard input)");
  auto* reply_cmd = app.add_subcommand("reply", "answer a message");
  reply_cmd->add_option("ID", compose.reply_id, "the message answered")->required();
  reply_cmd->add_flag("--all", compose.reply_all, "to every recipient of the message");
  for (auto* cmd : {send_cmd, reply_cmd}) {
    cmd->add_option("--to", compose.to, "recipient (repeatable)");
    cmd->add_option("--cc", compose.cc, "copy to (repeatable)");
    cmd->add_option("--bcc", compose.bcc, "blind copy to (repeatable)");
    cmd->add_option("--subject,-s", compose.subject, "subject");
    cmd->add_option("--attach,-a", compose.attach, "attach a file (repeatable)")
        ->check(CLI::ExistingFile);
    cmd->add_flag("--edit", compose.edit, "open $EDITOR even when standard input is no terminal");
  }

  bool quiet = false;
  auto* sync_cmd = app.add_subcommand("sync", "update the offline cache");
  sync_cmd->add_flag("--quiet,-q", quiet, "no progress and no summary");

  auto* rules_cmd = app.add_subcommand("rules", "filters for pushed mail");
  rules_cmd->require_subcommand(1);
  std::string rules_file;
  std::vector<std::string> rule_messages;
  auto* rules_test = rules_cmd->add_subcommand(
      "test", "check a rules file; with messages (files or ids), show what it would do");
  rules_test->add_option("FILE", rules_file, "the rules file (TOML)")->required();
  rules_test->add_option("MESSAGE", rule_messages, "message files or message ids");

  CLI11_PARSE(app, argc, argv);
  if (app.got_subcommand(mv_cmd)) {
    mailbox = move_args.back();
    ids.assign(move_args.begin(), move_args.end() - 1);
  }
  if (app.got_subcommand(flag_cmd)) {
    flag_changes = flag_cmd->remaining();
    if (flag_changes.empty()) {
      std::fprintf(stderr, "pushmail: flag needs a change: +seen, -seen, +flagged, ...\n");
      return 2;
    }
  }
  try {
    if (app.got_subcommand(login_cmd)) return pc::RunLogin(login);
    if (app.got_subcommand(logout_cmd)) return pc::RunLogout();
    if (app.got_subcommand(watch_cmd)) return pc::RunWatch(watch);
    if (app.got_subcommand(ls_cmd)) return pc::RunList(list);
    if (app.got_subcommand(read_cmd)) return pc::RunRead(read);
    if (app.got_subcommand(rm_cmd)) return pc::RunRemove(ids);
    if (app.got_subcommand(mv_cmd)) return pc::RunMove(ids, mailbox);
    if (app.got_subcommand(flag_cmd)) return pc::RunFlag(flag_id, flag_changes);
    if (app.got_subcommand(send_cmd) || app.got_subcommand(reply_cmd)) return pc::RunSend(compose);
    if (app.got_subcommand(sync_cmd)) return pc::RunSync(quiet);
    if (app.got_subcommand(rules_cmd)) return pc::RunRulesTest(rules_file, rule_messages);
  } catch (const pc::Failure& f) {
    std::fprintf(stderr, "pushmail: %s\n", f.what());
    return pc::ExitStatus(f.kind());
  }
  return 0;
}
