#include "jmap/websocket.h"

#include <boost/json/parse.hpp>
#include <boost/json/parse_options.hpp>
#include <boost/json/serialize.hpp>
#include <charconv>
#include <limits>

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

std::optional<std::string> ReadId(const json::object& o, bool& bad) {
  const auto* id = o.if_contains("id");
  if (!id || id->is_null()) return std::nullopt;
  if (!id->is_string()) {
    bad = true;
    return std::nullopt;
  }
  return std::string(id->get_string());
}

WsMessage ReadPushEnable(const json::object& o) {
  WsPushEnable out;
  if (const auto* types = o.if_contains("dataTypes"); types && !types->is_null()) {
    if (!types->is_array()) return WsBad{NotRequest("'dataTypes' must be an array or null"), {}};
    std::string list;
    for (const auto& t : types->get_array()) {
      if (!t.is_string()) return WsBad{NotRequest("'dataTypes' must hold strings"), {}};
      list += (list.empty() ? "" : ",") + std::string(t.get_string());
    }
    // The same names the event source's "types" takes, checked by its parser.
    auto parsed =
        ParseEventSourceQuery("types=" + (list.empty() ? "*" : list) + "&closeafter=no&ping=0",
                              std::chrono::seconds(0), std::chrono::seconds(0));
    if (!parsed) return WsBad{NotRequest("'dataTypes' holds a malformed type name"), {}};
    out.types = list.empty() ? store::DataTypes(0) : parsed->types;
  }
  if (const auto* state = o.if_contains("pushState"); state && !state->is_null()) {
    if (!state->is_string()) return WsBad{NotRequest("'pushState' must be a string"), {}};
    out.push_state = std::string(state->get_string());
  }
  return out;
}

}  // namespace

WsMessage ParseWsMessage(std::string_view text, unsigned max_depth) {
  json::parse_options options;
  options.max_depth = max_depth;
  boost::system::error_code ec;
  json::value root = json::parse(text, ec, {}, options);
  if (ec) return WsBad{NotJson("the message is not valid I-JSON: " + ec.message()), {}};
  const auto* top = root.if_object();
  if (!top) return WsBad{NotRequest("the message must be a JSON object"), {}};
  bool bad_id = false;
  auto id = ReadId(*top, bad_id);
  if (bad_id) return WsBad{NotRequest("'id' must be a string"), {}};
  const auto* type = top->if_contains("@type");
  if (!type || !type->is_string()) {
    return WsBad{NotRequest("the message needs an '@type'"), id};
  }
  std::string_view name = type->get_string();
  if (name == "Request") return WsRequest{id};
  if (name == "WebSocketPushEnable") return ReadPushEnable(*top);
  if (name == "WebSocketPushDisable") return WsPushDisable{};
  return WsBad{NotRequest("unknown '@type' '" + std::string(name) + "'"), id};
}

std::string WsResponse(std::variant<json::object, RequestError> answer,
                       const std::optional<std::string>& id) {
  json::object out;
  if (auto* error = std::get_if<RequestError>(&answer)) {
    out = error->ToJson();
    out["@type"] = "RequestError";
  } else {
    out = std::move(std::get<json::object>(answer));
    out["@type"] = "Response";
  }
  if (id) out["requestId"] = *id;
  return json::serialize(out);
}

std::string PushState(const store::StateChange& now) {
  return std::to_string(now.push_seq) + "." + std::to_string(now.mailbox_state) + "." +
         std::to_string(now.email_state) + "." + std::to_string(now.thread_state);
}

std::optional<store::StateChange> ParsePushState(std::string_view text) {
  uint64_t values[4] = {};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (int i = 0; i < 4; ++i) {
    if (i > 0) {
      if (p == end || *p != '.') return std::nullopt;
      ++p;
    }
    auto [next, ec] = std::from_chars(p, end, values[i]);
    if (ec != std::errc() || next == p) return std::nullopt;
    p = next;
  }
  if (p != end) return std::nullopt;
  // States are modseqs, which never pass INT64_MAX: a larger one is not a state we gave out.
  constexpr auto kMaxState = static_cast<uint64_t>(std::numeric_limits<store::ModSeq>::max());
  if (values[1] > kMaxState || values[2] > kMaxState || values[3] > kMaxState) return std::nullopt;
  store::StateChange out;
  out.push_seq = values[0];
  out.mailbox_state = static_cast<store::ModSeq>(values[1]);
  out.email_state = static_cast<store::ModSeq>(values[2]);
  out.thread_state = static_cast<store::ModSeq>(values[3]);
  return out;
}

store::DataTypes ChangedSince(const store::StateChange& then, const store::StateChange& now) {
  store::DataTypes changed = 0;
  if (then.mailbox_state != now.mailbox_state) changed |= store::Bit(store::DataType::kMailbox);
  if (then.email_state != now.email_state) changed |= store::Bit(store::DataType::kEmail);
  if (then.thread_state != now.thread_state) changed |= store::Bit(store::DataType::kThread);
  return changed;
}

std::string WsStateChange(const store::StateChange& change, store::DataTypes wanted) {
  json::object out = StateChangeObject(change, wanted);
  if (out.empty()) return {};
  out["pushState"] = PushState(change);
  return json::serialize(out);
}

}  // namespace pushmail::jmap
