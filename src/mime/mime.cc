#include "mime/mime.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>

#include "base/strings.h"
#include "mime/gobject.h"
#include "mime/headers.h"
#include "mime/recorder.h"

#if defined(__SANITIZE_ADDRESS__)
#define PM_LEAK_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PM_LEAK_SANITIZER 1
#endif
#endif
#ifdef PM_LEAK_SANITIZER
#include <sanitizer/lsan_interface.h>
#endif

namespace pushmail::mime {
namespace {

constexpr int kMaxDepth = 64;  // deeper MIME trees are cut here, not recursed into

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] {
#ifdef PM_LEAK_SANITIZER
    // GMime drops, unfreed, its table entry for a type that g_mime_init() registered when
    // another type is registered in its place: seven entries of 16 octets, once per process.
    __lsan::ScopedDisabler registry_entries;
#endif
    g_mime_init();
    RegisterRecordingTypes();
  });
}

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

void AppendAddresses(InternetAddressList* list, std::vector<Address>& out, int depth = 0) {
  if (!list || depth > 2) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      out.push_back({Str(internet_address_get_name(a)),
                     Str(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))});
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      AppendAddresses(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out,
                      depth + 1);
    }
  }
}

std::vector<std::string> MessageIds(GMimeObject* object, const char* header) {
  std::vector<std::string> ids;
  const char* value = g_mime_object_get_header(object, header);
  if (!value) return ids;
  GMimeReferences* refs = g_mime_references_parse(nullptr, value);
  if (!refs) return ids;
  int n = g_mime_references_length(refs);
  for (int i = 0; i < n; ++i) ids.emplace_back(Str(g_mime_references_get_message_id(refs, i)));
  g_mime_references_free(refs);
  return ids;
}

std::string Trim(std::string_view s) {
  size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return {};
  return std::string(s.substr(begin, s.find_last_not_of(" \t\r\n") + 1 - begin));
}

// GMime's name for a Content-Transfer-Encoding it knows, else the header's value.
std::string EncodingOf(GMimeObject* object) {
  const char* value = g_mime_object_get_header(object, "Content-Transfer-Encoding");
  if (!value) return {};
  GMimeContentEncoding known = g_mime_content_encoding_from_string(value);
  if (known != GMIME_CONTENT_ENCODING_DEFAULT) {
    return AsciiLower(Str(g_mime_content_encoding_to_string(known)));
  }
  return AsciiLower(Trim(value));
}

void DescribeHeaders(GMimeObject* object, Part& out) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct) {
    out.type = AsciiLower(Str(g_mime_content_type_get_media_type(ct)));
    out.subtype = AsciiLower(Str(g_mime_content_type_get_media_subtype(ct)));
    GMimeParamList* params = g_mime_content_type_get_parameters(ct);
    int n = params ? g_mime_param_list_length(params) : 0;
    for (int i = 0; i < n; ++i) {
      GMimeParam* p = g_mime_param_list_get_parameter_at(params, i);
      out.params.emplace_back(AsciiLower(Str(g_mime_param_get_name(p))),
                              Str(g_mime_param_get_value(p)));
    }
    out.charset = Str(g_mime_content_type_get_parameter(ct, "charset"));
  }
  if (GMimeContentDisposition* cd = g_mime_object_get_content_disposition(object)) {
    out.disposition = AsciiLower(Str(g_mime_content_disposition_get_disposition(cd)));
  }
  out.id = Str(g_mime_object_get_content_id(object));
  out.language = Str(g_mime_object_get_header(object, "Content-Language"));
  out.encoding = EncodingOf(object);
}

// Where the line after the one holding `pos` starts, or the end of `raw`.
int64_t NextLine(std::string_view raw, int64_t pos) {
  size_t newline = raw.find('\n', static_cast<size_t>(pos));
  return static_cast<int64_t>(newline == std::string_view::npos ? raw.size() : newline + 1);
}

