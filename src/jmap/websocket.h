#pragma once
// JMAP over WebSocket (RFC 8887): the client's messages (Request, WebSocketPushEnable,
// WebSocketPushDisable) and the server's (Response, RequestError, StateChange with pushState).
// Pure: the frames are http/websocket.h's, the requests run through jmap::Api.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "jmap/push.h"
#include "jmap/request.h"
#include "store/types.h"

namespace pushmail::jmap {

inline constexpr std::string_view kWebSocketCapability = "urn:ietf:params:jmap:websocket";
inline constexpr std::string_view kWebSocketPath = "/jmap/ws";

// A JMAP request; its text goes to Api::Answer as it is (extra properties are ignored there).
struct WsRequest {
  std::optional<std::string> id;
};
struct WsPushEnable {
  store::DataTypes types = kAllDataTypes;  // "dataTypes": null is all, [] is none
  std::optional<std::string> push_state;
};
struct WsPushDisable {};
// A message that is none of those: answered with this RequestError (RFC 8887 4.3.4).
struct WsBad {
  RequestError error;
  std::optional<std::string> id;
};
using WsMessage = std::variant<WsRequest, WsPushEnable, WsPushDisable, WsBad>;

// Classifies a text message; never throws. `max_depth` bounds JSON nesting.
WsMessage ParseWsMessage(std::string_view text, unsigned max_depth = 64);

// The "@type": "Response" (with requestId) or "@type": "RequestError" message for an answer.
std::string WsResponse(std::variant<boost::json::object, RequestError> answer,
                       const std::optional<std::string>& id);

// pushState: the push sequence and the three states, so that a client that reconnects with it
// is told exactly which types changed since ("12.40.41.41").
std::string PushState(const store::StateChange& now);
std::optional<store::StateChange> ParsePushState(std::string_view text);
// The types whose state differs between `then` and `now`.
store::DataTypes ChangedSince(const store::StateChange& then, const store::StateChange& now);

// The StateChange message for `change` (the types it changed that are `wanted`, plus pushSeq
// and pushState); empty when no wanted type changed. Like StateChangeJson, it depends only on
// `change` and the wanted types it changed.
std::string WsStateChange(const store::StateChange& change, store::DataTypes wanted);

}  // namespace pushmail::jmap
