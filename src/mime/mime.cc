#include "mime/mime.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <mutex>

namespace pushmail::mime {
namespace {

constexpr int kMaxDepth = 64;  // deeper MIME trees are cut here, not recursed into

void InitGmime() {
  static std::once_flag once;
  std::call_once(once, [] { g_mime_init(); });
}

// Owns a GObject reference.
template <class T>
struct Ref {
  T* p;
  explicit Ref(T* ptr) : p(ptr) {}
  Ref(const Ref&) = delete;
  Ref& operator=(const Ref&) = delete;
  ~Ref() {
    if (p) g_object_unref(p);
  }
};

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

std::string Lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

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

// Counts the octets and lines of a leaf part's body as it was transferred.
void MeasureBody(GMimePart* part, Part& out) {
  GMimeDataWrapper* content = g_mime_part_get_content(part);
  if (!content) return;
  GMimeStream* stream = g_mime_data_wrapper_get_stream(content);
  if (!stream) return;
  g_mime_stream_reset(stream);
  char buf[8192];
  bool last_was_newline = true;
  for (;;) {
    ssize_t n = g_mime_stream_read(stream, buf, sizeof buf);
    if (n <= 0) break;
    out.size += n;
    out.lines += std::count(buf, buf + n, '\n');
    last_was_newline = buf[n - 1] == '\n';
  }
  if (!last_was_newline) ++out.lines;
  g_mime_stream_reset(stream);
}

void DescribeHeaders(GMimeObject* object, Part& out) {
  GMimeContentType* ct = g_mime_object_get_content_type(object);
  if (ct) {
    out.type = Lower(Str(g_mime_content_type_get_media_type(ct)));
    out.subtype = Lower(Str(g_mime_content_type_get_media_subtype(ct)));
    GMimeParamList* params = g_mime_content_type_get_parameters(ct);
    int n = params ? g_mime_param_list_length(params) : 0;
    for (int i = 0; i < n; ++i) {
      GMimeParam* p = g_mime_param_list_get_parameter_at(params, i);
      out.params.emplace_back(Lower(Str(g_mime_param_get_name(p))), Str(g_mime_param_get_value(p)));
    }
    out.charset = Str(g_mime_content_type_get_parameter(ct, "charset"));
  }
  if (GMimeContentDisposition* cd = g_mime_object_get_content_disposition(object)) {
    out.disposition = Lower(Str(g_mime_content_disposition_get_disposition(cd)));
  }
  out.id = Str(g_mime_object_get_content_id(object));
  out.language = Str(g_mime_object_get_header(object, "Content-Language"));
}

void Walk(GMimeObject* object, const std::string& part_id, int depth, Part& out, Summary& summary);

void WalkLeaf(GMimePart* part, Part& out, Summary& summary) {
  out.description = Str(g_mime_part_get_content_description(part));
  out.location = Str(g_mime_part_get_content_location(part));
  out.filename = Str(g_mime_part_get_filename(part));
  GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
  if (enc != GMIME_CONTENT_ENCODING_DEFAULT) {
    out.encoding = Lower(Str(g_mime_content_encoding_to_string(enc)));
  }
  MeasureBody(part, out);
  bool is_text = out.type == "text";
  if (out.disposition == "attachment" || (!is_text && !out.filename.empty())) {
    summary.has_attachment = true;
  }
}

void Walk(GMimeObject* object, const std::string& part_id, int depth, Part& out, Summary& summary) {
  out.part_id = part_id;
  DescribeHeaders(object, out);
  if (depth >= kMaxDepth) return;
  std::string prefix = part_id.empty() ? "" : part_id + ".";
  if (GMIME_IS_MULTIPART(object)) {
    GMimeMultipart* multi = GMIME_MULTIPART(object);
    int n = g_mime_multipart_get_count(multi);
    for (int i = 0; i < n; ++i) {
      Part& child = out.children.emplace_back();
      Walk(g_mime_multipart_get_part(multi, i), prefix + std::to_string(i + 1), depth + 1, child,
           summary);
    }
  } else if (GMIME_IS_MESSAGE_PART(object)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(object));
    GMimeObject* inner_body = inner ? g_mime_message_get_mime_part(inner) : nullptr;
    if (inner_body) {
      Part& child = out.children.emplace_back();
      // IMAP numbers a single-part body inside message/rfc822 as ".1" of that part.
      std::string inner_id = GMIME_IS_MULTIPART(inner_body) ? part_id : prefix + "1";
      Walk(inner_body, inner_id, depth + 1, child, summary);
    }
  } else if (GMIME_IS_PART(object)) {
    WalkLeaf(GMIME_PART(object), out, summary);
  }
}

// Folds runs of white space into one space and cuts at kPreviewLength characters, never in the
// middle of a UTF-8 sequence.
std::string FoldPreview(std::string_view text) {
  std::string out;
  size_t chars = 0;
  bool space = false;
  for (unsigned char c : text) {
    if (std::isspace(c)) {
      space = !out.empty();
      continue;
    }
    bool starts_char = (c & 0xC0) != 0x80;  // not a UTF-8 continuation octet
    if (starts_char) {
      if (chars + (space ? 2 : 1) > kPreviewLength) break;
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

std::string PreviewOf(GMimeMessage* message) {
  GMimeObject* body = g_mime_message_get_body(message);
  if (!body || !GMIME_IS_TEXT_PART(body)) return {};
  char* text = g_mime_text_part_get_text(GMIME_TEXT_PART(body));
  if (!text) return {};
  std::string raw(text);
  g_free(text);
  GMimeContentType* ct = g_mime_object_get_content_type(body);
  bool html = ct && g_mime_content_type_is_type(ct, "text", "html");
  return FoldPreview(html ? StripHtml(raw) : raw);
}

}  // namespace

Summary Parse(std::string_view message) {
  InitGmime();
  Summary summary;
  Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(message.data(), message.size()));
  Ref<GMimeParser> parser(g_mime_parser_new_with_stream(stream.p));
  Ref<GMimeMessage> msg(g_mime_parser_construct_message(parser.p, nullptr));
  if (!msg.p) return summary;
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
    bool multi = GMIME_IS_MULTIPART(top);
    Walk(top, multi ? "" : "1", 0, summary.body, summary);
  }
  summary.preview = PreviewOf(msg.p);
  return summary;
}

}  // namespace pushmail::mime
