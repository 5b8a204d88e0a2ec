// IMAP section numbers (RFC 9051 6.4.5) over the parts of a Summary.
#include <algorithm>
#include <charconv>

#include "mime/mime.h"

namespace pushmail::mime {
namespace {

constexpr size_t kMaxPathParts = 128;  // deeper than any tree Parse keeps (kMaxDepth)

// The nz-numbers of `path`; nullopt unless it is "" or nz-number *("." nz-number).
std::optional<std::vector<size_t>> SplitPath(std::string_view path) {
  std::vector<size_t> numbers;
  while (!path.empty()) {
    size_t dot = path.find('.');
    std::string_view digits = path.substr(0, dot);
    size_t n = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    bool nz_number = !digits.empty() && digits[0] != '0' && ec == std::errc() &&
                     end == digits.data() + digits.size();
    if (!nz_number || numbers.size() == kMaxPathParts) return std::nullopt;
    numbers.push_back(n);
    if (dot == std::string_view::npos) break;
    path.remove_prefix(dot + 1);
    if (path.empty()) return std::nullopt;  // a trailing dot
  }
  return numbers;
}

bool IsMessage(const Part& p) {
  return p.type == "message" &&
         (!p.children.empty() || p.subtype == "rfc822" || p.subtype == "global");
}

// The n-th part (1-based) of a message whose body is `body`.
const Part* PartOfMessageBody(const Part& body, size_t n) {
  if (body.type == "multipart") return n <= body.children.size() ? &body.children[n - 1] : nullptr;
  return n == 1 ? &body : nullptr;
}

// The n-th part inside `p`: a child of a multipart, or a part of an embedded message's body.
const Part* PartInside(const Part& p, size_t n) {
  if (p.type == "multipart") return n <= p.children.size() ? &p.children[n - 1] : nullptr;
  if (p.type == "message" && !p.children.empty()) return PartOfMessageBody(p.children[0], n);
  return nullptr;
}

bool HasOffsets(const Part& p) {
  return p.header_offset >= 0 && p.header_offset <= p.body_offset && p.body_offset <= p.end_offset;
}

// HEADER and TEXT of a message whose body is `body`.
void SetMessageRanges(const Part& body, Section& s) {
  s.is_message = true;
  s.header = {body.header_offset, body.body_offset};
  s.text = {body.body_offset, body.end_offset};
}

}  // namespace

std::string_view Slice(std::string_view message, Range range) {
  auto size = static_cast<int64_t>(message.size());
  int64_t begin = std::clamp<int64_t>(range.begin, 0, size);
  int64_t end = std::clamp<int64_t>(range.end, begin, size);
  return message.substr(begin, end - begin);
}

std::optional<Section> FindSection(const Summary& summary, std::string_view path) {
  std::optional<std::vector<size_t>> numbers = SplitPath(path);
  if (!summary.offsets_known || !numbers) return std::nullopt;
  const Part& top = summary.body;
  Section s;
  if (numbers->empty()) {
    if (!HasOffsets(top)) return std::nullopt;
    s.part = &top;
    s.mime = {top.header_offset, top.body_offset};
    s.body = {top.header_offset, top.end_offset};
    SetMessageRanges(top, s);
    return s;
  }
  const Part* p = PartOfMessageBody(top, numbers->front());
  for (size_t i = 1; p && i < numbers->size(); ++i) p = PartInside(*p, (*numbers)[i]);
  if (!p || !HasOffsets(*p)) return std::nullopt;
  s.part = p;
  s.mime = {p->header_offset, p->body_offset};
  s.body = {p->body_offset, p->end_offset};
  if (IsMessage(*p)) {
    if (!p->children.empty() && HasOffsets(p->children[0])) {
      SetMessageRanges(p->children[0], s);
    } else {
      // An empty embedded message, or one GMime could not read: all header, as at the top.
      s.is_message = true;
      s.header = s.body;
      s.text = {p->end_offset, p->end_offset};
    }
  }
  return s;
}

}  // namespace pushmail::mime
