#pragma once
// The mboxrd format (export and import). Each message is a "From " line, the message with every
// line matching /^>*From / given one more '>', and an empty line. The message's own bytes are
// kept exactly, line endings included, so export then import stores the same bytes again.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pushmail::store {

// One mboxrd entry for a message received from `sender` at `when` (Unix seconds).
std::string MboxrdEntry(std::string_view sender, int64_t when, std::string_view message);

// The address in the message's first Return-Path: header, or "MAILER-DAEMON".
std::string EnvelopeSender(std::string_view message);

struct MboxMessage {
  std::string sender;
  std::optional<int64_t> when;  // from the "From " line, when it parses
  std::string bytes;            // unquoted; bare LF turned into CRLF
};

// Reads the entries of an mboxrd (or plain mboxo) file in order.
class MboxReader {
 public:
  explicit MboxReader(std::string_view file) : rest_(file) {}
  // The next message, or nullopt at the end. Text before the first "From " line is skipped.
  std::optional<MboxMessage> Next();

 private:
  std::string_view rest_;
};

}  // namespace pushmail::store
