#pragma once
// The subcommands of pushmaild. Each returns the process exit code.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/config.h"
#include "store/password.h"
#include "store/store.h"

namespace pushmail::exe {

struct ServeFlags {
  Config config;
  bool any_listener = false;  // a listener flag was given: open only those named
};

int Serve(ServeFlags flags);

// Adds every address of `emails` with one password, or none of them.
int UserAdd(const std::string& data, const std::vector<std::string>& emails, bool password_stdin,
            store::HashCost cost);
int UserDel(const std::string& data, const std::string& email);
int UserList(const std::string& data);
int UserPasswd(const std::string& data, const std::string& email, bool password_stdin,
               store::HashCost cost);
int Export(const std::string& data, const std::string& email,
           const std::optional<std::string>& mailbox);
int Import(const std::string& data, const std::string& email, const std::string& file);

// The store's file inside a data folder.
std::string StorePath(const std::string& data);
// Opens the store of `data` (creating it only with `create`); null after printing why not.
std::unique_ptr<store::Store> OpenStore(const std::string& data, bool create);
// A password from standard input (one line) or, asked twice, from the terminal.
std::optional<std::string> ReadPassword(bool from_stdin);

// pushmaild bridge add|list|del (bridge.cc).
int BridgeAdd(const std::string& data, const std::string& email, const std::string& upstream,
              const std::string& user, const std::string& ca_file, bool password_stdin);
int BridgeList(const std::string& data);
int BridgeDel(const std::string& data, const std::string& email);

}  // namespace pushmail::exe
