#include "client/cache.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <filesystem>

#include "client/config.h"
#include "client/error.h"
#include "client/jmap_client.h"

namespace pushmail::client {

namespace json = boost::json;
using sqlite::Db;
using sqlite::Statement;

namespace {

constexpr std::string_view kSchema = R"(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailboxes(id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
  total INTEGER NOT NULL, unread INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS emails(id TEXT PRIMARY KEY, received_at TEXT NOT NULL,
  json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS emails_by_time ON emails(received_at);
CREATE TABLE IF NOT EXISTS bodies(id TEXT PRIMARY KEY, raw BLOB NOT NULL);
)";

std::optional<json::object> ParseObject(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.as_object());
}

}  // namespace

std::string CacheOwner(const Login& login) { return login.server.url + " " + login.user; }

std::string Cache::DefaultPath() { return DataDir() + "/cache.db"; }

std::optional<Cache> Cache::Open(const std::string& path, const std::string& owner, bool create) {
  if (!create && !std::filesystem::exists(path)) return std::nullopt;
  std::error_code fs_error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), fs_error);
  auto db = Db::Open(path, true);
  if (!db) {
    throw Failure(FailureKind::kLocal,
                  "cannot open the cache " + path + ": " + db.error().message());
  }
  Cache cache(std::move(*db));
  cache.Exec(kSchema);
  if (cache.Meta("owner") != owner) {
    cache.Exec("DELETE FROM mailboxes; DELETE FROM emails; DELETE FROM bodies; DELETE FROM meta;");
    cache.SetMeta("owner", owner);
  }
  return cache;
}

void Cache::Check(ErrorCode ec) {
  if (ec) throw Failure(FailureKind::kLocal, "the cache: " + db_.LastError());
}

void Cache::Exec(std::string_view sql) { Check(db_.Exec(sql)); }
void Cache::Begin() { Exec("BEGIN IMMEDIATE"); }
void Cache::Commit() { Exec("COMMIT"); }

void Cache::SaveMailboxes(const std::vector<MailboxInfo>& boxes) {
  Exec("DELETE FROM mailboxes");
  Statement s = db_.Prepare("INSERT INTO mailboxes VALUES (?, ?, ?, ?, ?)");
  for (const auto& b : boxes) {
    s.Bind(1, b.id).Bind(2, b.name).Bind(3, b.role).Bind(4, b.total).Bind(5, b.unread);
    Check(s.Run());
    s.Reset();
  }
}

std::vector<MailboxInfo> Cache::Mailboxes() {
  std::vector<MailboxInfo> out;
  Statement s = db_.Prepare("SELECT id, name, role, total, unread FROM mailboxes ORDER BY name");
  for (auto row = s.Step(); row && *row; row = s.Step()) {
    out.push_back({std::string(s.Text(0)), std::string(s.Text(1)), std::string(s.Text(2)), s.Int(3),
                   s.Int(4)});
  }
  return out;
}

void Cache::SaveEmail(const json::object& email) {
  Statement s = db_.Prepare("INSERT OR REPLACE INTO emails VALUES (?, ?, ?)");
  s.Bind(1, Str(email, "id")).Bind(2, Str(email, "receivedAt")).Bind(3, json::serialize(email));
  Check(s.Run());
}

void Cache::RemoveEmail(const std::string& id) {
  for (const char* sql : {"DELETE FROM emails WHERE id = ?", "DELETE FROM bodies WHERE id = ?"}) {
    Statement s = db_.Prepare(sql);
    s.Bind(1, id);
    Check(s.Run());
  }
}

std::set<std::string> Cache::EmailIds() {
  std::set<std::string> out;
  Statement s = db_.Prepare("SELECT id FROM emails");
  for (auto row = s.Step(); row && *row; row = s.Step()) out.emplace(s.Text(0));
  return out;
}

std::vector<json::object> Cache::Emails() {
  std::vector<json::object> out;
  Statement s = db_.Prepare("SELECT json FROM emails ORDER BY received_at DESC, id DESC");
  for (auto row = s.Step(); row && *row; row = s.Step()) {
    if (auto o = ParseObject(s.Text(0))) out.push_back(std::move(*o));
  }
  return out;
}

std::optional<json::object> Cache::Email(const std::string& id) {
  Statement s = db_.Prepare("SELECT json FROM emails WHERE id = ?");
  s.Bind(1, id);
  auto row = s.Step();
  if (!row || !*row) return std::nullopt;
  return ParseObject(s.Text(0));
}

void Cache::SaveRaw(const std::string& id, std::string_view raw) {
  Statement s = db_.Prepare("INSERT OR REPLACE INTO bodies VALUES (?, ?)");
  s.Bind(1, id).BindBlob(2, raw);
  Check(s.Run());
}

bool Cache::HasRaw(const std::string& id) {
  Statement s = db_.Prepare("SELECT 1 FROM bodies WHERE id = ?");
  s.Bind(1, id);
  auto row = s.Step();
  return row && *row;
}

std::optional<std::string> Cache::Raw(const std::string& id) {
  Statement s = db_.Prepare("SELECT raw FROM bodies WHERE id = ?");
  s.Bind(1, id);
  auto row = s.Step();
  if (!row || !*row) return std::nullopt;
  return std::string(s.Blob(0));
}

std::string Cache::Meta(const std::string& key) {
  Statement s = db_.Prepare("SELECT value FROM meta WHERE key = ?");
  s.Bind(1, key);
  auto row = s.Step();
  return row && *row ? std::string(s.Text(0)) : std::string();
}

void Cache::SetMeta(const std::string& key, const std::string& value) {
  Statement s = db_.Prepare("INSERT OR REPLACE INTO meta VALUES (?, ?)");
  s.Bind(1, key).Bind(2, value);
  Check(s.Run());
}

}  // namespace pushmail::client
