#include "client/jmap_client.h"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "client/error.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

std::string Replace(std::string text, std::string_view name, std::string_view value) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at)) {
    text.replace(at, name.size(), value);
    at += value.size();
  }
  return text;
}

// Percent-encodes what may not stand in a path segment or query value.
std::string Escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

json::value ParseJson(const HttpResponse& response, const std::string& what) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  if (ec) {
    throw Failure(FailureKind::kServer, what + ": the server's answer is not JSON (HTTP " +
                                            std::to_string(response.status) + ")");
  }
  return v;
}

[[noreturn]] void HttpProblem(const HttpResponse& response, const std::string& what) {
  boost::system::error_code ec;
  json::value v = json::parse(response.body, ec);
  std::string detail;
  if (!ec && v.is_object()) detail = Str(v.as_object(), "detail");
  throw Failure(FailureKind::kServer, what + " failed: HTTP " + std::to_string(response.status) +
                                          (detail.empty() ? "" : ": " + detail));
}

}  // namespace

std::string Str(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

std::string PathOf(std::string_view url) {
  if (auto scheme = url.find("://"); scheme != std::string_view::npos) {
    auto slash = url.find('/', scheme + 3);
    return slash == std::string_view::npos ? "/" : std::string(url.substr(slash));
  }
  return std::string(url);
}

JmapClient::JmapClient(const Login& login) : login_(login), connection_(login.server) {
  connection_.SetBearer(login.token);
}

void JmapClient::TokenRefused() const {
  throw Failure(FailureKind::kAuth,
                "the server refused the stored token (expired or revoked): "
                "log in again with `pushmail login " +
                    login_.server.url + " --user " + login_.user + "`");
}

const SessionInfo& JmapClient::session() {
  if (session_) return *session_;
  HttpResponse r = connection_.Request("GET", "/.well-known/jmap");
  if (r.status == 401) TokenRefused();
  if (r.status != 200) HttpProblem(r, "reading the JMAP session");
  json::value v = ParseJson(r, "reading the JMAP session");
  auto info = std::make_unique<SessionInfo>();
  const json::object* o = v.if_object();
  const json::object* primary = nullptr;
  if (o) {
    if (const auto* p = o->if_contains("primaryAccounts")) primary = p->if_object();
  }
  if (!primary || Str(*primary, kMail).empty()) {
    throw Failure(FailureKind::kServer, "the JMAP session names no mail account");
  }
  info->account_id = Str(*primary, kMail);
  info->api_path = PathOf(Str(*o, "apiUrl"));
  info->download_path = PathOf(Str(*o, "downloadUrl"));
  info->upload_path = PathOf(Str(*o, "uploadUrl"));
  info->event_source_path = PathOf(Str(*o, "eventSourceUrl"));
  if (const auto* caps = o->if_contains("capabilities"); caps && caps->is_object()) {
    if (const auto* ws = caps->as_object().if_contains(kWebSocket); ws && ws->is_object()) {
      const auto* push = ws->as_object().if_contains("supportsPush");
      if (push && push->is_bool() && push->get_bool()) {
        info->websocket_path = PathOf(Str(ws->as_object(), "url"));
      }
    }
  }
  session_ = std::move(info);
  return *session_;
}

json::array JmapClient::Call(json::array calls) {
  const std::string& account = account_id();
  for (auto& call : calls) {
    auto& args = call.as_array().at(1).as_object();
    if (!args.contains("accountId")) args["accountId"] = account;
  }
  json::object request{{"using", json::array{kCore, kMail, kSubmission}},
                       {"methodCalls", std::move(calls)}};
  HttpResponse r =
      connection_.Request("POST", session().api_path, json::serialize(request), "application/json");
  if (r.status == 401) TokenRefused();
  if (r.status != 200) HttpProblem(r, "the JMAP request");
  json::value v = ParseJson(r, "the JMAP request");
  const auto* responses = v.is_object() ? v.as_object().if_contains("methodResponses") : nullptr;
  if (!responses || !responses->is_array()) {
    throw Failure(FailureKind::kServer, "the JMAP answer has no methodResponses");
  }
  return responses->as_array();
}

const json::object& Response(const json::array& responses, std::string_view call_id) {
  for (const auto& r : responses) {
    const auto* triple = r.if_array();
    if (!triple || triple->size() != 3 || !(*triple)[2].is_string() ||
        (*triple)[2].get_string() != call_id || !(*triple)[1].is_object()) {
      continue;
    }
    const json::object& args = (*triple)[1].as_object();
    if ((*triple)[0].is_string() && (*triple)[0].get_string() == "error") {
      std::string type = Str(args, "type"), description = Str(args, "description");
      throw Failure(type == "notFound" ? FailureKind::kNotFound : FailureKind::kServer,
                    "the server said " + type + (description.empty() ? "" : ": " + description));
    }
    return args;
  }
  throw Failure(FailureKind::kServer,
                "the JMAP answer lacks the response to " + std::string(call_id));
}

json::object JmapClient::CallOne(std::string_view name, json::object arguments) {
  json::array calls{json::array{name, std::move(arguments), "0"}};
  json::array responses = Call(std::move(calls));
  return Response(responses, "0");
}

std::string JmapClient::Upload(std::string_view octets, std::string_view type) {
  std::string path = Replace(session().upload_path, "{accountId}", Escape(account_id()));
  HttpResponse r = connection_.Request("POST", path, octets, type);
  if (r.status == 401) TokenRefused();
  if (r.status != 200 && r.status != 201) HttpProblem(r, "the upload");
  json::value v = ParseJson(r, "the upload");
  std::string blob = v.is_object() ? Str(v.as_object(), "blobId") : std::string();
  if (blob.empty()) throw Failure(FailureKind::kServer, "the upload answer has no blobId");
  return blob;
}

std::string JmapClient::Download(std::string_view blob_id, std::string_view type) {
  std::string path = session().download_path;
  path = Replace(path, "{accountId}", Escape(account_id()));
  path = Replace(path, "{blobId}", Escape(blob_id));
  path = Replace(path, "{name}", "blob");
  path = Replace(path, "{type}", Escape(type));
  HttpResponse r = connection_.Request("GET", path);
  if (r.status == 401) TokenRefused();
  if (r.status == 404) {
    throw Failure(FailureKind::kNotFound, "no blob " + std::string(blob_id) + " on the server");
  }
  if (r.status != 200) HttpProblem(r, "the download");
  return std::move(r.body);
}

}  // namespace pushmail::client
