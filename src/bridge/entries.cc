// DATA/bridges.json: the configured bridges, upstream passwords included, readable only by the
// server's user; DATA/bridges.state: what the running server says of each.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>

#include "bridge/bridge.h"

namespace pushmail::bridge {
namespace {

std::string FilePath(const std::string& data) { return data + "/bridges.json"; }
std::string StatePath(const std::string& data) { return data + "/bridges.state"; }

// Writes `text` to a temporary file (mode 0600) renamed over `path`; `durable`: fsynced first.
ErrorCode WriteAtomically(const std::string& path, const std::string& text, bool durable) {
  std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return MakeError(Errc::kIo);
  bool ok = ::fchmod(fd, 0600) == 0 &&
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
            (!durable || ::fsync(fd) == 0);
  ok = ::close(fd) == 0 && ok;
  if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return MakeError(Errc::kIo);
  }
  return {};
}

// The JSON object in `path`; nullopt when there is no such file. Errors: the file cannot be
// read, or does not hold a JSON object.
Result<std::optional<boost::json::object>> ReadObject(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    if (errno == ENOENT) return std::nullopt;
    return MakeError(Errc::kIo);
  }
  std::stringstream text;
  text << in.rdbuf();
  boost::system::error_code ec;
  auto json = boost::json::parse(text.str(), ec);
  if (ec || !json.is_object()) return MakeError(Errc::kInvalidArgument);
  return std::optional(std::move(json.as_object()));
}

std::string Field(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

Result<std::vector<BridgeEntry>> LoadBridges(const std::string& data) {
  std::vector<BridgeEntry> out;
  auto json = ReadObject(FilePath(data));
  if (!json) return json.error();
  if (!*json) return out;  // no file: no bridges
  const auto* list = (*json)->if_contains("bridges");
  if (list == nullptr || !list->is_array()) return MakeError(Errc::kInvalidArgument);
  for (const auto& v : list->as_array()) {
    if (!v.is_object()) return MakeError(Errc::kInvalidArgument);
    const auto& o = v.as_object();
    out.push_back({Field(o, "account"), Field(o, "upstream"), Field(o, "user"),
                   Field(o, "password"), Field(o, "ca_file")});
  }
  return out;
}

ErrorCode SaveBridges(const std::string& data, const std::vector<BridgeEntry>& entries) {
  boost::json::array list;
  for (const auto& e : entries) {
    boost::json::object o;
    o["account"] = e.account;
    o["upstream"] = e.upstream;
    o["user"] = e.user;
    o["password"] = e.password;
    if (!e.ca_file.empty()) o["ca_file"] = e.ca_file;
    list.push_back(std::move(o));
  }
  std::string text = boost::json::serialize(boost::json::object{{"bridges", list}}) + "\n";
  return WriteAtomically(FilePath(data), text, true);
}

Result<std::map<std::string, std::string>> LoadBridgeStates(const std::string& data) {
  std::map<std::string, std::string> out;
  auto json = ReadObject(StatePath(data));
  if (!json) return json.error();
  if (!*json) return out;  // no file: no states
  for (const auto& [account, state] : **json) {
    if (state.is_string()) out[std::string(account)] = std::string(state.as_string());
  }
  return out;
}

ErrorCode SaveBridgeStates(const std::string& data,
                           const std::map<std::string, std::string>& states) {
  boost::json::object o;
  for (const auto& [account, state] : states) o[account] = state;
  return WriteAtomically(StatePath(data), boost::json::serialize(o) + "\n", false);
}

}  // namespace pushmail::bridge
