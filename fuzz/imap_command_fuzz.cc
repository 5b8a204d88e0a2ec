// Fuzzes the IMAP codec. The input is framed by CommandReader fed whole, in two pieces (split
// where the first octet says) and octet by octet, which must all agree; each framed command is
// parsed with ParseCommand and ParseRequest (rev1 and UTF-8 mailbox names). The whole input is
// also parsed as one command without framing, and run through the small codecs (sequence sets,
// modified UTF-7, dates, string quoting). Invariants that must hold for any input trap.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/utf8.h"
#include "imap/protocol/protocol.h"

namespace imap = pushmail::imap;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

imap::Limits SmallLimits() {
  imap::Limits l;
  l.max_line = 256;
  l.max_literal = 1024;
  l.max_command = 4096;
  l.max_append_command = 8192;
  l.max_depth = 8;
  l.max_ranges = 64;
  l.max_search_keys = 64;
  l.max_tokens = 512;
  return l;
}

void CheckError(const imap::Error& e) {
  Check(!e.text.empty());
  std::string wire = e.Format();
  Check(wire.ends_with("\r\n"));
  Check(wire.find('\n') == wire.size() - 1);
  Check(e.tag.empty() || wire.starts_with(e.tag + " "));
}

void CheckSet(const imap::SequenceSet& set, const imap::Limits& limits) {
  Check(set.saved ? set.ranges.empty() : !set.ranges.empty());
  Check(set.ranges.size() <= limits.max_ranges);
  auto again = imap::ParseSequenceSet(imap::FormatSequenceSet(set), limits);
  Check(again && again->ranges == set.ranges && again->saved == set.saved);
  std::vector<uint32_t> uids = {1, 2, 5, 9, 100};
  for (uint32_t u : set.Expand(uids)) Check(set.Contains(u, 100));
}

void CheckMailbox(const std::string& name, bool utf8) {
  Check(pushmail::ValidUtf8(name));
  std::string wire = imap::EncodeMailboxName(name, utf8);
  auto back = imap::DecodeMailboxName(wire, utf8);
  Check(back && *back == name);
}

void CheckFetchItems(const std::vector<imap::FetchItem>& items, const imap::Limits& limits) {
  for (const imap::FetchItem& item : items) {
    std::string name = item.ResponseName();
    Check(!name.empty());
    if (item.attr != imap::FetchAttr::kBodySection || item.partial) continue;
    // The section as echoed must read back as the same section.
    auto again = imap::ParseFetchItem(name, limits);
    Check(again && again->section == item.section);
  }
}

void CheckSearchKey(const imap::SearchKey& key, size_t depth, const imap::Limits& limits) {
  Check(depth <= limits.max_depth + 1);
  if (key.kind == imap::SearchKey::Kind::kSequenceSet || key.kind == imap::SearchKey::Kind::kUid) {
    CheckSet(key.set, limits);
  }
  for (const imap::SearchKey& c : key.children) CheckSearchKey(c, depth + 1, limits);
}

void CheckRequest(const imap::Request& r, std::string_view text, bool utf8,
                  const imap::Limits& limits) {
  if (auto* s = std::get_if<imap::Select>(&r.args)) CheckMailbox(s->mailbox, utf8);
  if (auto* m = std::get_if<imap::MailboxArgument>(&r.args)) CheckMailbox(m->mailbox, utf8);
  if (auto* c = std::get_if<imap::Copy>(&r.args)) {
    CheckMailbox(c->mailbox, utf8);
    CheckSet(c->set, limits);
  }
  if (auto* s = std::get_if<imap::Store>(&r.args)) CheckSet(s->set, limits);
  if (auto* f = std::get_if<imap::Fetch>(&r.args)) {
    CheckSet(f->set, limits);
    Check(!f->items.empty());
    CheckFetchItems(f->items, limits);
  }
  if (auto* s = std::get_if<imap::Search>(&r.args)) CheckSearchKey(s->key, 0, limits);
  if (auto* a = std::get_if<imap::Append>(&r.args)) {
    Check(!a->messages.empty());
    for (const imap::AppendMessage& m : a->messages) {
      Check(m.data.data() >= text.data() &&
            m.data.data() + m.data.size() <= text.data() + text.size());
      Check(m.binary || m.data.find('\0') == std::string_view::npos);
    }
  }
  if (auto* n = std::get_if<imap::Notify>(&r.args)) {
    for (const auto& g : n->groups) CheckFetchItems(g.message_new_items, limits);
  }
}

void ParseOne(std::string_view text, const imap::Limits& limits) {
  auto command = imap::ParseCommand(text, limits);
  if (!command) {
    CheckError(command.error());
    return;
  }
  Check(!command->tag.empty() && text.starts_with(command->tag));
  for (bool utf8 : {false, true}) {
    imap::ParseOptions options{limits, utf8};
    auto request = imap::ParseRequest(*command, options);
    if (!request) {
      CheckError(request.error());
      Check(request.error().tag == command->tag);
      continue;
    }
    Check(request->verb == command->verb && request->tag == command->tag);
    CheckRequest(*request, text, utf8, limits);
  }
}