// Where a body that the delimiter line at `line` ends stops: the line break before a delimiter
// belongs to the delimiter (RFC 2046 5.1.1). At the end of `raw` there is no delimiter.
int64_t BeforeDelimiter(std::string_view raw, int64_t line) {
  if (line >= static_cast<int64_t>(raw.size())) return static_cast<int64_t>(raw.size());
  if (line >= 2 && raw[line - 2] == '\r' && raw[line - 1] == '\n') return line - 2;
  if (line >= 1 && raw[line - 1] == '\n') return line - 1;
  return line;
}

// Where the blank line that ends right at `body` starts; `body` when there is none.
int64_t BlankLineBefore(std::string_view raw, int64_t body) {
  auto starts_line = [raw](int64_t i) { return i == 0 || raw[i - 1] == '\n'; };
  if (body >= 2 && raw.substr(body - 2, 2) == "\r\n" && starts_line(body - 2)) return body - 2;
  if (body >= 1 && raw[body - 1] == '\n' && starts_line(body - 1)) return body - 1;
  return body;
}

int64_t CountLines(std::string_view text) {
  if (text.empty()) return 0;
  return std::count(text.begin(), text.end(), '\n') + (text.back() == '\n' ? 0 : 1);
}

// The offset of the first header field of `object`; -1 when it has none.
int64_t FirstHeaderOffset(GMimeObject* object) {
  GMimeHeaderList* list = g_mime_object_get_header_list(object);
  if (!list || g_mime_header_list_get_count(list) == 0) return -1;
  return g_mime_header_get_offset(g_mime_header_list_get_header_at(list, 0));
}

// What Walk needs besides the GMime object.
struct WalkContext {
  std::string_view raw;
  const ParseRecorder& recorder;
  Summary& summary;
};

// Where a part lies, as its parent knows it.
struct Extent {
  int64_t header = -1;  // the first octet of its header; -1 when only the part can tell
  int64_t end = 0;      // one past the last octet of its body
};

// Where the body of `object` starts: a leaf's content is a substream of the raw message (the
// parser persists the stream), a container's start was recorded.
std::optional<int64_t> BodyStart(GMimeObject* object, const ParseRecorder& recorder) {
  if (!GMIME_IS_PART(object)) return recorder.BodyStart(object);
  GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(object));
  GMimeStream* stream = content ? g_mime_data_wrapper_get_stream(content) : nullptr;
  if (!stream) return std::nullopt;
  return stream->bound_start;
}

// Sets the offsets of `out`, and the size and lines of its body.
void Locate(GMimeObject* object, Extent extent, const WalkContext& ctx, Part& out) {
  int64_t end = std::clamp<int64_t>(extent.end, 0, static_cast<int64_t>(ctx.raw.size()));
  int64_t fallback = extent.header >= 0 ? extent.header : end;
  // GMime reads the line break before a delimiter that follows a header at once as the header's
  // end; RFC 2046 gives it to the delimiter, which leaves the header without its blank line.
  int64_t body = std::clamp<int64_t>(BodyStart(object, ctx.recorder).value_or(fallback), 0, end);
  int64_t header =
      extent.header >= 0 ? std::min(extent.header, body) : BlankLineBefore(ctx.raw, body);
  out.header_offset = header;
  out.body_offset = body;
  out.end_offset = end;
  out.size = end - body;
  // IMAP reports lines of text and message parts only; counting others would cost a pass each.
  if (out.type == "text" || out.type == "message") {
    out.lines = CountLines(ctx.raw.substr(body, end - body));
  }
}

void Walk(GMimeObject* object, const std::string& part_id, int depth, Extent extent,
          const WalkContext& ctx, Part& out);

void WalkChildren(GMimeMultipart* multi, int depth, const WalkContext& ctx, Part& out) {
  std::string prefix = out.part_id.empty() ? "" : out.part_id + ".";
  int n = g_mime_multipart_get_count(multi);
  int64_t header = -1;
  for (int i = 0; i < n; ++i) {
    GMimeObject* child = g_mime_multipart_get_part(multi, i);
    // The first child's header starts after the preamble and the first delimiter line, which
    // only its first header field's offset tells; each later one right after the delimiter line
    // that ended the child before it.
    if (i == 0) header = FirstHeaderOffset(child);
    std::optional<int64_t> delimiter = ctx.recorder.ChildEnd(child);
    int64_t end = delimiter ? BeforeDelimiter(ctx.raw, *delimiter) : out.end_offset;
    Extent extent{header >= 0 ? std::max(header, out.body_offset) : -1,
                  std::min(end, out.end_offset)};
    Walk(child, prefix + std::to_string(i + 1), depth + 1, extent, ctx,
         out.children.emplace_back());
    header = delimiter ? NextLine(ctx.raw, *delimiter) : -1;
  }
}

