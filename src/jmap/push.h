#pragma once
// Push over EventSource (RFC 8620 7.3): the query of the event source URL and the events
// written to the stream. Pure.

#include <boost/json/object.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace pushmail::jmap {

// Every data type ("*"). A push stream keeps the types it wants as bits: a name we do not push
// has no bit, so it matches nothing, as it did as a name.
inline constexpr store::DataTypes kAllDataTypes = 0xFF;

struct EventSourceOptions {
  store::DataTypes types = kAllDataTypes;  // the data types wanted
  bool close_after_state = false;          // closeafter=state
  std::chrono::seconds ping{0};            // 0: no pings
};

// The bits of the pushed types among `names` (JMAP type names, e.g. "Email").
store::DataTypes DataTypesNamed(const std::vector<std::string>& names);

// Parses "types=...&closeafter=...&ping=..." (the part after "?", percent-encoded). All three
// are required (RFC 8620 7.3); ping is clamped to [ping_min, ping_max] unless 0. nullopt for
// anything malformed.
std::optional<EventSourceOptions> ParseEventSourceQuery(std::string_view query,
                                                        std::chrono::seconds ping_min,
                                                        std::chrono::seconds ping_max);

// The StateChange object for `change` as JSON text: the new state of each type it changed and
// that `wanted` asks for, plus the account's push sequence ("pushSeq", an extension: a gap
// tells the client it missed a push). With `all_types`, every wanted type is listed whether it
// changed or not (the first event of a stream). Empty when no wanted type changed. The text
// depends only on `change`, the wanted types it changed and `all_types`: streams that want the
// same of one change may share it.
std::string StateChangeJson(const store::StateChange& change, store::DataTypes wanted,
                            bool all_types = false);
// The same as an object (empty when no wanted type changed), for the WebSocket's StateChange.
boost::json::object StateChangeObject(const store::StateChange& change, store::DataTypes wanted,
                                      bool all_types = false);

// Whole EventSource events, ready for the wire.
std::string StateEvent(std::string_view state_change_json);
std::string PingEvent(std::chrono::seconds interval);

}  // namespace pushmail::jmap
