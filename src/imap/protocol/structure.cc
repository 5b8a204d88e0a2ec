#include "imap/protocol/structure.h"

#include <optional>
#include <vector>

#include "base/base64.h"
#include "imap/protocol/chars.h"
#include "imap/protocol/datetime.h"
#include "imap/protocol/format.h"

namespace pushmail::imap {
namespace {

// 45 octets make 60 base64 characters: "=?UTF-8?B?" + 60 + "?=" is 72 <= 75.
constexpr size_t kWordOctets = 45;

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (chars::Is8Bit(c)) return false;
  }
  return true;
}

std::string Upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = chars::ToUpper(c);
  return out;
}

// A string from decoded header text: raw for UTF-8 clients, encoded words for the others.
void AppendText(std::string& out, std::string_view text, bool utf8) {
  AppendString(out, utf8 ? std::string(text) : EncodeWords(text), utf8);
}

void AppendNText(std::string& out, std::string_view text, bool utf8) {
  if (text.empty()) {
    out += "NIL";
  } else {
    AppendText(out, text, utf8);
  }
}

void AppendAddresses(std::string& out, const std::vector<mime::Address>& list, bool utf8) {
  if (list.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (const mime::Address& a : list) {
    size_t at = a.email.rfind('@');
    std::string_view mailbox = std::string_view(a.email).substr(0, at);
    std::string_view host =
        at == std::string::npos ? std::string_view() : std::string_view(a.email).substr(at + 1);
    out += '(';
    AppendNText(out, a.name, utf8);
    out += " NIL ";
    AppendString(out, mailbox, utf8);
    out += ' ';
    AppendString(out, host, utf8);
    out += ')';
  }
  out += ')';
}

void AppendParams(std::string& out, const std::vector<std::pair<std::string, std::string>>& params,
                  bool utf8) {
  if (params.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (size_t i = 0; i < params.size(); ++i) {
    if (i > 0) out += ' ';
    AppendString(out, Upper(params[i].first), utf8);
    out += ' ';
    AppendText(out, params[i].second, utf8);
  }
  out += ')';
}

std::vector<std::pair<std::string, std::string>> ParamsOf(const mime::Part& part) {
  std::vector<std::pair<std::string, std::string>> params = part.params;
  if (part.type != "text") return params;
  for (const auto& p : params) {
    if (chars::EqualsIgnoreCase(p.first, "charset")) return params;
  }
  params.emplace_back("charset", "us-ascii");
  return params;
}

void AppendDisposition(std::string& out, const mime::Part& part, bool utf8) {
  if (part.disposition.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  AppendString(out, Upper(part.disposition), utf8);
  out += ' ';
  std::vector<std::pair<std::string, std::string>> params;
  if (!part.filename.empty()) params.emplace_back("filename", part.filename);
  AppendParams(out, params, utf8);
  out += ')';
}

void AppendLanguage(std::string& out, std::string_view header, bool utf8) {
  std::vector<std::string> tags;
  for (size_t start = 0; start <= header.size();) {
    size_t comma = std::min(header.find(',', start), header.size());
    std::string_view tag = header.substr(start, comma - start);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (!tag.empty()) tags.emplace_back(tag);
    start = comma + 1;
  }
  if (tags.size() == 1) return AppendString(out, tags[0], utf8);
  if (tags.empty()) {
    out += "NIL";
    return;
  }
  out += '(';
  for (size_t i = 0; i < tags.size(); ++i) {
    if (i > 0) out += ' ';
    AppendString(out, tags[i], utf8);
  }
  out += ')';
}

// disposition SP language SP location, shared by both kinds of extension data.
void AppendExtensionTail(std::string& out, const mime::Part& part, bool utf8) {
  out += ' ';
  AppendDisposition(out, part, utf8);
  out += ' ';
  AppendLanguage(out, part.language, utf8);
  out += ' ';
  AppendNText(out, part.location, utf8);
}

const mime::Part& EmptyText() {
  static const mime::Part* empty = new mime::Part();
  return *empty;
}

void AppendMultipart(std::string& out, const mime::Part& part, bool extended, bool utf8,
                     const EmbeddedSummary& embedded) {
  out += '(';
  if (part.children.empty()) AppendBodyStructure(out, EmptyText(), extended, utf8);
  for (const mime::Part& child : part.children) {
    AppendBodyStructure(out, child, extended, utf8, embedded);
  }
  out += ' ';
  AppendString(out, Upper(part.subtype), utf8);
  if (extended) {
    out += ' ';
    AppendParams(out, part.params, utf8);
    AppendExtensionTail(out, part, utf8);
  }
  out += ')';
}

void AppendEmbedded(std::string& out, const mime::Part& part, bool extended, bool utf8,
                    const EmbeddedSummary& embedded) {
  out += ' ';
  std::optional<mime::Summary> summary;
  if (embedded) summary = embedded(part);
  if (summary) {
    AppendEnvelope(out, *summary, utf8);
  } else {
    out += "(NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL)";
  }
  out += ' ';
  const mime::Part& inner = part.children.empty() ? EmptyText() : part.children[0];
  AppendBodyStructure(out, inner, extended, utf8, embedded);
}

void AppendSinglePart(std::string& out, const mime::Part& part, bool extended, bool utf8,
                      const EmbeddedSummary& embedded) {
  out += '(';
  AppendString(out, Upper(part.type), utf8);
  out += ' ';
  AppendString(out, Upper(part.subtype), utf8);
  out += ' ';
  AppendParams(out, ParamsOf(part), utf8);
  out += ' ';
  AppendNText(out, part.id, utf8);
  out += ' ';
  AppendNText(out, part.description, utf8);
  out += ' ';
  AppendString(out, part.encoding.empty() ? std::string("7BIT") : Upper(part.encoding), utf8);
  out.append(" ").append(std::to_string(part.size));
  bool message = part.type == "message" && (part.subtype == "rfc822" || part.subtype == "global");
  if (message) AppendEmbedded(out, part, extended, utf8, embedded);
  if (message || part.type == "text") out.append(" ").append(std::to_string(part.lines));
  if (extended) {
    out += " NIL";  // MD5: pushmail does not compute Content-MD5
    AppendExtensionTail(out, part, utf8);
  }
  out += ')';
}

}  // namespace

std::string EncodeWords(std::string_view text) {
  if (IsAscii(text)) return std::string(text);
  std::string out;
  while (!text.empty()) {
    size_t n = std::min(text.size(), kWordOctets);
    // Back up to the start of a UTF-8 character, unless that would leave nothing.
    size_t cut = n;
    while (cut < text.size() && cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    if (cut == 0) cut = n;
    if (!out.empty()) out += ' ';
    out.append("=?UTF-8?B?").append(EncodeBase64(text.substr(0, cut))).append("?=");
    text.remove_prefix(cut);
  }
  return out;
}

void AppendEnvelope(std::string& out, const mime::Summary& s, bool utf8) {
  out += '(';
  if (s.sent_at) {
    AppendString(out, FormatRfc5322Date(DateTime{*s.sent_at, 0}), utf8);
  } else {
    out += "NIL";
  }
  out += ' ';
  AppendNText(out, s.subject, utf8);
  for (const auto* list : {&s.from, s.sender.empty() ? &s.from : &s.sender,
                           s.reply_to.empty() ? &s.from : &s.reply_to, &s.to, &s.cc, &s.bcc}) {
    out += ' ';
    AppendAddresses(out, *list, utf8);
  }
  out += ' ';
  std::string in_reply_to;
  for (const std::string& id : s.in_reply_to) {
    in_reply_to.append(in_reply_to.empty() ? "<" : " <").append(id).append(">");
  }
  AppendNText(out, in_reply_to, utf8);
  out += ' ';
  std::string message_id;
  if (!s.message_id.empty()) message_id.append("<").append(s.message_id).append(">");
  AppendNText(out, message_id, utf8);
  out += ')';
}

void AppendBodyStructure(std::string& out, const mime::Part& part, bool extended, bool utf8,
                         const EmbeddedSummary& embedded) {
  if (part.type == "multipart") return AppendMultipart(out, part, extended, utf8, embedded);
  AppendSinglePart(out, part, extended, utf8, embedded);
}

}  // namespace pushmail::imap
