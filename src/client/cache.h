#pragma once
// The offline cache: SQLite under the XDG data folder, filled by `pushmail sync`, read by `ls`
// and `read` when the server cannot be reached. It holds the mailboxes, each email's Email/get
// JSON and, once fetched, its raw octets. One cache per login (server and user); a cache made
// for another login is emptied when opened for this one. Blocking; one thread at a time.
// Failures throw client::Failure (kLocal).

#include <boost/json/object.hpp>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "client/config.h"
#include "client/mail.h"
#include "sqlite/sqlite.h"

namespace pushmail::client {

// Whose cache it is: the login's server and user.
std::string CacheOwner(const Login& login);

class Cache {
 public:
  static std::string DefaultPath();  // DataDir()/cache.db
  // Opens the cache; `create` false returns nullopt when there is none yet.
  static std::optional<Cache> Open(const std::string& path, const std::string& owner, bool create);

  void Begin();
  void Commit();

  void SaveMailboxes(const std::vector<MailboxInfo>& boxes);
  std::vector<MailboxInfo> Mailboxes();

  void SaveEmail(const boost::json::object& email);  // the Email/get JSON, with id
  void RemoveEmail(const std::string& id);
  std::set<std::string> EmailIds();
  // Newest first.
  std::vector<boost::json::object> Emails();
  std::optional<boost::json::object> Email(const std::string& id);

  void SaveRaw(const std::string& id, std::string_view raw);
  bool HasRaw(const std::string& id);
  std::optional<std::string> Raw(const std::string& id);

  std::string Meta(const std::string& key);
  void SetMeta(const std::string& key, const std::string& value);

 private:
  explicit Cache(sqlite::Db db) : db_(std::move(db)) {}
  void Exec(std::string_view sql);
  void Check(ErrorCode ec);

  sqlite::Db db_;
};

}  // namespace pushmail::client
