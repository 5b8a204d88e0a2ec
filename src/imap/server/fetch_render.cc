#include "imap/server/fetch_render.h"

#include <boost/json/parse.hpp>

#include "base/strings.h"
#include "imap/protocol/datetime.h"
#include "imap/protocol/flags.h"
#include "imap/protocol/format.h"
#include "imap/protocol/structure.h"

namespace pushmail::imap {
namespace {

bool IsStructural(FetchAttr a) {
  return a == FetchAttr::kEnvelope || a == FetchAttr::kBody || a == FetchAttr::kBodyStructure;
}

bool IsContent(FetchAttr a) {
  return a == FetchAttr::kBodySection || a == FetchAttr::kBinary || a == FetchAttr::kBinarySize ||
         a == FetchAttr::kRfc822 || a == FetchAttr::kRfc822Header || a == FetchAttr::kRfc822Text;
}

std::string PartPath(const std::vector<uint32_t>& part) {
  std::string out;
  for (uint32_t n : part) {
    if (!out.empty()) out += '.';
    out += std::to_string(n);
  }
  return out;
}

// The octets a BODY[section] names; empty for a part that does not exist (RFC 9051 6.4.5:
// such a section is returned as empty, not as an error).
std::string SectionBytes(const mime::Summary& s, std::string_view bytes, const Section& section) {
  auto found = mime::FindSection(s, PartPath(section.part));
  if (!found) return {};
  switch (section.text) {
    case Section::Text::kNone:
      return std::string(mime::Slice(bytes, found->body));
    case Section::Text::kMime:
      return std::string(mime::Slice(bytes, found->mime));
    case Section::Text::kText:
      return found->is_message ? std::string(mime::Slice(bytes, found->text)) : std::string();
    case Section::Text::kHeader:
      return found->is_message ? std::string(mime::Slice(bytes, found->header)) : std::string();
    case Section::Text::kHeaderFields:
    case Section::Text::kHeaderFieldsNot:
      if (!found->is_message) return {};
      return FilterHeader(mime::Slice(bytes, found->header), section.fields,
                          section.text == Section::Text::kHeaderFieldsNot);
  }
  return {};
}

void AppendPartial(std::string& out, std::string data, const std::optional<Partial>& partial,
                   bool utf8) {
  if (partial) {
    data = partial->origin >= data.size() ? std::string()
                                          : data.substr(partial->origin, partial->length);
  }
  // Message data always goes as a literal: it may hold CR, LF and 8-bit octets.
  out += "{" + std::to_string(data.size()) + "}\r\n";
  out += data;
  (void)utf8;
}

}  // namespace

bool NeedsSummary(const std::vector<FetchItem>& items) {
  for (const auto& i : items) {
    if (IsStructural(i.attr) || IsContent(i.attr)) return true;
  }
  return false;
}

bool NeedsBytes(const std::vector<FetchItem>& items) {
  for (const auto& i : items) {
    if (IsContent(i.attr)) return true;
  }
  return false;
}

std::string FilterHeader(std::string_view header, const std::vector<std::string>& names,
                         bool exclude) {
  std::string out;
  size_t pos = 0;
  while (pos < header.size()) {
    size_t end = pos;
    // A field runs to the first line end not followed by white space (a folded continuation).
    for (;;) {
      size_t nl = header.find('\n', end);
      end = nl == std::string_view::npos ? header.size() : nl + 1;
      if (end >= header.size() || (header[end] != ' ' && header[end] != '\t')) break;
    }
    std::string_view field = header.substr(pos, end - pos);
    pos = end;
    size_t colon = field.find(':');
    if (colon == std::string_view::npos) continue;  // the blank line, or junk
    std::string_view name = field.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    bool listed = false;
    for (const auto& n : names) {
      listed = listed || EqualsIgnoreCase(n, name);
    }
    if (listed != exclude) out += field;
  }
  out += "\r\n";
  return out;
}

std::string RenderFetch(const FetchInput& in, const std::vector<FetchItem>& items,
                        const FetchOptions& options, bool& unknown_cte) {
  const store::MailboxMessage& m = in.message;
  std::optional<mime::Summary> summary;
  if (in.email) {
    boost::system::error_code ec;
    auto json = boost::json::parse(in.email->summary_json, ec);
    summary = ec ? mime::Summary() : mime::FromJson(json);
    if (in.bytes && !summary->offsets_known) summary = mime::Parse(*in.bytes);
  }
  std::string_view bytes = in.bytes ? std::string_view(*in.bytes) : std::string_view();
  std::string out = "* " + std::to_string(in.seq) + " FETCH (";
  auto item_start = [&out] {
    if (out.back() != '(') out += ' ';
  };
  bool uid_done = false, modseq_done = false;
  for (const auto& item : items) {
    item_start();
    switch (item.attr) {
      case FetchAttr::kUid:
        out += "UID " + std::to_string(m.uid);
        uid_done = true;
        break;
      case FetchAttr::kFlags:
        out += "FLAGS " + FormatFlags(m.keywords);
        break;
      case FetchAttr::kInternalDate:
        out += "INTERNALDATE " + FormatDateTime({m.received_at, 0});
        break;
      case FetchAttr::kRfc822Size:
        out += "RFC822.SIZE " + std::to_string(m.size);
        break;
      case FetchAttr::kEnvelope:
        out += "ENVELOPE ";
        AppendEnvelope(out, *summary, options.utf8);
        break;
      case FetchAttr::kBody:
      case FetchAttr::kBodyStructure:
        out += item.attr == FetchAttr::kBody ? "BODY " : "BODYSTRUCTURE ";
        AppendBodyStructure(out, summary->body, item.attr == FetchAttr::kBodyStructure,
                            options.utf8,
                            [&](const mime::Part& part) -> std::optional<mime::Summary> {
                              auto s = mime::FindSection(*summary, part.part_id);
                              if (!s || bytes.empty()) return std::nullopt;
                              return mime::Parse(mime::Slice(bytes, s->body));
                            });
        break;
      case FetchAttr::kRfc822:
        out += "RFC822 ";
        AppendPartial(out, std::string(bytes), std::nullopt, options.utf8);
        break;
      case FetchAttr::kRfc822Header:
      case FetchAttr::kRfc822Text: {
        Section s;
        s.text =
            item.attr == FetchAttr::kRfc822Header ? Section::Text::kHeader : Section::Text::kText;
        out += item.attr == FetchAttr::kRfc822Header ? "RFC822.HEADER " : "RFC822.TEXT ";
        AppendPartial(out, SectionBytes(*summary, bytes, s), std::nullopt, options.utf8);
        break;
      }
      case FetchAttr::kBodySection:
        out += item.ResponseName() + " ";
        AppendPartial(out, SectionBytes(*summary, bytes, item.section), item.partial, options.utf8);
        break;
      case FetchAttr::kBinary:
      case FetchAttr::kBinarySize: {
        auto found = mime::FindSection(*summary, PartPath(item.section.part));
        std::string data;
        if (found) {
          std::string_view raw = mime::Slice(bytes, found->body);
          auto decoded = mime::DecodeBody(raw, found->part ? found->part->encoding : "");
          if (!decoded) {
            unknown_cte = true;
            return {};
          }
          data = std::move(*decoded);
        }
        out += item.ResponseName() + " ";
        if (item.attr == FetchAttr::kBinarySize) {
          out += std::to_string(data.size());
        } else {
          AppendPartial(out, std::move(data), item.partial, options.utf8);
        }
        break;
      }
      case FetchAttr::kModSeq:
        out += "MODSEQ (" + std::to_string(m.modseq) + ")";
        modseq_done = true;
        break;
      case FetchAttr::kEmailId:
        out += "EMAILID (" + store::EmailJmapId(m.email) + ")";
        break;
      case FetchAttr::kThreadId:
        out += "THREADID (" + store::ThreadJmapId(m.thread) + ")";
        break;
      case FetchAttr::kSaveDate:
        out += "SAVEDATE NIL";
        break;
    }
  }
  if (options.with_uid && !uid_done) {
    item_start();
    out += "UID " + std::to_string(m.uid);
  }
  if (options.with_modseq && !modseq_done) {
    item_start();
    out += "MODSEQ (" + std::to_string(m.modseq) + ")";
  }
  out += ")\r\n";
  return out;
}

}  // namespace pushmail::imap
