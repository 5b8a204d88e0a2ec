#include "mime/recorder.h"

#include <algorithm>
#include <functional>

#include "base/assert.h"

namespace pushmail::mime {
namespace {

thread_local ParseRecorder* t_recorder = nullptr;

void NoteContainerBody(GTypeInstance* instance, gpointer) {
  if (t_recorder) t_recorder->NoteBodyStart(instance);
}

void RecordingAdd(GMimeMultipart* multipart, GMimeObject* part) {
  if (t_recorder) t_recorder->NoteChildEnd(part);
  auto* klass = reinterpret_cast<GMimeMultipartClass*>(G_OBJECT_GET_CLASS(multipart));
  while (klass->add == RecordingAdd) {
    klass = reinterpret_cast<GMimeMultipartClass*>(g_type_class_peek_parent(klass));
  }
  klass->add(multipart, part);
}

void InitMultipartClass(gpointer klass, gpointer) {
  reinterpret_cast<GMimeMultipartClass*>(klass)->add = RecordingAdd;
}

// A subclass of `parent` that notes where its body starts, and, given `class_init`, more.
GType Subclass(GType parent, const char* name, GClassInitFunc class_init) {
  GTypeQuery query;
  g_type_query(parent, &query);
  PM_RELEASE_ASSERT(query.type != 0, "GMime type to subclass is missing");
  return g_type_register_static_simple(parent, name, query.class_size, class_init,
                                       query.instance_size, NoteContainerBody, GTypeFlags(0));
}

}  // namespace

void RegisterRecordingTypes() {
  // The containers GMime 3 registers in g_mime_init(), under the same Content-Types.
  g_mime_object_register_type(
      "multipart", "*", Subclass(GMIME_TYPE_MULTIPART, "PushmailMultipart", InitMultipartClass));
  g_mime_object_register_type(
      "multipart", "signed",
      Subclass(GMIME_TYPE_MULTIPART_SIGNED, "PushmailMultipartSigned", InitMultipartClass));
  g_mime_object_register_type(
      "multipart", "encrypted",
      Subclass(GMIME_TYPE_MULTIPART_ENCRYPTED, "PushmailMultipartEncrypted", InitMultipartClass));
  GType message_part = Subclass(GMIME_TYPE_MESSAGE_PART, "PushmailMessagePart", nullptr);
  for (const char* subtype : {"rfc822", "rfc2822", "news", "global"}) {
    g_mime_object_register_type("message", subtype, message_part);
  }
  // Initialise the classes now, on this thread, before any parser runs: a class made lazily by
  // the first parse is written on one pool thread and read unlocked on the others, ordered only
  // by GLib's own fences (which ThreadSanitizer cannot see). The references are kept for good.
  for (const char* name : {"PushmailMultipart", "PushmailMultipartSigned",
                           "PushmailMultipartEncrypted", "PushmailMessagePart"}) {
    g_type_class_ref(g_type_from_name(name));
  }
}

ParseRecorder::ParseRecorder(GMimeParser* parser) : parser_(parser) {
  PM_ASSERT(t_recorder == nullptr, "one ParseRecorder per thread at a time");
  t_recorder = this;
}

ParseRecorder::~ParseRecorder() {
  if (recording_) t_recorder = nullptr;
}

void ParseRecorder::Finish() {
  t_recorder = nullptr;
  recording_ = false;
  // Stable, so that the last note wins should GMime ever reuse an address during one parse.
  auto by_object = [](const auto& a, const auto& b) { return std::less<>()(a.first, b.first); };
  std::stable_sort(body_starts_.begin(), body_starts_.end(), by_object);
  std::stable_sort(child_ends_.begin(), child_ends_.end(), by_object);
}

void ParseRecorder::NoteBodyStart(const void* container) {
  body_starts_.emplace_back(container, g_mime_parser_tell(parser_));
}

void ParseRecorder::NoteChildEnd(const void* child) {
  child_ends_.emplace_back(child, g_mime_parser_tell(parser_));
}

std::optional<int64_t> ParseRecorder::Find(const Notes& notes, const void* object) {
  auto it = std::upper_bound(
      notes.begin(), notes.end(), object,
      [](const void* o, const auto& note) { return std::less<>()(o, note.first); });
  if (it == notes.begin() || (--it)->first != object || it->second < 0) return std::nullopt;
  return it->second;
}

std::optional<int64_t> ParseRecorder::BodyStart(const GMimeObject* container) const {
  PM_ASSERT(!recording_, "call Finish() first");
  return Find(body_starts_, container);
}

std::optional<int64_t> ParseRecorder::ChildEnd(const GMimeObject* child) const {
  PM_ASSERT(!recording_, "call Finish() first");
  return Find(child_ends_, child);
}

}  // namespace pushmail::mime
