#pragma once
// Frames IMAP commands out of a byte stream (RFC 9051 2.2, 4.3; RFC 7888 LITERAL+; RFC 3516
// literal8). Pure: it never writes, it tells the session what to write.
//
// A command is one line, or several lines joined by literals: a line ending in "{n}", "{n+}",
// "~{n}" or "~{n+}" is followed by exactly n octets of literal data and then the rest of the
// command. Line ends: CRLF, and also a bare LF (as Dovecot does, for clients that get it wrong;
// no other protocol element can be confused by it, because a literal is counted in octets). A
// bare CR is not a line end; the parser refuses it as a control character. An empty line
// between commands is skipped silently (some clients send a stray CRLF after an APPEND).
//
// Single-threaded: one reader per connection, used by the connection's worker only.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "imap/protocol/limits.h"

namespace pushmail::imap {

class CommandReader {
 public:
  explicit CommandReader(const Limits& limits) : limits_(limits) {}

  enum class Kind {
    // Everything fed was used and buffered; feed more when it arrives.
    kNeedMore,
    // `text` holds a whole command: its lines and literal octets exactly as received, without
    // the last line end. Hand it to ParseCommand.
    kCommand,
    // A line ended in a synchronizing literal within the limits: write "+ <text>\r\n", then go
    // on feeding. The literal's size is in `literal_size`.
    kContinue,
    // A literal over the limits (Limits::max_literal, or the command's total). The buffered
    // command is dropped. With `close` false it was synchronizing: answer "<tag> BAD [TOOBIG]"
    // (NO [TOOBIG] for APPEND, RFC 7889; `append` says which); the client sends no data and the
    // session goes on. With `close` true it was non-synchronizing: the client is sending the
    // octets anyway, so answer "* BYE [TOOBIG]" and close the connection; the reader then
    // discards everything it is fed.
    kTooBig,
    // A line over Limits::max_line, or a command over Limits::max_command without any literal
    // being to blame. Answer "<tag> BAD" (untagged when `tag` is empty). The reader drops the
    // command and skips to the end of the line by itself, and also skips a non-synchronizing
    // literal announced at the end of that line (and the rest of its command), so literal data
    // is never read as commands. A synchronizing literal there gets no "+", so the client gives
    // up on the command when it sees the BAD.
    kLineTooLong,
    // Raw line mode only: `text` holds one line without its line end (IDLE's "DONE", an
    // AUTHENTICATE response).
    kLine,
  };

  struct Event {
    Kind kind = Kind::kNeedMore;
    size_t consumed = 0;        // octets of the input used up; the caller drops them
    std::string_view text;      // kCommand, kLine: valid until the next call on this reader
    std::string tag;            // kTooBig, kLineTooLong: the tag, when a valid one was read
    uint64_t literal_size = 0;  // kContinue, kTooBig: the announced size (UINT64_MAX: overflow)
    bool close = false;         // kTooBig: the connection must be closed
    bool append = false;        // kTooBig: the command is APPEND
  };

  // Reads `input` until one event happens or the input is used up. Call again with the rest
  // (input.substr(event.consumed)) until it returns kNeedMore. Never fails otherwise.
  Event Feed(std::string_view input);

  // Raw line mode returns each line as kLine and knows nothing of literals; the session turns
  // it on after answering IDLE or AUTHENTICATE with "+" and off when those end. Call between
  // events only; it drops any half-read line.
  void SetLineMode(bool raw);
  bool line_mode() const { return raw_; }

  // True once a kTooBig with `close` was returned: all further input is discarded.
  bool closed() const { return state_ == State::kClosed; }

  // Octets held for a command not yet complete.
  size_t buffered() const { return buffer_.size(); }

  // Frees the buffer when no command is half-read; a session calls it before going idle so
  // that an idle connection holds no buffer (DESIGN.md principle 5).
  void ReleaseMemory();

 private:
  enum class State { kLine, kLiteral, kSkipLine, kSkipLiteral, kClosed };

  Event ReadLine(std::string_view input);
  Event EndOfLine(size_t consumed);
  Event OnLiteral(size_t consumed, uint64_t size, bool sync);
  Event ReadLiteral(std::string_view input);
  Event Skip(std::string_view input);
  Event TooLong(std::string_view input);
  void Reset();
  static std::string TagOf(std::string_view text);
  std::string TagOfBuffer() const;
  bool BufferIsAppend();

  Limits limits_;
  State state_ = State::kLine;
  bool raw_ = false;
  bool done_ = false;  // the last event handed out `buffer_` as a complete text
  enum class Append { kUnknown, kYes, kNo } append_ = Append::kUnknown;  // the command's name
  std::string buffer_;         // the command so far (lines and literal octets)
  size_t line_start_ = 0;      // where the current line starts in buffer_
  uint64_t literal_left_ = 0;  // kLiteral, kSkipLiteral: octets still to come
  std::string skip_tail_;      // kSkipLine: the last octets skipped, to spot "{n+}" at the end
  std::string skip_tag_;       // kSkipLine, kSkipLiteral: the tag of the command being skipped
};

// The response a kTooBig or kLineTooLong event calls for, CRLF included ("" for other kinds):
//   kTooBig:      "<tag> NO [TOOBIG] ..." for APPEND (RFC 7889), "<tag> BAD [TOOBIG] ..."
//                 otherwise; with `close`, followed by "* BYE [TOOBIG] ...".
//   kLineTooLong: "<tag> BAD Command line too long".
// "*" stands for the tag when the event has none.
std::string RefusalFor(const CommandReader::Event& event);

// The literal announced at the end of `line` (given without its line end), if any.
struct LiteralMarker {
  uint64_t size = 0;    // UINT64_MAX when the number overflows
  bool sync = true;     // "{n}" rather than "{n+}"
  bool binary = false;  // "~{n}" (literal8)
  size_t length = 0;    // octets of the marker at the end of the line
};
bool FindLiteralMarker(std::string_view line, LiteralMarker& marker);

}  // namespace pushmail::imap
