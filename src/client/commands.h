#pragma once
// The `pushmail` commands. Each runs to its end and returns the exit status, or throws
// client::Failure (main prints it). They block and write to stdout and stderr.

#include <optional>
#include <string>
#include <vector>

#include "client/config.h"

namespace pushmail::client {

struct LoginFlags {
  ServerOptions server;
  std::string user;
  bool password_stdin = false;
};
int RunLogin(const LoginFlags& flags);
int RunLogout();

struct WatchFlags {
  bool json = false;
  std::string exec;           // run with /bin/sh -c for each message; empty: none
  std::string rules_file;     // empty: ConfigDir()/rules.toml when it exists
  int max_backoff_s = 30;     // the longest wait between two connection attempts
  bool event_source = false;  // EventSource even where the server offers a WebSocket
};
int RunWatch(const WatchFlags& flags);

struct ListFlags {
  std::string mailbox = "INBOX";
  bool unread = false;
  int limit = 20;
  bool json = false;
};
int RunList(const ListFlags& flags);

struct ReadFlags {
  std::string id;
  std::string save_dir;  // empty: do not save attachments
  bool raw = false;      // the message as it is stored
};
int RunRead(const ReadFlags& flags);

int RunRemove(const std::vector<std::string>& ids);
int RunMove(const std::vector<std::string>& ids, const std::string& mailbox);
int RunFlag(const std::string& id, const std::vector<std::string>& changes);

struct ComposeFlags {
  std::vector<std::string> to, cc, bcc, attach;
  std::string subject;
  std::string reply_id;  // reply: the message answered
  bool reply_all = false;
  bool edit = false;  // force $EDITOR even when stdin is not a terminal
};
int RunSend(const ComposeFlags& flags);

int RunSync(bool quiet);

int RunRulesTest(const std::string& rules_file, const std::vector<std::string>& messages);

}  // namespace pushmail::client
