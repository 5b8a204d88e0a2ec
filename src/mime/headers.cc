// Header field forms, body text and search text for JMAP (RFC 8621 4.1), by GMime and glib.
#include "mime/headers.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <cerrno>
#include <ctime>

#include "base/strings.h"
#include "mime/gobject.h"
#include "mime/recorder.h"

namespace pushmail::mime {
namespace {

constexpr size_t kMaxSearchBody = 1 << 20;  // octets of body text the index takes per message

std::string Str(const char* s) { return s ? std::string(s) : std::string(); }

// Owns a g_malloc'ed string.
std::string Take(char* s) {
  std::string out = Str(s);
  g_free(s);
  return out;
}

std::string_view TrimView(std::string_view s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") + 1 - b);
}

// The value with every line break removed (RFC 5322 2.2.3 unfolding).
std::string Unfold(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    if (c != '\r' && c != '\n') out += c;
  }
  return out;
}

std::string ValidUtf8(std::string_view s) {
  if (g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return std::string(s);
  return Take(g_utf8_make_valid(s.data(), static_cast<gssize>(s.size())));
}

Address MailboxOf(InternetAddress* a) {
  return {ValidUtf8(Str(internet_address_get_name(a))),
          Str(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))};
}

void Flatten(InternetAddressList* list, std::vector<Address>& out, int depth) {
  if (!list || depth > 2) return;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      out.push_back(MailboxOf(a));
    } else if (INTERNET_ADDRESS_IS_GROUP(a)) {
      Flatten(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), out, depth + 1);
    }
  }
}

InternetAddressList* ParseList(std::string_view raw) {
  EnsureGmime();
  std::string value = Unfold(raw);
  return internet_address_list_parse(nullptr, value.c_str());
}

GMimeFormatOptions* CrlfOptions() {
  static GMimeFormatOptions* options = [] {
    EnsureGmime();
    GMimeFormatOptions* o = g_mime_format_options_new();
    g_mime_format_options_set_newline_format(o, GMIME_NEWLINE_FORMAT_DOS);
    return o;
  }();
  return options;
}

void AppendLine(std::string& out, std::string_view text) {
  if (text.empty()) return;
  if (!out.empty()) out += '\n';
  out += text;
}

std::string AddressText(const std::vector<Address>& list) {
  std::string out;
  for (const auto& a : list) AppendLine(out, a.name.empty() ? a.email : a.name + " " + a.email);
  return out;
}

void CollectBodyText(std::string_view message, const Part& p, int depth, std::string& out) {
  if (depth > 32 || out.size() >= kMaxSearchBody) return;
  for (const auto& c : p.children) CollectBodyText(message, c, depth + 1, out);
  if (!p.children.empty() || p.type != "text" || p.disposition == "attachment") return;
  if (p.subtype != "plain" && p.subtype != "html") return;
  Text t = DecodeText(Slice(message, {p.body_offset, p.end_offset}), p.encoding, p.charset);
  AppendLine(out, p.subtype == "html" ? HtmlToText(t.text) : t.text);
  if (out.size() > kMaxSearchBody) out.resize(CutUtf8(out, kMaxSearchBody).size());
}

// Decodes one HTML character reference starting at `html[i]` == '&'; returns octets used.
size_t DecodeEntity(std::string_view html, size_t i, std::string& out) {
  static constexpr std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp", "&"}, {"lt", "<"}, {"gt", ">"}, {"quot", "\""}, {"apos", "'"}, {"nbsp", " "}};
  size_t semi = html.find(';', i);
  if (semi == std::string_view::npos || semi - i > 10) {
    out += '&';
    return 1;
  }
  std::string_view name = html.substr(i + 1, semi - i - 1);
  if (!name.empty() && name[0] == '#') {
    bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
    std::string digits(name.substr(hex ? 2 : 1));
    char* end = nullptr;
    unsigned long cp = std::strtoul(digits.c_str(), &end, hex ? 16 : 10);
    if (!digits.empty() && end && *end == '\0' && cp > 0 && cp < 0x110000) {
      char buf[8];
      int n = g_unichar_to_utf8(static_cast<gunichar>(cp), buf);
      out.append(buf, n);
      return semi - i + 1;
    }
  }
  for (const auto& [n, v] : kNamed) {
    if (name == n) {
      out += v;
      return semi - i + 1;
    }
  }
  out += '&';
  return 1;
}

}  // namespace

