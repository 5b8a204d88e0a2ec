// pushmaild: the pushmail server and its administration commands.
#include <CLI/CLI.hpp>

#include "base/log.h"
#include "exe/pushmaild/commands.h"

namespace pe = pushmail::exe;

namespace {

void AddServe(CLI::App& app, pe::ServeFlags& flags, std::string& config_file) {
  auto* serve = app.add_subcommand("serve", "run the server");
  serve->add_option("--config", config_file, "TOML config file (flags override it)");
  serve->add_option("--domain", flags.config.domains, "a local mail domain (repeatable)");
  serve->add_option("--hostname", flags.config.hostname, "name in greetings and Received:");
  serve->add_option("--smtp", flags.config.smtp_addr, "inbound SMTP address (default :2525)");
  serve->add_option("--submission", flags.config.submission_addr,
                    "submission address (default :2587)");
  serve->add_option("--imap", flags.config.imap_addr, "IMAP address, STARTTLS (default :1143)");
  serve->add_option("--imaps", flags.config.imaps_addr, "IMAPS address (default :1993)");
  serve->add_option("--http", flags.config.http_addr, "HTTPS address: JMAP, push (default :8443)");
  serve->add_option("--workers", flags.config.workers, "event loops (default: one per core)");
  serve->add_option("--tls-cert", flags.config.tls_cert, "PEM certificate chain");
  serve->add_option("--tls-key", flags.config.tls_key, "PEM private key");
  serve->add_option("--log-level", flags.config.log_level, "trace|debug|info|warn|error");
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"pushmaild: push email server"};
  app.require_subcommand(1);
  std::string data = "./var";
  app.add_option("--data", data, "data folder (default ./var)");
  std::string email, file, config_file;
  std::optional<std::string> mailbox;
  bool password_stdin = false;
  pe::ServeFlags flags;
  AddServe(app, flags, config_file);

  auto* user = app.add_subcommand("user", "manage accounts");
  user->require_subcommand(1);
  auto* add = user->add_subcommand("add", "create an account");
  auto* del = user->add_subcommand("del", "delete an account and its mail");
  auto* list = user->add_subcommand("list", "list accounts");
  auto* passwd = user->add_subcommand("passwd", "set an account's password");
  std::vector<std::string> emails;
  add->add_option("EMAIL", emails, "one or more addresses (all get the password)")->required();
  passwd->add_option("EMAIL", email)->required();
  std::string hash_cost = "interactive";
  for (auto* cmd : {add, passwd}) {
    cmd->add_flag("--password-stdin", password_stdin, "read the password from standard input");
    cmd->add_option("--hash-cost", hash_cost,
                    "Argon2id cost: interactive (default), moderate, or minimum (for test "
                    "fixtures and benchmarks only)")
        ->check(CLI::IsMember({"interactive", "moderate", "minimum"}));
  }
  del->add_option("EMAIL", email)->required();

  auto* exp = app.add_subcommand("export", "write an account's mail to stdout as mboxrd");
  exp->add_option("EMAIL", email)->required();
  exp->add_option("--mailbox", mailbox, "only this mailbox");
  auto* imp = app.add_subcommand("import", "add the messages of an mbox file to INBOX");
  imp->add_option("EMAIL", email)->required();
  imp->add_option("FILE", file)->required()->check(CLI::ExistingFile);

  auto* bridge = app.add_subcommand("bridge", "accounts mirrored from an upstream IMAP server");
  bridge->require_subcommand(1);
  auto* badd = bridge->add_subcommand("add", "bridge a local account to an upstream account");
  auto* blist = bridge->add_subcommand("list", "list bridged accounts");
  auto* bdel = bridge->add_subcommand("del", "stop bridging an account (its mail stays)");
  std::string upstream, upstream_user, ca_file;
  badd->add_option("LOCAL_EMAIL", email)->required();
  badd->add_option("--upstream", upstream, "imap://HOST:PORT or imaps://HOST:PORT")->required();
  badd->add_option("--user", upstream_user, "upstream login")->required();
  badd->add_option("--ca", ca_file, "imaps: PEM file of CAs to trust instead of the system's");
  badd->add_flag("--password-stdin", password_stdin, "read the upstream password from stdin");
  bdel->add_option("LOCAL_EMAIL", email)->required();

  // Every subcommand takes --data, before or after its name.
  for (auto* cmd :
       {app.get_subcommand("serve"), add, del, list, passwd, exp, imp, badd, blist, bdel}) {
    cmd->add_option("--data", data, "data folder (default ./var)");
  }
  CLI11_PARSE(app, argc, argv);
  pushmail::InitLogging(app.got_subcommand("serve") ? flags.config.log_level : "warn");

  if (app.got_subcommand("serve")) {
    if (!config_file.empty()) {
      std::string error;
      auto loaded = pushmail::LoadConfig(config_file, &error);
      if (!loaded) {
        spdlog::critical("{}: {}", config_file, error);
        return 2;
      }
      pe::ServeFlags merged{*loaded, false};
      // Flags given on the command line win over the file.
      CLI::App& serve = *app.get_subcommand("serve");
      auto given = [&](const char* name) { return serve.count(name) > 0; };
      if (given("--domain")) merged.config.domains = flags.config.domains;
      if (given("--hostname")) merged.config.hostname = flags.config.hostname;
      if (given("--smtp")) merged.config.smtp_addr = flags.config.smtp_addr;
      if (given("--submission")) merged.config.submission_addr = flags.config.submission_addr;
      if (given("--imap")) merged.config.imap_addr = flags.config.imap_addr;
      if (given("--imaps")) merged.config.imaps_addr = flags.config.imaps_addr;
      if (given("--http")) merged.config.http_addr = flags.config.http_addr;
      if (given("--workers")) merged.config.workers = flags.config.workers;
      if (given("--tls-cert")) merged.config.tls_cert = flags.config.tls_cert;
      if (given("--tls-key")) merged.config.tls_key = flags.config.tls_key;
      if (given("--log-level")) merged.config.log_level = flags.config.log_level;
      if (!given("--data") && !app.count("--data")) data = merged.config.data_dir;
      flags = std::move(merged);
    }
    flags.config.data_dir = data;
    const auto& c = flags.config;
    flags.any_listener = !c.smtp_addr.empty() || !c.submission_addr.empty() ||
                         !c.imap_addr.empty() || !c.imaps_addr.empty() || !c.http_addr.empty();
    return pe::Serve(std::move(flags));
  }
  auto cost =
      pushmail::store::ParseHashCost(hash_cost).value_or(pushmail::store::HashCost::kInteractive);
  if (add->parsed()) return pe::UserAdd(data, emails, password_stdin, cost);
  if (del->parsed()) return pe::UserDel(data, email);
  if (list->parsed()) return pe::UserList(data);
  if (passwd->parsed()) return pe::UserPasswd(data, email, password_stdin, cost);
  if (exp->parsed()) return pe::Export(data, email, mailbox);
  if (imp->parsed()) return pe::Import(data, email, file);
  if (badd->parsed()) {
    return pe::BridgeAdd(data, email, upstream, upstream_user, ca_file, password_stdin);
  }
  if (blist->parsed()) return pe::BridgeList(data);
  if (bdel->parsed()) return pe::BridgeDel(data, email);
  return 2;
}
