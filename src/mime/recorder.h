#pragma once
// Private to src/mime. GMime keeps where each leaf body lies (the persistent substream of its
// content, bound_start/bound_end) and where each header field starts, but not where the body of
// a multipart or message/rfc822 part starts, nor where a multipart's child ends. A ParseRecorder
// notes those two offsets while GMime parses, from g_mime_parser_tell():
//  - GMime creates a container object right after it has read the blank line that ends the
//    container's header, through the type registered for its Content-Type; we register
//    subclasses of GMime's own container types whose instance init notes the offset;
//  - GMime adds a child to its multipart right when it stands at the start of the line that
//    ended the child (a delimiter line of this or an outer multipart, or the end of the input);
//    the subclasses' `add` notes it.
// The subclasses add nothing else, so they behave as GMime's types everywhere.

#include <gmime/gmime.h>

#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace pushmail::mime {

// Registers the recording types with GMime. Call once, after g_mime_init().
void RegisterRecordingTypes();
// Runs g_mime_init() and the registration once per process (mime.cc).
void EnsureGmime();

class ParseRecorder {
 public:
  // Records what `parser` reads on the calling thread until destroyed; one at a time per thread.
  explicit ParseRecorder(GMimeParser* parser);
  ~ParseRecorder();
  ParseRecorder(const ParseRecorder&) = delete;
  ParseRecorder& operator=(const ParseRecorder&) = delete;

  // Stops recording and readies the lookups below.
  void Finish();

  // Where the body of `container` (a multipart or message/rfc822 part) starts.
  std::optional<int64_t> BodyStart(const GMimeObject* container) const;
  // Where the line that ended `child` of a multipart starts: a delimiter line or the input's end.
  std::optional<int64_t> ChildEnd(const GMimeObject* child) const;

  // Called by the recording types.
  void NoteBodyStart(const void* container);
  void NoteChildEnd(const void* child);

 private:
  using Notes = std::vector<std::pair<const void*, int64_t>>;
  static std::optional<int64_t> Find(const Notes& notes, const void* object);

  GMimeParser* parser_;
  Notes body_starts_;
  Notes child_ends_;
  bool recording_ = true;
};

}  // namespace pushmail::mime