std::vector<HeaderField> SplitHeader(std::string_view block) {
  std::vector<HeaderField> fields;
  size_t pos = 0;
  while (pos < block.size()) {
    size_t eol = block.find('\n', pos);
    size_t next = eol == std::string_view::npos ? block.size() : eol + 1;
    std::string_view line = block.substr(pos, next - pos);
    std::string_view content = line;
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r')) {
      content.remove_suffix(1);
    }
    if (content.empty()) break;  // the blank line that ends the header
    if ((content[0] == ' ' || content[0] == '\t') && !fields.empty()) {
      fields.back().value += "\r\n";
      fields.back().value += content;
    } else if (size_t colon = content.find(':'); colon != std::string_view::npos) {
      fields.push_back({std::string(TrimView(content.substr(0, colon))),
                        std::string(content.substr(colon + 1))});
    }
    pos = next;
  }
  return fields;
}

std::string HeaderText(std::string_view raw) {
  EnsureGmime();
  std::string value = Unfold(raw);
  std::string decoded = ValidUtf8(Take(g_mime_utils_header_decode_text(nullptr, value.c_str())));
  std::string trimmed(TrimView(decoded));
  return Take(g_utf8_normalize(trimmed.c_str(), -1, G_NORMALIZE_NFC));
}

std::vector<Address> HeaderAddresses(std::string_view raw) {
  std::vector<Address> out;
  InternetAddressList* list = ParseList(raw);
  if (!list) return out;
  Flatten(list, out, 0);
  g_object_unref(list);
  return out;
}

std::vector<AddressGroup> HeaderGroupedAddresses(std::string_view raw) {
  std::vector<AddressGroup> out;
  InternetAddressList* list = ParseList(raw);
  if (!list) return out;
  int n = internet_address_list_length(list);
  for (int i = 0; i < n; ++i) {
    InternetAddress* a = internet_address_list_get_address(list, i);
    if (INTERNET_ADDRESS_IS_GROUP(a)) {
      AddressGroup g{ValidUtf8(Str(internet_address_get_name(a))), {}};
      Flatten(internet_address_group_get_members(INTERNET_ADDRESS_GROUP(a)), g.addresses, 1);
      out.push_back(std::move(g));
    } else if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
      if (out.empty() || out.back().name) out.push_back({});
      out.back().addresses.push_back(MailboxOf(a));
    }
  }
  g_object_unref(list);
  return out;
}

std::optional<std::vector<std::string>> HeaderMessageIds(std::string_view raw) {
  EnsureGmime();
  std::string value = Unfold(raw);
  GMimeReferences* refs = g_mime_references_parse(nullptr, value.c_str());
  if (!refs) return std::nullopt;
  std::vector<std::string> ids;
  int n = g_mime_references_length(refs);
  ids.reserve(n);
  for (int i = 0; i < n; ++i) ids.push_back(Str(g_mime_references_get_message_id(refs, i)));
  g_mime_references_free(refs);
  if (ids.empty()) return std::nullopt;
  return ids;
}

std::optional<ZonedTime> HeaderDate(std::string_view raw) {
  EnsureGmime();
  std::string value = Unfold(raw);
  GDateTime* date = g_mime_utils_header_decode_date(value.c_str());
  if (!date) return std::nullopt;
  ZonedTime t{g_date_time_to_unix(date),
              static_cast<int>(g_date_time_get_utc_offset(date) / G_TIME_SPAN_MINUTE)};
  g_date_time_unref(date);
  return t;
}

