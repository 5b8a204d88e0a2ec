#pragma once
// The wire form of push events, made once per event and shared by the streams of a worker.
//
// A hub event goes to every stream of its account on a worker; what a stream writes for it
// depends only on the event, on the kind of stream (EventSource or WebSocket) and on which of
// the types it changed the stream wants. PushTexts makes that text (JSON, then the EventSource
// event or WebSocket frame around it) on the first stream's turn and hands the same bytes to
// the others, so a fan-out to N streams makes it once per distinct (kind, types), not N times.
// Per-stream state (which events a stream has already covered) stays with the stream.
//
// One per worker; touched only on that worker.

#include <array>
#include <cstdint>
#include <string>

#include "hub/hub.h"
#include "store/types.h"

namespace pushmail::http {

enum class PushKind : uint8_t { kEventSource, kWebSocket };

class PushTexts {
 public:
  // The bytes a stream of `kind` that wants `wanted` writes for `event`: an EventSource `state`
  // event or an unfragmented, uncompressed WebSocket text frame; empty when no type it wants
  // changed. The reference is valid until the next call.
  const std::string& Get(const hub::Event& event, PushKind kind, store::DataTypes wanted);

  uint64_t made() const { return made_; }  // texts made (not shared), for tests

 private:
  struct Text {
    hub::Event event;  // held, so that its address is not reused while it is a key here
    uint16_t key = 0;  // kind and the wanted types the event changed
    std::string wire;
  };
  // A few recent texts: a fan-out asks for one event over and over; streams that are behind
  // ask for older events in between.
  std::array<Text, 8> texts_;
  size_t next_ = 0;  // the slot to replace next
  uint64_t made_ = 0;
};

// The text itself (what Get shares).
std::string MakePushText(const store::StateChange& change, PushKind kind, store::DataTypes wanted);

}  // namespace pushmail::http
