#include "http/push_texts.h"

#include "http/websocket.h"
#include "jmap/push.h"
#include "jmap/websocket.h"

namespace pushmail::http {

std::string MakePushText(const store::StateChange& change, PushKind kind, store::DataTypes wanted) {
  if (kind == PushKind::kWebSocket) {
    std::string json = jmap::WsStateChange(change, wanted);
    std::string frame;
    if (!json.empty()) ws::AppendFrame(frame, ws::Opcode::kText, json);
    return frame;
  }
  std::string json = jmap::StateChangeJson(change, wanted);
  return json.empty() ? json : jmap::StateEvent(json);
}

const std::string& PushTexts::Get(const hub::Event& event, PushKind kind, store::DataTypes wanted) {
  // Wanted types the event did not change make no difference to its text.
  auto key = static_cast<uint16_t>(static_cast<unsigned>(kind) << 8 | (wanted & event->changed));
  for (const Text& t : texts_) {
    if (t.event == event && t.key == key) return t.wire;
  }
  Text& slot = texts_[next_];
  next_ = (next_ + 1) % texts_.size();
  slot.event = event;
  slot.key = key;
  slot.wire = MakePushText(*event, kind, wanted);
  ++made_;
  return slot.wire;
}

}  // namespace pushmail::http