std::optional<std::vector<std::string>> HeaderUrls(std::string_view raw) {
  std::string value = Unfold(raw);
  std::vector<std::string> urls;
  size_t pos = 0;
  int depth = 0;  // inside a comment
  std::string current;
  bool in_url = false;
  for (; pos < value.size(); ++pos) {
    char c = value[pos];
    if (in_url) {
      if (c == '>') {
        urls.push_back(std::move(current));
        current.clear();
        in_url = false;
      } else if (c != ' ' && c != '\t') {
        current += c;
      }
    } else if (c == '(') {
      ++depth;
    } else if (c == ')' && depth > 0) {
      --depth;
    } else if (c == '<' && depth == 0) {
      in_url = true;
    }
  }
  if (urls.empty()) return std::nullopt;
  return urls;
}

std::string FormatDate(const ZonedTime& t) {
  std::time_t local = static_cast<std::time_t>(t.unix_seconds + t.offset_minutes * 60LL);
  std::tm tm{};
  gmtime_r(&local, &tm);
  char out[40];
  size_t n = std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string s(out, n);
  if (t.offset_minutes == 0) return s + "Z";
  int m = std::abs(t.offset_minutes);
  char zone[16];
  std::snprintf(zone, sizeof zone, "%c%02d:%02d", t.offset_minutes < 0 ? '-' : '+', m / 60, m % 60);
  return s + zone;
}

Text DecodeText(std::string_view body, std::string_view encoding, std::string_view charset) {
  EnsureGmime();
  Text out;
  auto decoded = DecodeBody(body, encoding);
  std::string octets;
  if (decoded) {
    octets = std::move(*decoded);
  } else {
    out.problem = true;
    octets = std::string(body);
  }
  std::string name = AsciiLower(TrimView(charset));
  if (name.empty() || name == "utf-8" || name == "utf8" || name == "us-ascii" || name == "ascii") {
    // Undeclared 8-bit text is taken for UTF-8, its superset in practice.
    if (!g_utf8_validate(octets.data(), static_cast<gssize>(octets.size()), nullptr)) {
      out.problem = true;
      out.text = ValidUtf8(octets);
    } else {
      out.text = std::move(octets);
    }
    return out;
  }
  iconv_t cd = g_mime_iconv_open("UTF-8", g_mime_charset_iconv_name(name.c_str()));
  if (cd == reinterpret_cast<iconv_t>(-1)) {  // NOLINT(performance-no-int-to-ptr): iconv's API
    out.problem = true;
    out.text = ValidUtf8(octets);
    return out;
  }
  std::string result;
  char* in = octets.data();
  size_t in_left = octets.size();
  char buffer[4096];
  while (in_left > 0) {
    char* o = buffer;
    size_t out_left = sizeof buffer;
    size_t rc = iconv(cd, &in, &in_left, &o, &out_left);
    result.append(buffer, o - buffer);
    if (rc == static_cast<size_t>(-1)) {
      if (errno == E2BIG) continue;
      // EILSEQ, or EINVAL for a sequence cut off by the end: one octet becomes U+FFFD.
      out.problem = true;
      result += "\xEF\xBF\xBD";
      ++in;
      --in_left;
    }
  }
  char* o = buffer;
  size_t out_left = sizeof buffer;
  iconv(cd, nullptr, nullptr, &o, &out_left);
  result.append(buffer, o - buffer);
  g_mime_iconv_close(cd);
  out.text = ValidUtf8(result);
  return out;
}

