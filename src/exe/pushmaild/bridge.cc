// pushmaild bridge add|list|del: the bridged accounts of a data folder (DATA/bridges.json).
// A running server reads the file when it starts.
#include "bridge/bridge.h"

#include <iostream>

#include "base/strings.h"
#include "exe/pushmaild/commands.h"

namespace pushmail::exe {
int BridgeAdd(const std::string& data, const std::string& email, const std::string& upstream,
              const std::string& user, const std::string& ca_file, bool password_stdin) {
  if (!bridge::ParseUpstreamUrl(upstream)) {
    std::cerr << "pushmaild: --upstream must be imap://HOST:PORT or imaps://HOST:PORT\n";
    return 2;
  }
  auto store = OpenStore(data, false);
  if (!store) return 1;
  auto account = store->FindAccount(email);
  if (!account) {
    std::cerr << "pushmaild: no local account " << email << " (pushmaild user add it first)\n";
    return 1;
  }
  auto entries = bridge::LoadBridges(data);
  if (!entries) {
    std::cerr << "pushmaild: cannot read " << data << "/bridges.json\n";
    return 1;
  }
  for (const auto& e : *entries) {
    if (EqualsIgnoreCase(e.account, account->login)) {
      std::cerr << "pushmaild: " << email << " is bridged already (bridge del it first)\n";
      return 1;
    }
  }
  auto password = ReadPassword(password_stdin);
  if (!password) return 1;
  entries->push_back({account->login, upstream, user, *password, ca_file});
  if (auto ec = bridge::SaveBridges(data, *entries)) {
    std::cerr << "pushmaild: cannot write " << data << "/bridges.json: " << ec.message() << "\n";
    return 1;
  }
  std::cout << "bridged " << account->login << " <- " << upstream << " as " << user
            << " (a running server picks it up when restarted)\n";
  return 0;
}

int BridgeList(const std::string& data) {
  auto entries = bridge::LoadBridges(data);
  if (!entries) {
    std::cerr << "pushmaild: cannot read " << data << "/bridges.json\n";
    return 1;
  }
  auto states = bridge::LoadBridgeStates(data);
  for (const auto& e : *entries) {
    std::string state = "not started";  // no server has run it (yet)
    if (states) {
      if (auto it = states->find(e.account); it != states->end()) state = it->second;
    }
    std::cout << e.account << " " << e.upstream << " " << e.user << " " << state << "\n";
  }
  return 0;
}

int BridgeDel(const std::string& data, const std::string& email) {
  auto entries = bridge::LoadBridges(data);
  if (!entries) {
    std::cerr << "pushmaild: cannot read " << data << "/bridges.json\n";
    return 1;
  }
  auto it = std::find_if(entries->begin(), entries->end(),
                         [&email](const auto& e) { return EqualsIgnoreCase(e.account, email); });
  if (it == entries->end()) {
    std::cerr << "pushmaild: " << email << " is not bridged\n";
    return 1;
  }
  entries->erase(it);
  if (auto ec = bridge::SaveBridges(data, *entries)) {
    std::cerr << "pushmaild: cannot write " << data << "/bridges.json: " << ec.message() << "\n";
    return 1;
  }
  std::cout << "unbridged " << email << " (its mirrored mail stays in the account)\n";
  return 0;
}

}  // namespace pushmail::exe
