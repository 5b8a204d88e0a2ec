#include "jmap/push.h"

#include <boost/json.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <charconv>

#include "jmap/ids.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

std::optional<std::vector<std::string>> ParseTypes(std::string_view text) {
  std::vector<std::string> out;
  if (text == "*") return out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = std::min(text.find(',', start), text.size());
    std::string_view name = text.substr(start, comma - start);
    if (name.empty() || name.size() > 64) return std::nullopt;
    for (char c : name) {
      if (!std::isalnum(static_cast<unsigned char>(c))) return std::nullopt;
    }
    out.emplace_back(name);
    start = comma + 1;
  }
  return out;
}

// In the order a StateChange lists them.
struct PushedType {
  store::DataType type;
  std::string_view name;
  store::ModSeq store::StateChange::*state;
};
constexpr PushedType kPushedTypes[] = {
    {store::DataType::kMailbox, "Mailbox", &store::StateChange::mailbox_state},
    {store::DataType::kEmail, "Email", &store::StateChange::email_state},
    {store::DataType::kThread, "Thread", &store::StateChange::thread_state},
    {store::DataType::kIdentity, "Identity", &store::StateChange::identity_state},
    {store::DataType::kEmailSubmission, "EmailSubmission", &store::StateChange::submission_state},
    {store::DataType::kVacationResponse, "VacationResponse", &store::StateChange::vacation_state},
};

}  // namespace

store::DataTypes DataTypesNamed(const std::vector<std::string>& names) {
  store::DataTypes out = 0;
  for (const auto& t : kPushedTypes) {
    if (std::find(names.begin(), names.end(), t.name) != names.end()) out |= store::Bit(t.type);
  }
  return out;
}

std::optional<EventSourceOptions> ParseEventSourceQuery(std::string_view query,
                                                        std::chrono::seconds ping_min,
                                                        std::chrono::seconds ping_max) {
  auto params = boost::urls::parse_query(query);
  if (!params) return std::nullopt;
  std::optional<std::string> types, closeafter, ping;
  for (auto param : boost::urls::params_view(*params)) {
    std::optional<std::string>* slot = param.key == "types"        ? &types
                                       : param.key == "closeafter" ? &closeafter
                                       : param.key == "ping"       ? &ping
                                                                   : nullptr;
    if (!slot) continue;             // unknown parameters are ignored
    if (*slot) return std::nullopt;  // given twice
    *slot = std::string(param.value);
  }
  if (!types || !closeafter || !ping) return std::nullopt;
  EventSourceOptions out;
  auto list = ParseTypes(*types);
  if (!list) return std::nullopt;
  out.types = list->empty() ? kAllDataTypes : DataTypesNamed(*list);
  if (*closeafter != "state" && *closeafter != "no") return std::nullopt;
  out.close_after_state = *closeafter == "state";
  unsigned seconds = 0;
  auto [end, ec] = std::from_chars(ping->data(), ping->data() + ping->size(), seconds);
  if (ping->empty() || ec != std::errc() || end != ping->data() + ping->size()) {
    return std::nullopt;
  }
  if (seconds > 0) {
    out.ping = std::clamp(std::chrono::seconds(seconds), ping_min, ping_max);
  }
  return out;
}

std::string StateChangeJson(const store::StateChange& change, store::DataTypes wanted,
                            bool all_types) {
  json::object out = StateChangeObject(change, wanted, all_types);
  return out.empty() ? std::string() : json::serialize(out);
}

json::object StateChangeObject(const store::StateChange& change, store::DataTypes wanted,
                               bool all_types) {
  json::object states;
  store::DataTypes listed = wanted & (all_types ? kAllDataTypes : change.changed);
  for (const auto& t : kPushedTypes) {
    if (listed & store::Bit(t.type)) states[t.name] = StateString(change.*t.state);
  }
  if (states.empty()) return {};
  std::string account = AccountJmapId(change.account);
  return {{"@type", "StateChange"},
          {"changed", json::object{{account, std::move(states)}}},
          {"pushSeq", json::object{{account, change.push_seq}}}};
}

std::string StateEvent(std::string_view state_change_json) {
  std::string out = "event: state\ndata: ";
  out += state_change_json;
  out += "\n\n";
  return out;
}

std::string PingEvent(std::chrono::seconds interval) {
  return "event: ping\ndata: {\"interval\":" + std::to_string(interval.count()) + "}\n\n";
}

}  // namespace pushmail::jmap