// The embedded message's header and body make one child, laid over the message/rfc822 body.
void WalkEmbedded(GMimeMessagePart* part, int depth, const WalkContext& ctx, Part& out) {
  GMimeMessage* inner = g_mime_message_part_get_message(part);
  GMimeObject* inner_body = inner ? g_mime_message_get_mime_part(inner) : nullptr;
  if (!inner_body) return;
  // IMAP numbers a single-part body inside message/rfc822 as ".1" of that part.
  std::string inner_id = GMIME_IS_MULTIPART(inner_body) ? out.part_id : out.part_id + ".1";
  Walk(inner_body, inner_id, depth + 1, Extent{out.body_offset, out.end_offset}, ctx,
       out.children.emplace_back());
}

void WalkLeaf(GMimePart* part, Part& out, Summary& summary) {
  out.description = Str(g_mime_part_get_content_description(part));
  out.location = Str(g_mime_part_get_content_location(part));
  out.filename = Str(g_mime_part_get_filename(part));
  bool is_text = out.type == "text";
  if (out.disposition == "attachment" || (!is_text && !out.filename.empty())) {
    summary.has_attachment = true;
  }
}

void Walk(GMimeObject* object, const std::string& part_id, int depth, Extent extent,
          const WalkContext& ctx, Part& out) {
  out.part_id = part_id;
  DescribeHeaders(object, out);
  // The type says what GMime made of the part even where the Content-Type says otherwise, e.g.
  // a multipart type its parser could not read, which it takes for text/plain.
  if (GMIME_IS_MULTIPART(object) != (out.type == "multipart")) {
    bool multi = GMIME_IS_MULTIPART(object);
    out.type = multi ? "multipart" : "text";
    out.subtype = multi ? "mixed" : "plain";
  }
  Locate(object, extent, ctx, out);
  if (depth >= kMaxDepth) return;
  if (GMIME_IS_MULTIPART(object)) {
    WalkChildren(GMIME_MULTIPART(object), depth, ctx, out);
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    WalkEmbedded(GMIME_MESSAGE_PART(object), depth, ctx, out);
  } else if (GMIME_IS_PART(object)) {
    WalkLeaf(GMIME_PART(object), out, ctx.summary);
  }
}

// GMime could not read the message's header: all of the message counts as header, none as body.
void LocateUnreadable(int64_t size, Part& body) {
  body.part_id = std::string("1");  // not = "1": GCC 12 warns falsely (-Wrestrict, PR 105329)
  body.header_offset = 0;
  body.body_offset = body.end_offset = size;
}

// Folds runs of white space into one space and cuts at kPreviewLength characters, never in the
// middle of a UTF-8 sequence. `full` tells whether it stopped at the limit, not at the end.
std::string FoldPreview(std::string_view text, bool& full) {
  std::string out;
  size_t chars = 0;
  bool space = false;
  full = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    bool starts_char = (c & 0xC0) != 0x80;  // not a UTF-8 continuation octet
    if (starts_char) {
      if (chars + (space ? 2 : 1) > kPreviewLength) {
        full = true;
        break;
      }
      if (space) {
        out += ' ';
        ++chars;
        space = false;
      }
      ++chars;
    }
    out += static_cast<char>(c);
  }
  return out;
}

std::string StripHtml(std::string_view html) {
  std::string text;
  bool in_tag = false;
  for (char c : html) {
    if (c == '<') {
      in_tag = true;
      text += ' ';
    } else if (c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      text += c;
    }
  }
  return text;
}