struct Event {
  imap::CommandReader::Kind kind;
  std::string text, tag;
  uint64_t size;
  bool close;
  bool operator==(const Event&) const = default;
};

// Frames `input`, cut at `cuts` (ascending), and parses what it frames when `parse`.
std::vector<Event> Frame(std::string_view input, std::vector<size_t> cuts, bool parse) {
  const imap::Limits limits = SmallLimits();
  imap::CommandReader reader(limits);
  std::vector<Event> events;
  cuts.push_back(input.size());
  size_t start = 0;
  for (size_t cut : cuts) {
    std::string_view chunk = input.substr(start, cut - start);
    start = cut;
    while (!chunk.empty()) {
      auto e = reader.Feed(chunk);
      Check(e.consumed <= chunk.size());
      Check(e.kind != imap::CommandReader::Kind::kNeedMore || e.consumed == chunk.size());
      chunk.remove_prefix(e.consumed);
      if (e.kind == imap::CommandReader::Kind::kNeedMore) continue;
      Check(e.text.size() <= limits.max_append_command);
      events.push_back({e.kind, std::string(e.text), e.tag, e.literal_size, e.close});
      if (e.kind == imap::CommandReader::Kind::kCommand) {
        if (parse) ParseOne(e.text, limits);
        // Raw line mode after IDLE, as a session would do it.
        if (e.text.size() > 5 && e.text.ends_with(" IDLE")) reader.SetLineMode(true);
      } else if (e.kind == imap::CommandReader::Kind::kLine) {
        if (imap::IsIdleDone(e.text)) reader.SetLineMode(false);
        auto sasl = imap::ParseSaslResponse(e.text);
        if (!sasl) CheckError(sasl.error());
      } else if (e.kind != imap::CommandReader::Kind::kContinue) {
        Check(e.kind != imap::CommandReader::Kind::kTooBig || e.literal_size > 0);
        std::string refusal = imap::RefusalFor(e);
        Check(refusal.ends_with("\r\n") && (e.tag.empty() || refusal.starts_with(e.tag)));
      }
    }
  }
  return events;
}

void FuzzFraming(std::string_view input) {
  size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  std::vector<Event> whole = Frame(input, {}, true);
  Check(Frame(input, {split}, false) == whole);
  std::vector<size_t> octets;
  if (input.size() <= 2048) {
    for (size_t i = 1; i < input.size(); ++i) octets.push_back(i);
    Check(Frame(input, octets, false) == whole);
  }
}

void FuzzSmallCodecs(std::string_view input) {
  imap::Limits limits = SmallLimits();
  if (auto set = imap::ParseSequenceSet(input, limits)) {
    // "2:2" is written "2": what is written must read back and be written the same way.
    std::string text = imap::FormatSequenceSet(*set);
    Check(text.size() <= input.size());
    auto again = imap::ParseSequenceSet(text, limits);
    Check(again && imap::FormatSequenceSet(*again) == text);
    CheckSet(*set, limits);
  }
  if (auto decoded = imap::DecodeMutf7(input)) {
    Check(pushmail::ValidUtf8(*decoded) && imap::EncodeMutf7(*decoded) == input);
  }
  Check(imap::MatchesListPattern("*", input));
  if (input.find_first_of("*%") == std::string_view::npos) {
    Check(imap::MatchesListPattern(input, input));
  }
  if (input.size() > 1) {
    size_t cut = static_cast<unsigned char>(input[0]) % input.size();
    imap::MatchesListPattern(input.substr(1, cut), input.substr(1 + cut));
  }
  if (pushmail::ValidUtf8(input)) {
    auto back = imap::DecodeMutf7(imap::EncodeMutf7(input));
    Check(back && *back == input);
  }
  if (auto date = imap::ParseDate(input))
    Check(imap::ParseDate(imap::FormatDate(*date)) &&
          *imap::ParseDate(imap::FormatDate(*date)) == *date);
  if (auto t = imap::ParseDateTime(input)) {
    std::string s = imap::FormatDateTime(*t);
    auto again = imap::ParseDateTime(std::string_view(s).substr(1, s.size() - 2));
    Check(again && *again == *t);
  }
  if (input.find('\0') == std::string_view::npos) {
    for (bool utf8 : {false, true}) {
      std::string out;
      imap::AppendAstring(out, input, utf8);
      auto tokens = imap::Tokenize(out, limits);
      Check(tokens && tokens->size() == 1 && (*tokens)[0].text() == input);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzFraming(input);
  ParseOne(input, SmallLimits());
  FuzzSmallCodecs(input);
  return 0;
}
