#include "client/message_text.h"

#include <cctype>

#include "client/html_text.h"
#include "client/mail.h"
#include "mime/headers.h"

namespace pushmail::client {

namespace {

constexpr int kMaxDepth = 32;

std::string AddressLine(const std::vector<mime::Address>& list) {
  std::string out;
  for (const auto& a : list) {
    if (!out.empty()) out += ", ";
    out += DisplayAddress(a.name, a.email);
  }
  return out;
}

bool IsAttachment(const mime::Part& p) {
  if (p.disposition == "attachment" || p.type == "message") return true;
  if (p.type == "text" && (p.subtype == "plain" || p.subtype == "html")) return false;
  return p.children.empty() && p.type != "multipart";
}

std::string PartText(std::string_view raw, const mime::Part& p) {
  mime::Text t =
      mime::DecodeText(mime::Slice(raw, {p.body_offset, p.end_offset}), p.encoding, p.charset);
  return p.subtype == "html" ? HtmlToReadableText(t.text) : t.text;
}

void Append(std::string& out, const std::string& text) {
  if (text.empty()) return;
  if (!out.empty() && !out.ends_with("\n\n")) out += out.ends_with('\n') ? "\n" : "\n\n";
  out += text;
}

void Collect(std::string_view raw, const mime::Part& p, int depth, MessageText& out) {
  if (depth > kMaxDepth) return;
  if (p.type == "multipart" && p.subtype == "alternative" && !p.children.empty()) {
    // The plain text when there is one, else the last (richest) part the client can show.
    const mime::Part* pick = nullptr;
    for (const auto& c : p.children) {
      if (c.type == "text" && c.subtype == "plain" && c.disposition != "attachment") pick = &c;
    }
    if (!pick) pick = &p.children.back();
    Collect(raw, *pick, depth + 1, out);
    return;
  }
  if (!p.children.empty() && p.type == "multipart") {
    for (const auto& c : p.children) Collect(raw, c, depth + 1, out);
    return;
  }
  if (IsAttachment(p)) {
    std::string type = p.type + "/" + p.subtype;
    out.attachments.push_back({p.part_id, p.filename, type, p.size});
    return;
  }
  Append(out.text, PartText(raw, p));
}

}  // namespace

MessageText RenderMessage(std::string_view raw) {
  MessageText out;
  out.summary = mime::Parse(raw);
  const mime::Summary& s = out.summary;
  auto add = [&out](const char* name, std::string value) {
    if (!value.empty()) out.headers.emplace_back(name, std::move(value));
  };
  add("From", AddressLine(s.from));
  add("To", AddressLine(s.to));
  add("Cc", AddressLine(s.cc));
  if (s.sent_at) {
    add("Date", mime::FormatRfc5322Date({*s.sent_at, 0}));
  }
  add("Subject", s.subject);
  Collect(raw, s.body, 0, out);
  while (!out.text.empty() && std::isspace(static_cast<unsigned char>(out.text.back()))) {
    out.text.pop_back();
  }
  if (!out.text.empty()) out.text += '\n';
  return out;
}

std::string AttachmentContent(std::string_view raw, const MessageText& message,
                              const Attachment& attachment) {
  auto section = mime::FindSection(message.summary, attachment.part_id);
  if (!section || !section->part) return {};
  auto decoded = mime::DecodeBody(mime::Slice(raw, section->body), section->part->encoding);
  return decoded ? *decoded : std::string(mime::Slice(raw, section->body));
}

std::string SafeFilename(std::string_view name, size_t n) {
  if (auto slash = name.find_last_of("/\\"); slash != std::string_view::npos) {
    name.remove_prefix(slash + 1);
  }
  std::string out;
  for (char c : name) {
    if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
  }
  while (!out.empty() && (out.front() == '.' || out.front() == ' ')) out.erase(0, 1);
  if (out.size() > 200) out.resize(200);
  return out.empty() ? "attachment-" + std::to_string(n) : out;
}

}  // namespace pushmail::client
