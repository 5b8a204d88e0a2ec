#include "imap/protocol/reader.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include "imap/protocol/chars.h"
#include "imap/protocol/format.h"

namespace pushmail::imap {
namespace {

// A buffer larger than this is freed rather than kept for the next command.
constexpr size_t kRetainedCapacity = 4096;
// Enough of a skipped line's end to hold the longest literal marker ("~{" 20 digits "+}" CR).
constexpr size_t kTailLength = 32;
// How far into a command the tag is looked for; a longer tag is not echoed.
constexpr size_t kTagScan = 1024;

std::string_view WithoutLineEnd(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

bool FindLiteralMarker(std::string_view line, LiteralMarker& marker) {
  if (line.empty() || line.back() != '}') return false;
  size_t i = line.size() - 1;
  bool sync = true;
  if (i > 0 && line[i - 1] == '+') {
    sync = false;
    --i;
  }
  size_t end = i;
  while (i > 0 && chars::IsDigit(line[i - 1])) --i;
  size_t start = i;
  if (start == end || start == 0 || line[start - 1] != '{') return false;
  uint64_t size = 0;
  for (size_t k = start; k < end; ++k) {
    uint64_t digit = static_cast<uint64_t>(line[k] - '0');
    if (size > (std::numeric_limits<uint64_t>::max() - digit) / 10) {
      size = std::numeric_limits<uint64_t>::max();
      break;
    }
    size = size * 10 + digit;
  }
  size_t open = start - 1;
  marker.size = size;
  marker.sync = sync;
  marker.binary = open > 0 && line[open - 1] == '~';
  marker.length = line.size() - open + (marker.binary ? 1 : 0);
  return true;
}

CommandReader::Event CommandReader::Feed(std::string_view input) {
  if (done_) Reset();
  size_t used = 0;
  while (used < input.size()) {
    std::string_view rest = input.substr(used);
    Event e;
    switch (state_) {
      case State::kLine:
        e = ReadLine(rest);
        break;
      case State::kLiteral:
        e = ReadLiteral(rest);
        break;
      case State::kSkipLine:
      case State::kSkipLiteral:
        e = Skip(rest);
        break;
      case State::kClosed:
        e.consumed = rest.size();
        break;
    }
    used += e.consumed;
    if (e.kind != Kind::kNeedMore) {
      e.consumed = used;
      return e;
    }
  }
  Event e;
  e.consumed = used;
  return e;
}

void CommandReader::SetLineMode(bool raw) {
  raw_ = raw;
  if (state_ != State::kClosed) state_ = State::kLine;
  Reset();
}

void CommandReader::ReleaseMemory() {
  if (done_ || buffer_.empty()) {
    done_ = false;
    append_ = Append::kUnknown;
    line_start_ = 0;
    std::string().swap(buffer_);
  }
}

void CommandReader::Reset() {
  done_ = false;
  append_ = Append::kUnknown;
  line_start_ = 0;
  if (buffer_.capacity() > kRetainedCapacity) {
    std::string().swap(buffer_);
  } else {
    buffer_.clear();
  }
}

CommandReader::Event CommandReader::ReadLine(std::string_view input) {
  const char* lf = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
  size_t take = lf ? static_cast<size_t>(lf - input.data()) + 1 : input.size();
  size_t line_length = buffer_.size() - line_start_ + take;
  uint64_t limit = BufferIsAppend() ? limits_.max_append_command : limits_.max_command;
  if (line_length > limits_.max_line || buffer_.size() + take > limit) return TooLong(input);
  buffer_.append(input.substr(0, take));
  if (!lf) return Event{Kind::kNeedMore, take};
  return EndOfLine(take);
}

CommandReader::Event CommandReader::EndOfLine(size_t consumed) {
  std::string_view line = WithoutLineEnd(std::string_view(buffer_).substr(line_start_));
  if (raw_) {
    done_ = true;
    return Event{Kind::kLine, consumed, line};
  }
  if (line.empty() && line_start_ == 0) {
    buffer_.clear();  // a blank line between commands
    return Event{Kind::kNeedMore, consumed};
  }
  LiteralMarker marker;
  if (FindLiteralMarker(line, marker)) return OnLiteral(consumed, marker.size, marker.sync);
  done_ = true;
  std::string_view text(buffer_.data(),
                        static_cast<size_t>(line.data() + line.size() - buffer_.data()));
  return Event{Kind::kCommand, consumed, text};
}

CommandReader::Event CommandReader::OnLiteral(size_t consumed, uint64_t size, bool sync) {
  bool append = BufferIsAppend();
  uint64_t limit = append ? limits_.max_append_command : limits_.max_command;
  if (size > limits_.max_literal || size > limit - std::min<uint64_t>(limit, buffer_.size())) {
    Event e{Kind::kTooBig, consumed};
    e.tag = TagOfBuffer();
    e.literal_size = size;
    e.close = !sync;
    e.append = append;
    Reset();
    state_ = sync ? State::kLine : State::kClosed;
    return e;
  }
  literal_left_ = size;
  state_ = State::kLiteral;
  if (size == 0) {
    state_ = State::kLine;
    line_start_ = buffer_.size();
  }
  Event e{sync ? Kind::kContinue : Kind::kNeedMore, consumed};
  e.literal_size = size;
  return e;
}

CommandReader::Event CommandReader::ReadLiteral(std::string_view input) {
  size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, input.size()));
  buffer_.append(input.substr(0, take));
  literal_left_ -= take;
  if (literal_left_ == 0) {
    state_ = State::kLine;
    line_start_ = buffer_.size();
  }
  return Event{Kind::kNeedMore, take};
}

CommandReader::Event CommandReader::TooLong(std::string_view input) {
  Event e{Kind::kLineTooLong, 0};
  if (!raw_) {
    // The tag may still be arriving: look at what is buffered and what was just fed, but only
    // within the first max_line octets, so that the answer does not depend on how the input
    // was split.
    size_t scan = std::min(kTagScan, limits_.max_line);
    std::string head = buffer_.substr(0, scan);
    if (line_start_ == 0 && head.size() < scan) head.append(input.substr(0, scan - head.size()));
    e.tag = TagOf(head);
  }
  std::string_view line = std::string_view(buffer_).substr(line_start_);
  skip_tail_.assign(line.substr(line.size() - std::min(line.size(), kTailLength)));
  skip_tag_ = e.tag;
  Reset();
  state_ = State::kSkipLine;
  return e;
}

CommandReader::Event CommandReader::Skip(std::string_view input) {
  if (state_ == State::kSkipLiteral) {
    size_t take = static_cast<size_t>(std::min<uint64_t>(literal_left_, input.size()));
    literal_left_ -= take;
    if (literal_left_ == 0) state_ = State::kSkipLine;
    return Event{Kind::kNeedMore, take};
  }
  const char* lf = static_cast<const char*>(std::memchr(input.data(), '\n', input.size()));
  size_t take = lf ? static_cast<size_t>(lf - input.data()) + 1 : input.size();
  skip_tail_.append(input.substr(0, take));
  if (skip_tail_.size() > kTailLength) skip_tail_.erase(0, skip_tail_.size() - kTailLength);
  if (!lf) return Event{Kind::kNeedMore, take};
  LiteralMarker marker;
  bool literal = !raw_ && FindLiteralMarker(WithoutLineEnd(skip_tail_), marker) && !marker.sync;
  skip_tail_.clear();
  if (!literal) {
    state_ = State::kLine;
    return Event{Kind::kNeedMore, take};
  }
  if (marker.size > limits_.max_literal) {
    state_ = State::kClosed;
    Event e{Kind::kTooBig, take};
    e.tag = skip_tag_;
    e.literal_size = marker.size;
    e.close = true;
    return e;
  }
  literal_left_ = marker.size;
  state_ = marker.size == 0 ? State::kSkipLine : State::kSkipLiteral;
  return Event{Kind::kNeedMore, take};
}

std::string CommandReader::TagOf(std::string_view text) {
  size_t end = text.find(' ');
  std::string_view tag = text.substr(0, end);
  if (end == std::string_view::npos || !chars::IsValidTag(tag)) return {};
  return std::string(tag);
}

std::string CommandReader::TagOfBuffer() const {
  return raw_ ? std::string() : TagOf(std::string_view(buffer_).substr(0, kTagScan));
}

bool CommandReader::BufferIsAppend() {
  if (raw_) return false;
  if (append_ != Append::kUnknown) return append_ == Append::kYes;
  // Decided once per command from the first words, so a slow client feeding one octet at a
  // time does not make every Feed rescan the buffer.
  std::string_view head = std::string_view(buffer_).substr(0, kTagScan + 8);
  size_t sp = head.find(' ');
  if (sp == std::string_view::npos) {
    if (head.size() >= kTagScan || head.find('\n') != std::string_view::npos) append_ = Append::kNo;
    return false;
  }
  std::string_view rest = head.substr(sp + 1);
  if (rest.size() < 7 && rest.find_first_of(" \r\n") == std::string_view::npos) {
    if (head.size() >= kTagScan + 8) append_ = Append::kNo;  // a tag too long to echo anyway
    return false;
  }
  bool append = chars::StartsWithIgnoreCase(rest, "APPEND") &&
                (rest.size() == 6 || rest[6] == ' ' || rest[6] == '\r' || rest[6] == '\n');
  append_ = append ? Append::kYes : Append::kNo;
  return append;
}

std::string RefusalFor(const CommandReader::Event& event) {
  switch (event.kind) {
    case CommandReader::Kind::kTooBig: {
      Condition condition = event.append && !event.close ? Condition::kNo : Condition::kBad;
      std::string out = FormatStatus(event.tag, condition, "TOOBIG", "Literal too big");
      if (event.close) out += FormatStatus("*", Condition::kBye, "TOOBIG", "Literal too big");
      return out;
    }
    case CommandReader::Kind::kLineTooLong:
      return FormatStatus(event.tag, Condition::kBad, "", "Command line too long");
    default:
      return "";
  }
}

}  // namespace pushmail::imap