std::string HtmlToText(std::string_view html) {
  std::string out;
  size_t i = 0;
  auto skip_to = [&](std::string_view end) {
    size_t at = html.find(end, i);
    i = at == std::string_view::npos ? html.size() : at + end.size();
  };
  while (i < html.size()) {
    char c = html[i];
    if (c == '<') {
      if (html.substr(i, 4) == "<!--") {
        skip_to("-->");
        continue;
      }
      size_t close = html.find('>', i);
      std::string tag = AsciiLower(html.substr(i + 1, std::min<size_t>(close - i, 16)));
      i = close == std::string_view::npos ? html.size() : close + 1;
      if (tag.starts_with("script")) {
        skip_to("</script");
        skip_to(">");
      } else if (tag.starts_with("style")) {
        skip_to("</style");
        skip_to(">");
      }
      bool block = tag.starts_with("br") || tag.starts_with("p") || tag.starts_with("/p") ||
                   tag.starts_with("div") || tag.starts_with("/div") || tag.starts_with("li") ||
                   tag.starts_with("tr") || tag.starts_with("h") || tag.starts_with("/h");
      out += block ? '\n' : ' ';
      continue;
    }
    if (c == '&') {
      i += DecodeEntity(html, i, out);
      continue;
    }
    out += c;
    ++i;
  }
  // Fold the runs of white space the markup left.
  std::string folded;
  folded.reserve(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    char ch = out[k];
    if (ch == ' ' || ch == '\t' || ch == '\r') {
      if (!folded.empty() && folded.back() != ' ' && folded.back() != '\n') folded += ' ';
    } else if (ch == '\n') {
      while (!folded.empty() && folded.back() == ' ') folded.pop_back();
      if (!folded.empty() && !(folded.size() >= 2 && folded.ends_with("\n\n"))) folded += '\n';
    } else {
      folded += ch;
    }
  }
  return std::string(TrimView(folded));
}

