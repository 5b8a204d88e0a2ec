// pushmaild user/export/import: administration on the data folder. These run beside a live
// server safely (SQLite WAL); see docs/architecture.md for what a running server hears of them.
#include <termios.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "base/clock.h"
#include "base/log.h"
#include "base/strings.h"
#include "exe/pushmaild/commands.h"
#include "mime/mime.h"
#include "store/store.h"

namespace pushmail::exe {

std::unique_ptr<store::Store> OpenStore(const std::string& data, bool create) {
  if (!create && !std::filesystem::exists(StorePath(data))) {
    std::cerr << "pushmaild: no store in " << data << " (run `pushmaild serve` or "
              << "`pushmaild user add` there first)\n";
    return nullptr;
  }
  std::error_code ec;
  std::filesystem::create_directories(data, ec);
  std::filesystem::permissions(data, std::filesystem::perms::owner_all, ec);
  auto s = store::Store::Open({StorePath(data)});
  if (!s) {
    std::cerr << "pushmaild: cannot open the store in " << data << ": " << s.error().message()
              << "\n";
    return nullptr;
  }
  return std::move(*s);
}

// Lower-cases the address and checks its shape: local@domain, printable, <= 254 octets.
std::optional<std::string> NormaliseAddress(const std::string& email) {
  size_t at = email.find('@');
  if (at == 0 || at == std::string::npos || at + 1 == email.size() || email.size() > 254 ||
      email.find('@', at + 1) != std::string::npos) {
    return std::nullopt;
  }
  std::string out;
  for (unsigned char c : email) {
    if (c <= ' ' || c == 0x7f || c == '<' || c == '>') return std::nullopt;
    out += AsciiLower(static_cast<char>(c));
  }
  return out;
}

std::optional<std::string> ReadPassword(bool from_stdin) {
  std::string password;
  if (from_stdin) {
    if (!std::getline(std::cin, password)) return std::nullopt;
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
  }
  if (!isatty(STDIN_FILENO)) {
    std::cerr << "pushmaild: no terminal to ask for a password: use --password-stdin\n";
    return std::nullopt;
  }
  termios old{};
  tcgetattr(STDIN_FILENO, &old);
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  std::string again;
  std::cerr << "Password: ";
  tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  std::getline(std::cin, password);
  std::cerr << "\nAgain: ";
  std::getline(std::cin, again);
  tcsetattr(STDIN_FILENO, TCSANOW, &old);
  std::cerr << "\n";
  if (password != again) {
    std::cerr << "pushmaild: the passwords differ\n";
    return std::nullopt;
  }
  return password;
}

namespace {

std::optional<std::string> ReadNewPassword(bool from_stdin) {
  auto password = ReadPassword(from_stdin);
  if (password && password->empty()) {
    std::cerr << "pushmaild: empty password refused\n";
    return std::nullopt;
  }
  return password;
}

int Fail(const std::string& what, ErrorCode ec) {
  std::cerr << "pushmaild: " << what << ": " << ec.message() << "\n";
  return 1;
}

}  // namespace

std::string StorePath(const std::string& data) { return data + "/pushmail.db"; }

int UserAdd(const std::string& data, const std::vector<std::string>& emails, bool password_stdin,
            store::HashCost cost) {
  std::vector<std::string> addresses;
  for (const auto& email : emails) {
    auto address = NormaliseAddress(email);
    if (!address) {
      std::cerr << "pushmaild: '" << email << "' is not an email address\n";
      return 2;
    }
    addresses.push_back(std::move(*address));
  }
  auto password = ReadNewPassword(password_stdin);
  if (!password) return 2;
  auto s = OpenStore(data, true);
  if (!s) return 1;
  std::string taken;
  auto ids = s->CreateAccounts(addresses, *password, cost, &taken);
  if (!ids) {
    std::string none = addresses.size() > 1 ? "; none added" : "";
    if (ids.error() == MakeError(Errc::kAlreadyExists)) {
      std::cerr << "pushmaild: " << taken << " already exists" << none << "\n";
      return 1;
    }
    return Fail("cannot add " + addresses.front() + none, ids.error());
  }
  for (const auto& address : addresses) std::cout << "added " << address << "\n";
  return 0;
}

int UserDel(const std::string& data, const std::string& email) {
  auto s = OpenStore(data, false);
  if (!s) return 1;
  if (auto ec = s->DeleteAccount(email)) {
    if (ec == MakeError(Errc::kNotFound)) {
      std::cerr << "pushmaild: no account " << email << "\n";
      return 1;
    }
    return Fail("cannot delete " + email, ec);
  }
  std::cout << "deleted " << email << "\n";
  return 0;
}

int UserList(const std::string& data) {
  auto s = OpenStore(data, false);
  if (!s) return 1;
  auto accounts = s->ListAccounts();
  if (!accounts) return Fail("cannot list accounts", accounts.error());
  for (const auto& a : *accounts) std::cout << a.login << "\n";
  return 0;
}

int UserPasswd(const std::string& data, const std::string& email, bool password_stdin,
               store::HashCost cost) {
  auto s = OpenStore(data, false);
  if (!s) return 1;
  if (!s->FindAccount(email)) {
    std::cerr << "pushmaild: no account " << email << "\n";
    return 1;
  }
  auto password = ReadNewPassword(password_stdin);
  if (!password) return 2;
  if (auto ec = s->SetPassword(email, *password, cost)) return Fail("cannot set password", ec);
  std::cout << "password changed for " << email << "\n";
  return 0;
}

int Export(const std::string& data, const std::string& email,
           const std::optional<std::string>& mailbox) {
  auto s = OpenStore(data, false);
  if (!s) return 1;
  auto account = s->FindAccount(email);
  if (!account) {
    std::cerr << "pushmaild: no account " << email << "\n";
    return 1;
  }
  std::optional<store::MailboxId> box;
  if (mailbox) {
    auto found = s->FindMailbox(account->id, *mailbox);
    if (!found) {
      std::cerr << "pushmaild: " << email << " has no mailbox '" << *mailbox << "'\n";
      return 1;
    }
    box = found->id;
  }
  auto ec = s->ForEachMessage(account->id, box, [](const store::StoredMessage& m) {
    std::string entry = store::MboxrdEntry(store::EnvelopeSender(m.bytes), m.received_at, m.bytes);
    std::cout.write(entry.data(), static_cast<std::streamsize>(entry.size()));
  });
  std::cout.flush();
  if (ec) return Fail("export failed", ec);
  return std::cout ? 0 : 1;
}

int Import(const std::string& data, const std::string& email, const std::string& file) {
  auto s = OpenStore(data, false);
  if (!s) return 1;
  auto account = s->FindAccount(email);
  if (!account) {
    std::cerr << "pushmaild: no account " << email << "\n";
    return 1;
  }
  std::ifstream in(file, std::ios::binary);
  std::stringstream contents;
  contents << in.rdbuf();
  if (!in) {
    std::cerr << "pushmaild: cannot read " << file << "\n";
    return 1;
  }
  std::string text = contents.str();
  store::MboxReader reader(text);
  size_t count = 0;
  while (auto m = reader.Next()) {
    store::Incoming incoming;
    incoming.summary = mime::Parse(m->bytes);
    incoming.message = std::move(m->bytes);
    incoming.received_at = m->when.value_or(UnixNow());
    incoming.recipients = {account->id};
    auto r = s->DeliverSync(std::move(incoming));
    if (!r) return Fail("import stopped after " + std::to_string(count) + " messages", r.error());
    ++count;
  }
  std::cout << "imported " << count << " messages into " << email << "\n";
  return 0;
}

}  // namespace pushmail::exe
