// Fuzzes the bridge's client side of the IMAP codec: server responses framed by CommandReader
// (whole and in two pieces, which must agree) and parsed by bridge::ParseResponse, then read the
// way the bridge reads them (FETCH and STATUS items, numbers, sequence sets). Also the quoting
// of what the bridge sends and the upstream URL parser. Invariants trap.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "bridge/quote.h"
#include "bridge/response.h"
#include "bridge/url.h"
#include "imap/protocol/protocol.h"

namespace bridge = pushmail::bridge;
namespace imap = pushmail::imap;

namespace {

void Check(bool ok) {
  if (!ok) __builtin_trap();
}

imap::Limits SmallLimits() {
  imap::Limits l = bridge::UpstreamLimits(2048);
  l.max_line = 512;
  l.max_depth = 8;
  l.max_tokens = 512;
  l.max_ranges = 64;
  return l;
}

void Walk(const imap::Token& t, size_t depth, const imap::Limits& limits) {
  Check(depth <= limits.max_depth + 1);
  Check(t.IsList() || t.children.empty());
  bridge::Number(t);
  for (const auto& c : t.children) Walk(c, depth + 1, limits);
}

void Read(std::string_view text, const imap::Limits& limits) {
  auto r = bridge::ParseResponse(text, limits);
  if (!r) {
    Check(!r.error().text.empty());
    return;
  }
  using Kind = bridge::Response::Kind;
  if (r->kind == Kind::kTagged) {
    Check(!r->tag.empty() && text.starts_with(r->tag));
    Check(r->status == "OK" || r->status == "NO" || r->status == "BAD");
  }
  if (r->IsStatus() || r->kind == Kind::kContinuation) Check(r->data.empty() && r->name.empty());
  if (!r->IsStatus() && r->kind == Kind::kUntagged) Check(!r->name.empty());
  Check(r->code.find(']') == std::string_view::npos);
  if (auto uids = bridge::ParseUidCode(r->code, limits)) {
    Check(uids->uidvalidity != 0 && !uids->destination.empty());
    Check(uids->source.empty() || uids->source.size() == uids->destination.size());
    Check(uids->destination.size() <= limits.max_tokens);
  }
  for (const auto& t : r->data) Walk(t, 0, limits);
  if (!r->data.empty() && r->data[0].IsList()) {
    for (const char* name : {"UID", "FLAGS", "BODY[]", "INTERNALDATE", "MODSEQ", "UIDNEXT"}) {
      if (const imap::Token* item = bridge::FindItem(r->data[0].children, name)) {
        bridge::Number(*item);
        (void)imap::ParseDateTime(item->text());
      }
    }
  }
  for (const auto& t : r->data) {
    if (auto set = imap::ParseSequenceSet(t.text(), limits, false)) {
      Check(!set->ranges.empty() && set->ranges.size() <= limits.max_ranges);
    }
  }
}

std::vector<std::string> Frame(std::string_view input, size_t split, bool parse) {
  const imap::Limits limits = SmallLimits();
  imap::CommandReader reader(limits);
  std::vector<std::string> frames;
  for (std::string_view chunk : {input.substr(0, split), input.substr(split)}) {
    while (!chunk.empty()) {
      auto e = reader.Feed(chunk);
      Check(e.consumed <= chunk.size());
      chunk.remove_prefix(e.consumed);
      using K = imap::CommandReader::Kind;
      if (e.kind == K::kNeedMore || e.kind == K::kContinue) continue;
      frames.push_back(std::to_string(static_cast<int>(e.kind)) + ":" + std::string(e.text));
      if (e.kind == K::kCommand && parse) Read(e.text, limits);
      if (e.kind == K::kTooBig && e.close) return frames;  // the bridge drops the connection
    }
  }
  return frames;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t split = input.empty() ? 0 : static_cast<unsigned char>(input[0]) % (input.size() + 1);
  Check(Frame(input, split, false) == Frame(input, 0, true));
  Read(input, SmallLimits());
  if (bridge::IsQuotable(input)) {
    auto tokens = imap::Tokenize(bridge::Quote(input), SmallLimits());
    Check(input.size() > SmallLimits().max_line ||
          (tokens && tokens->size() == 1 && (*tokens)[0].text() == input));
  }
  if (auto url = bridge::ParseUpstreamUrl(input)) Check(url->port != 0 && !url->host.empty());
  return 0;
}
