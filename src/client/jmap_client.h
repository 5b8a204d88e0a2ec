#pragma once
// JMAP (RFC 8620, 8621) over a Connection: the session resource, method calls, blob upload and
// download. Blocking, not thread-safe. Failures throw client::Failure; a refused token is kAuth
// with a message that says to log in again.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "client/config.h"
#include "client/connection.h"

namespace pushmail::client {

inline constexpr std::string_view kCore = "urn:ietf:params:jmap:core";
inline constexpr std::string_view kMail = "urn:ietf:params:jmap:mail";
inline constexpr std::string_view kSubmission = "urn:ietf:params:jmap:submission";
inline constexpr std::string_view kWebSocket = "urn:ietf:params:jmap:websocket";

// What the session resource says, paths only (the origin is the login's).
struct SessionInfo {
  std::string account_id;
  std::string api_path = "/jmap/api";
  std::string download_path;   // with {accountId} {blobId} {name} {type}
  std::string upload_path;     // with {accountId}
  std::string websocket_path;  // empty: no WebSocket push
  std::string event_source_path;
};

class JmapClient {
 public:
  explicit JmapClient(const Login& login);

  const Login& login() const { return login_; }
  Connection& connection() { return connection_; }
  // Fetched at the first call that needs it.
  const SessionInfo& session();
  const std::string& account_id() { return session().account_id; }

  // Runs `calls` ([name, arguments, callId] triples; arguments without accountId get it) and
  // returns the method responses.
  boost::json::array Call(boost::json::array calls);
  // One method; its response arguments. An error response throws: kNotFound for notFound,
  // kServer for the rest.
  boost::json::object CallOne(std::string_view name, boost::json::object arguments);

  std::string Upload(std::string_view octets, std::string_view type);  // the blob id
  std::string Download(std::string_view blob_id, std::string_view type);

  // kAuth Failure for a 401, with what to do.
  [[noreturn]] void TokenRefused() const;

 private:
  Login login_;
  Connection connection_;
  std::unique_ptr<SessionInfo> session_;
};

// The response of `call_id` among `responses`, checked as CallOne checks it.
const boost::json::object& Response(const boost::json::array& responses, std::string_view call_id);
// `o[key]` as a string, or "" when absent or not a string.
std::string Str(const boost::json::object& o, std::string_view key);
// The path and query of an absolute or relative URL.
std::string PathOf(std::string_view url);

}  // namespace pushmail::client