std::string_view CutUtf8(std::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

SearchText ExtractSearchText(std::string_view message, const Summary& given) {
  Summary reparsed;
  const Summary* s = &given;
  if (!given.offsets_known) {
    reparsed = Parse(message);
    s = &reparsed;
  }
  SearchText out;
  out.subject = s->subject;
  out.from = AddressText(s->from);
  out.to = AddressText(s->to);
  out.cc = AddressText(s->cc);
  out.bcc = AddressText(s->bcc);
  CollectBodyText(message, s->body, 0, out.body);
  auto header = Slice(message, {s->body.header_offset, s->body.body_offset});
  for (const auto& field : SplitHeader(header)) {
    AppendLine(out.headers, HeaderToken(field.name, ""));
    for (const auto& w : SearchWords(HeaderText(field.value))) {
      out.headers += ' ';
      out.headers += HeaderToken(field.name, w);
    }
  }
  return out;
}

// --- Composing.

namespace {

GMimeObject* Build(const DraftPart& p, int depth) {
  std::string type = p.type;
  size_t slash = type.find('/');
  std::string major = slash == std::string::npos ? type : type.substr(0, slash);
  std::string minor = slash == std::string::npos ? "octet-stream" : type.substr(slash + 1);
  GMimeObject* object = nullptr;
  if (major == "multipart" && depth < 32) {
    GMimeMultipart* multi = g_mime_multipart_new_with_subtype(minor.c_str());
    for (const auto& child : p.children) {
      GMimeObject* c = Build(child, depth + 1);
      g_mime_multipart_add(multi, c);
      g_object_unref(c);
    }
    object = GMIME_OBJECT(multi);
  } else {
    GMimePart* part = g_mime_part_new_with_type(major.c_str(), minor.c_str());
    Ref<GMimeStream> stream(g_mime_stream_mem_new_with_buffer(p.content.data(), p.content.size()));
    Ref<GMimeDataWrapper> wrapper(
        g_mime_data_wrapper_new_with_stream(stream.p, GMIME_CONTENT_ENCODING_DEFAULT));
    g_mime_part_set_content(part, wrapper.p);
    object = GMIME_OBJECT(part);
    if (!p.charset.empty()) {
      g_mime_object_set_content_type_parameter(object, "charset", p.charset.c_str());
    }
    if (!p.name.empty()) g_mime_part_set_filename(part, p.name.c_str());
    if (major == "message") {
      // RFC 2046 5.2.1: no encoding other than 7bit, 8bit or binary for message/rfc822.
      bool eight = std::any_of(p.content.begin(), p.content.end(),
                               [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
      g_mime_part_set_content_encoding(
          part, eight ? GMIME_CONTENT_ENCODING_8BIT : GMIME_CONTENT_ENCODING_7BIT);
    } else {
      g_mime_part_set_content_encoding(
          part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
    }
    if (!p.location.empty()) g_mime_part_set_content_location(part, p.location.c_str());
  }
  if (!p.disposition.empty()) {
    GMimeContentDisposition* cd = g_mime_object_get_content_disposition(object);
    if (cd) {
      g_mime_content_disposition_set_disposition(cd, p.disposition.c_str());
    } else {
      g_mime_object_set_disposition(object, p.disposition.c_str());
    }
  }
  if (!p.cid.empty()) g_mime_object_set_content_id(object, p.cid.c_str());
  if (!p.language.empty()) {
    std::string list;
    for (const auto& l : p.language) list += (list.empty() ? "" : ", ") + l;
    g_mime_object_append_header(object, "Content-Language", list.c_str(), nullptr);
  }
  for (const auto& h : p.headers) {
    std::string value(TrimView(Unfold(h.value)));
    g_mime_object_append_header(object, h.name.c_str(), value.c_str(), nullptr);
  }
  return object;
}

std::string FoldLine(const std::string& name, const std::string& value) {
  std::string line = name + ":" + (value.starts_with(' ') ? "" : " ") + value;
  if (line.size() <= 78 || line.find('\n') != std::string::npos) return line + "\r\n";
  std::string folded =
      Take(g_mime_utils_unstructured_header_fold(nullptr, CrlfOptions(), line.c_str()));
  if (!folded.ends_with("\n")) folded += "\r\n";
  return folded;
}

}  // namespace

std::string Compose(const std::vector<HeaderField>& headers, const DraftPart& body) {
  EnsureGmime();
  std::string out;
  for (const auto& h : headers) out += FoldLine(h.name, h.value);
  out += "MIME-Version: 1.0\r\n";
  Ref<GMimeObject> object(Build(body, 0));
  out += Take(g_mime_object_to_string(object.p, CrlfOptions()));
  return out;
}

std::string FormatAddresses(const std::vector<AddressGroup>& groups) {
  EnsureGmime();
  Ref<InternetAddressList> list(internet_address_list_new());
  auto mailbox = [](const Address& a) {
    return internet_address_mailbox_new(a.name.empty() ? nullptr : a.name.c_str(), a.email.c_str());
  };
  for (const auto& g : groups) {
    if (g.name) {
      InternetAddress* group = internet_address_group_new(g.name->c_str());
      for (const auto& a : g.addresses) {
        InternetAddress* m = mailbox(a);
        internet_address_group_add_member(INTERNET_ADDRESS_GROUP(group), m);
        g_object_unref(m);
      }
      internet_address_list_add(list.p, group);
      g_object_unref(group);
    } else {
      for (const auto& a : g.addresses) {
        InternetAddress* m = mailbox(a);
        internet_address_list_add(list.p, m);
        g_object_unref(m);
      }
    }
  }
  return Take(internet_address_list_to_string(list.p, CrlfOptions(), TRUE));
}

std::string EncodeText(std::string_view utf8) {
  EnsureGmime();
  std::string value(utf8);
  return Take(g_mime_utils_header_encode_text(CrlfOptions(), value.c_str(), nullptr));
}

std::string FormatMessageIds(const std::vector<std::string>& ids) {
  std::string out;
  for (const auto& id : ids) out += (out.empty() ? "<" : " <") + id + ">";
  return out;
}

std::string FormatRfc5322Date(const ZonedTime& t) {
  EnsureGmime();
  GTimeZone* zone = g_time_zone_new_offset(t.offset_minutes * 60);
  GDateTime* utc = g_date_time_new_from_unix_utc(t.unix_seconds);
  GDateTime* local = g_date_time_to_timezone(utc, zone);
  std::string out = Take(g_mime_utils_header_format_date(local));
  g_date_time_unref(local);
  g_date_time_unref(utc);
  g_time_zone_unref(zone);
  return out;
}

}  // namespace pushmail::mime