// The first inline text/`subtype` leaf under `part`, depth first through multiparts (not into
// attached messages); null when there is none.
const Part* FirstTextPart(const Part& part, std::string_view subtype, int depth = 0) {
  if (depth > 16) return nullptr;
  if (part.type == "multipart") {
    for (const Part& child : part.children) {
      if (const Part* found = FirstTextPart(child, subtype, depth + 1)) return found;
    }
    return nullptr;
  }
  if (part.type != "text" || part.subtype != subtype || part.disposition == "attachment") {
    return nullptr;
  }
  return &part;
}

// Octets of a text body decoded for a preview at first: enough for kPreviewLength characters
// of any but the most white or tag-laden text. Decoding all of a 10 KiB body cost ~2% of the
// SMTP intake's CPU.
constexpr size_t kPreviewSource = 4096;

// RFC 8621 4.1.4: the start of the text body, plain text preferred over HTML, found anywhere
// in the multipart tree (GMime's g_mime_message_get_body, used before, looked only at the
// first part of a multipart/signed and the first text leaf of a multipart/mixed). Decodes the
// start of the part, and all of it only when that start was too short to fill the preview.
std::string PreviewOf(const Part& body, std::string_view raw) {
  const Part* part = FirstTextPart(body, "plain");
  if (!part) part = FirstTextPart(body, "html");
  if (!part || part->body_offset < 0 || part->end_offset > static_cast<int64_t>(raw.size())) {
    return {};
  }
  std::string_view octets = raw.substr(part->body_offset, part->end_offset - part->body_offset);
  bool html = part->subtype == "html";
  for (size_t take = kPreviewSource;; take = octets.size()) {
    bool cut = take < octets.size();
    std::string text = DecodeText(octets.substr(0, take), part->encoding, part->charset).text;
    // A character the cut split decodes to a U+FFFD per octet: they are not in the message.
    while (cut && text.ends_with("\xEF\xBF\xBD")) text.resize(text.size() - 3);
    bool full = false;
    std::string preview = FoldPreview(html ? StripHtml(text) : text, full);
    if (!cut || full) return preview;
  }
}

}  // namespace

void EnsureGmime() { InitGmime(); }

Summary Parse(std::string_view message) {
  InitGmime();
  Summary summary;
  summary.offsets_known = true;
  auto size = static_cast<int64_t>(message.size());
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  // Leaf contents stay substreams of `stream`, so their bounds are offsets in `message`.
  g_mime_parser_set_persist_stream(parser.p, TRUE);
  ParseRecorder recorder(parser.p);
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, nullptr));
  recorder.Finish();
  if (!msg.p) {
    LocateUnreadable(size, summary.body);
    return summary;
  }
  auto* object = GMIME_OBJECT(msg.p);
  summary.message_id = Str(g_mime_message_get_message_id(msg.p));
  summary.in_reply_to = MessageIds(object, "In-Reply-To");
  summary.references = MessageIds(object, "References");
  summary.subject = Str(g_mime_message_get_subject(msg.p));
  AppendAddresses(g_mime_message_get_from(msg.p), summary.from);
  AppendAddresses(g_mime_message_get_sender(msg.p), summary.sender);
  AppendAddresses(g_mime_message_get_reply_to(msg.p), summary.reply_to);
  AppendAddresses(g_mime_message_get_to(msg.p), summary.to);
  AppendAddresses(g_mime_message_get_cc(msg.p), summary.cc);
  AppendAddresses(g_mime_message_get_bcc(msg.p), summary.bcc);
  if (GDateTime* date = g_mime_message_get_date(msg.p)) {
    summary.sent_at = g_date_time_to_unix(date);
  }
  if (GMimeObject* top = g_mime_message_get_mime_part(msg.p)) {
    WalkContext ctx{message, recorder, summary};
    Walk(top, GMIME_IS_MULTIPART(top) ? "" : "1", 0, Extent{0, size}, ctx, summary.body);
  } else {
    LocateUnreadable(size, summary.body);
  }
  summary.preview = PreviewOf(summary.body, message);
  return summary;
}

}  // namespace pushmail::mime
