#include "jmap/email_render.h"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "base/strings.h"
#include "jmap/arguments.h"
#include "jmap/blobs.h"
#include "jmap/ids.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

using Form = HeaderProperty::Form;

const std::vector<std::string> kMetadata = {"id",       "blobId", "threadId",  "mailboxIds",
                                            "keywords", "size",   "receivedAt"};
const std::vector<std::string> kFromSummary = {
    "messageId", "inReplyTo", "references", "sender", "from",          "to",     "cc",
    "bcc",       "replyTo",   "subject",    "sentAt", "hasAttachment", "preview"};
const std::vector<std::string> kFromMessage = {"headers",  "bodyStructure", "bodyValues",
                                               "textBody", "htmlBody",      "attachments"};
const std::vector<std::string> kPartProperties = {"partId", "blobId",   "size",     "headers",
                                                  "name",   "type",     "charset",  "disposition",
                                                  "cid",    "language", "location", "subParts"};

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// The forms RFC 8621 4.1.2 allows for a header it names; nullopt for any other header (all).
std::optional<std::vector<Form>> AllowedForms(std::string_view lower) {
  static const std::map<std::string, std::vector<Form>, std::less<>> kKnown = [] {
    std::map<std::string, std::vector<Form>, std::less<>> m;
    for (const char* h :
         {"from", "sender", "reply-to", "to", "cc", "bcc", "resent-from", "resent-sender",
          "resent-reply-to", "resent-to", "resent-cc", "resent-bcc"}) {
      m[h] = {Form::kRaw, Form::kAddresses, Form::kGroupedAddresses};
    }
    for (const char* h : {"message-id", "in-reply-to", "references", "resent-message-id"}) {
      m[h] = {Form::kRaw, Form::kMessageIds};
    }
    for (const char* h : {"date", "resent-date"}) m[h] = {Form::kRaw, Form::kDate};
    for (const char* h : {"list-help", "list-unsubscribe", "list-subscribe", "list-post",
                          "list-owner", "list-archive"}) {
      m[h] = {Form::kRaw, Form::kUrls};
    }
    for (const char* h : {"subject", "comments", "keywords", "list-id"}) {
      m[h] = {Form::kRaw, Form::kText};
    }
    for (const char* h : {"return-path", "received"}) m[h] = {Form::kRaw};
    return m;
  }();
  auto it = kKnown.find(lower);
  if (it == kKnown.end()) return std::nullopt;
  return it->second;
}

json::value NameOrNull(const std::string& s) {
  return s.empty() ? json::value(nullptr) : json::value(json::string(s));
}

json::array AddressList(const std::vector<mime::Address>& list) {
  json::array out;
  for (const auto& a : list)
    out.push_back(json::object{{"name", NameOrNull(a.name)}, {"email", a.email}});
  return out;
}

json::value StringsOrNull(const std::optional<std::vector<std::string>>& list) {
  if (!list) return nullptr;
  json::array out;
  for (const auto& s : *list) out.emplace_back(s);
  return out;
}

json::value Convert(std::string_view raw, Form form) {
  switch (form) {
    case Form::kRaw:
      return json::string(raw);
    case Form::kText:
      return json::string(mime::HeaderText(raw));
    case Form::kAddresses:
      return AddressList(mime::HeaderAddresses(raw));
    case Form::kGroupedAddresses: {
      json::array out;
      for (const auto& g : mime::HeaderGroupedAddresses(raw)) {
        out.push_back(json::object{{"name", g.name ? json::value(json::string(*g.name)) : nullptr},
                                   {"addresses", AddressList(g.addresses)}});
      }
      return out;
    }
    case Form::kMessageIds:
      return StringsOrNull(mime::HeaderMessageIds(raw));
    case Form::kDate: {
      auto d = mime::HeaderDate(raw);
      return d ? json::value(json::string(mime::FormatDate(*d))) : nullptr;
    }
    case Form::kUrls:
      return StringsOrNull(mime::HeaderUrls(raw));
  }
  return nullptr;
}

json::array HeaderList(const std::vector<mime::HeaderField>& fields) {
  json::array out;
  for (const auto& f : fields) out.push_back(json::object{{"name", f.name}, {"value", f.value}});
  return out;
}

// Walks the JMAP view of a message's parts (RFC 8621 4.1.4): a message/rfc822 part is a leaf.
struct PartContext {
  std::string_view message;
  const std::string& blob_id;
  const EmailProperties& props;
};

bool IsMultipart(const mime::Part& p) { return p.type == "multipart"; }
std::string TypeOf(const mime::Part& p) { return p.type + "/" + p.subtype; }

std::vector<mime::HeaderField> PartHeaders(std::string_view message, const mime::Part& p) {
  return mime::SplitHeader(mime::Slice(message, {p.header_offset, p.body_offset}));
}

json::value PartProperty(const mime::Part& p, std::string_view name, const PartContext& ctx) {
  bool multi = IsMultipart(p);
  if (name == "partId") return multi ? json::value(nullptr) : json::string(p.part_id);
  if (name == "blobId") {
    return multi ? json::value(nullptr) : json::string(PartBlobId(ctx.blob_id, p.part_id));
  }
  if (name == "size") {
    if (multi) return p.size;
    auto body = mime::Slice(ctx.message, {p.body_offset, p.end_offset});
    auto decoded = mime::DecodeBody(body, p.encoding);
    return static_cast<int64_t>(decoded ? decoded->size() : body.size());
  }
  if (name == "headers") return HeaderList(PartHeaders(ctx.message, p));
  if (name == "name") return NameOrNull(p.filename);
  if (name == "type") return json::string(TypeOf(p));
  if (name == "charset") {
    if (!p.charset.empty()) return json::string(p.charset);
    return p.type == "text" ? json::value(json::string("us-ascii")) : json::value(nullptr);
  }
  if (name == "disposition") return NameOrNull(p.disposition);
  if (name == "cid") return NameOrNull(p.id);
  if (name == "language") {
    if (p.language.empty()) return nullptr;
    json::array out;
    size_t pos = 0;
    while (pos <= p.language.size()) {
      size_t comma = p.language.find(',', pos);
      if (comma == std::string::npos) comma = p.language.size();
      std::string tag = p.language.substr(pos, comma - pos);
      tag.erase(0, tag.find_first_not_of(" \t"));
      tag.erase(tag.find_last_not_of(" \t") + 1);
      if (!tag.empty()) out.emplace_back(tag);
      pos = comma + 1;
    }
    return out;
  }
  if (name == "location") return NameOrNull(p.location);
  if (name.starts_with("header:")) {
    auto h = ParseHeaderProperty(name);
    return h ? HeaderValue(PartHeaders(ctx.message, p), *h) : nullptr;
  }
  return nullptr;  // subParts of a leaf
}

json::object RenderPart(const mime::Part& p, const PartContext& ctx, bool tree, int depth) {
  json::object o;
  for (const auto& name : ctx.props.body_names) {
    if (name != "subParts") o[name] = PartProperty(p, name, ctx);
  }
  // The tree's multiparts always say what is inside them, whatever bodyProperties lists.
  if (tree && IsMultipart(p) && depth < 64) {
    json::array children;
    for (const auto& c : p.children) children.push_back(RenderPart(c, ctx, true, depth + 1));
    o["subParts"] = std::move(children);
  } else if (Contains(ctx.props.body_names, "subParts")) {
    o["subParts"] = nullptr;  // asked for, and not a multipart (RFC 8621 4.1.4)
  }
  return o;
}

bool IsInlineMedia(const mime::Part& p) {
  return p.type == "image" || p.type == "audio" || p.type == "video";
}

// RFC 8621 4.1.4 parseStructure, as written, over pointers into the Summary. As in the RFC,
// `html` and `text` are this call's own: setting one to null (a text/plain or text/html part
// inside an alternative) holds for the rest of this multipart, the parts after it included.
using PartList = std::vector<const mime::Part*>;
void ParseStructure(const std::vector<const mime::Part*>& parts, std::string_view multipart_type,
                    bool in_alternative, PartList* html, PartList* text, PartList& attachments,
                    int depth) {
  if (depth > 64) return;
  const size_t text_length = text ? text->size() : static_cast<size_t>(-1);
  const size_t html_length = html ? html->size() : static_cast<size_t>(-1);
  for (size_t i = 0; i < parts.size(); ++i) {
    const mime::Part& part = *parts[i];
    const std::string type = TypeOf(part);
    // A body part rather than an attachment: of a body type; of a multipart/related only the
    // first; a text part with a name that is not first is an attachment.
    const bool is_inline =
        part.disposition != "attachment" &&
        (type == "text/plain" || type == "text/html" || IsInlineMedia(part)) &&
        (i == 0 || (multipart_type != "related" && (IsInlineMedia(part) || part.filename.empty())));
    if (IsMultipart(part)) {
      std::vector<const mime::Part*> children;
      for (const auto& c : part.children) children.push_back(&c);
      ParseStructure(children, part.subtype, in_alternative || part.subtype == "alternative", html,
                     text, attachments, depth + 1);
      continue;
    }
    if (!is_inline) {
      attachments.push_back(&part);
      continue;
    }
    if (multipart_type == "alternative") {
      // The RFC pushes without a check; a list an enclosing call nulled stays null here.
      if (type == "text/plain") {
        if (text) text->push_back(&part);
      } else if (type == "text/html") {
        if (html) html->push_back(&part);
      } else {
        attachments.push_back(&part);
      }
      continue;
    }
    if (in_alternative) {
      if (type == "text/plain") html = nullptr;
      if (type == "text/html") text = nullptr;
    }
    if (text) text->push_back(&part);
    if (html) html->push_back(&part);
    if ((!text || !html) && IsInlineMedia(part)) attachments.push_back(&part);
  }
  if (multipart_type == "alternative" && text && html) {
    // Found an HTML part only: it is the text body too; and the other way round.
    if (text_length == text->size() && html_length != html->size()) {
      for (size_t i = html_length; i < html->size(); ++i) text->push_back((*html)[i]);
    }
    if (html_length == html->size() && text_length != text->size()) {
      for (size_t i = text_length; i < text->size(); ++i) html->push_back((*text)[i]);
    }
  }
}

struct Bodies {
  PartList text, html, attachments;
};

Bodies Classify(const mime::Summary& s) {
  Bodies b;
  ParseStructure({&s.body}, "mixed", false, &b.html, &b.text, b.attachments, 0);
  return b;
}

// A body value's line endings: every CRLF a single LF (RFC 8621 4.1.4).
std::string CrlfToLf(std::string text) {
  size_t out = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n') continue;
    text[out++] = text[i];
  }
  text.resize(out);
  return text;
}

void CollectTextParts(const mime::Part& p, PartList& out, int depth) {
  if (depth > 64) return;
  if (IsMultipart(p)) {
    for (const auto& c : p.children) CollectTextParts(c, out, depth + 1);
  } else if (p.type == "text") {
    out.push_back(&p);
  }
}

json::object BodyValues(const EmailData& e, const EmailProperties& props, const Bodies& b) {
  PartList wanted;
  if (props.fetch_all) {
    CollectTextParts(e.summary.body, wanted, 0);
  } else {
    if (props.fetch_text) wanted.insert(wanted.end(), b.text.begin(), b.text.end());
    if (props.fetch_html) wanted.insert(wanted.end(), b.html.begin(), b.html.end());
  }
  json::object out;
  for (const mime::Part* p : wanted) {
    if (p->type != "text" || out.contains(p->part_id)) continue;
    mime::Text t = mime::DecodeText(mime::Slice(e.message, {p->body_offset, p->end_offset}),
                                    p->encoding, p->charset);
    t.text = CrlfToLf(std::move(t.text));
    bool truncated = false;
    if (props.max_body_value_bytes > 0 && t.text.size() > props.max_body_value_bytes) {
      t.text.resize(mime::CutUtf8(t.text, props.max_body_value_bytes).size());
      truncated = true;
    }
    out[p->part_id] = json::object{
        {"value", t.text}, {"isEncodingProblem", t.problem}, {"isTruncated", truncated}};
  }
  return out;
}

json::value SummaryProperty(const EmailData& e, std::string_view name) {
  const mime::Summary& s = e.summary;
  auto addresses = [](const std::vector<mime::Address>& list) -> json::value {
    if (list.empty()) return nullptr;
    return AddressList(list);
  };
  auto strings = [](const std::vector<std::string>& list) -> json::value {
    if (list.empty()) return nullptr;
    json::array out;
    for (const auto& x : list) out.emplace_back(x);
    return out;
  };
  if (name == "messageId") {
    return s.message_id.empty() ? json::value(nullptr) : json::array{json::string(s.message_id)};
  }
  if (name == "inReplyTo") return strings(s.in_reply_to);
  if (name == "references") return strings(s.references);
  if (name == "sender") return addresses(s.sender);
  if (name == "from") return addresses(s.from);
  if (name == "to") return addresses(s.to);
  if (name == "cc") return addresses(s.cc);
  if (name == "bcc") return addresses(s.bcc);
  if (name == "replyTo") return addresses(s.reply_to);
  if (name == "subject") return json::string(s.subject);
  if (name == "sentAt") return s.sent_at ? json::value(json::string(UtcDate(*s.sent_at))) : nullptr;
  if (name == "hasAttachment") return s.has_attachment;
  return json::string(s.preview);
}

json::value MetadataProperty(const EmailData& e, std::string_view name) {
  if (name == "blobId") return json::string(e.blob_id);
  if (name == "size") return e.size;
  if (!e.record) return nullptr;  // Email/parse: no email
  const store::EmailRecord& r = *e.record;
  if (name == "id") return json::string(store::EmailJmapId(r.id));
  if (name == "threadId") return json::string(store::ThreadJmapId(r.thread));
  if (name == "receivedAt") return json::string(UtcDate(r.received_at));
  json::object o;
  for (const auto& p : e.placements) {
    if (name == "mailboxIds") o[store::MailboxJmapId(p.mailbox)] = true;
    // Keywords live on each IMAP membership; the email has those of any of them.
    if (name == "keywords") {
      for (const auto& k : p.keywords) o[k] = true;
    }
  }
  return o;
}

}  // namespace

std::optional<HeaderProperty> ParseHeaderProperty(std::string_view property) {
  if (!property.starts_with("header:")) return std::nullopt;
  std::string_view rest = property.substr(7);
  std::vector<std::string_view> pieces;
  while (true) {
    size_t colon = rest.find(':');
    pieces.push_back(rest.substr(0, colon));
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  HeaderProperty h;
  h.name = std::string(pieces[0]);
  if (h.name.empty() || pieces.size() > 3) return std::nullopt;
  for (unsigned char c : h.name) {
    if (c <= 32 || c >= 127) return std::nullopt;
  }
  size_t i = 1;
  if (i < pieces.size() && pieces[i].starts_with("as")) {
    static constexpr std::pair<std::string_view, Form> kForms[] = {
        {"asRaw", Form::kRaw},
        {"asText", Form::kText},
        {"asAddresses", Form::kAddresses},
        {"asGroupedAddresses", Form::kGroupedAddresses},
        {"asMessageIds", Form::kMessageIds},
        {"asDate", Form::kDate},
        {"asURLs", Form::kUrls}};
    auto it = std::find_if(std::begin(kForms), std::end(kForms),
                           [&](const auto& f) { return f.first == pieces[i]; });
    if (it == std::end(kForms)) return std::nullopt;
    h.form = it->second;
    ++i;
  }
  if (i < pieces.size()) {
    if (pieces[i] != "all") return std::nullopt;
    h.all = true;
    ++i;
  }
  if (i != pieces.size()) return std::nullopt;
  if (auto allowed = AllowedForms(AsciiLower(h.name))) {
    if (std::find(allowed->begin(), allowed->end(), h.form) == allowed->end()) return std::nullopt;
  }
  return h;
}

json::value HeaderValue(const std::vector<mime::HeaderField>& fields, const HeaderProperty& h) {
  std::string lower = AsciiLower(h.name);
  json::array all;
  const mime::HeaderField* last = nullptr;
  for (const auto& f : fields) {
    if (AsciiLower(f.name) != lower) continue;
    last = &f;
    if (h.all) all.push_back(Convert(f.value, h.form));
  }
  if (h.all) return all;
  return last ? Convert(last->value, h.form) : json::value(nullptr);
}

bool EmailProperties::NeedsMessage() const {
  for (const auto& n : names) {
    if (Contains(kFromMessage, n) || n.starts_with("header:")) return true;
  }
  return false;
}

std::optional<MethodError> ReadEmailProperties(const json::object& args,
                                               const std::vector<std::string>& defaults,
                                               EmailProperties& out) {
  auto known = [](std::string_view n) {
    return Contains(kMetadata, n) || Contains(kFromSummary, n) || Contains(kFromMessage, n);
  };
  const auto* p = args.if_contains("properties");
  if (!p || p->is_null()) {
    out.names = defaults;
  } else if (!p->is_array()) {
    return InvalidArguments("properties must be an array or null");
  } else {
    for (const auto& v : p->get_array()) {
      if (!v.is_string()) return InvalidArguments("properties must be strings");
      std::string_view n = v.get_string();
      if (!known(n) && !ParseHeaderProperty(n)) {
        return InvalidArguments("unknown property " + std::string(n));
      }
      if (!Contains(out.names, n)) out.names.emplace_back(n);
    }
  }
  const auto* b = args.if_contains("bodyProperties");
  if (!b || b->is_null()) {
    out.body_names = kDefaultBodyProperties;
  } else if (!b->is_array()) {
    return InvalidArguments("bodyProperties must be an array or null");
  } else {
    for (const auto& v : b->get_array()) {
      if (!v.is_string()) return InvalidArguments("bodyProperties must be strings");
      std::string_view n = v.get_string();
      if (!Contains(kPartProperties, n) && !ParseHeaderProperty(n)) {
        return InvalidArguments("unknown body property " + std::string(n));
      }
      if (!Contains(out.body_names, n)) out.body_names.emplace_back(n);
    }
  }
  std::optional<MethodError> error;
  out.fetch_text = ReadBool(args, "fetchTextBodyValues", false, error);
  out.fetch_html = ReadBool(args, "fetchHTMLBodyValues", false, error);
  out.fetch_all = ReadBool(args, "fetchAllBodyValues", false, error);
  auto max = ReadInt(args, "maxBodyValueBytes", 0, 0, INT64_MAX, error);
  if (max) out.max_body_value_bytes = static_cast<size_t>(*max);
  return error;
}

json::object RenderEmail(const EmailData& e, const EmailProperties& props) {
  json::object o;
  std::optional<Bodies> bodies;
  auto classified = [&]() -> const Bodies& {
    if (!bodies) bodies = Classify(e.summary);
    return *bodies;
  };
  PartContext ctx{e.message, e.blob_id, props};
  auto part_list = [&](const PartList& list) {
    json::array out;
    for (const mime::Part* p : list) out.push_back(RenderPart(*p, ctx, false, 0));
    return out;
  };
  for (const auto& name : props.names) {
    if (Contains(kMetadata, name)) {
      o[name] = MetadataProperty(e, name);
    } else if (Contains(kFromSummary, name)) {
      o[name] = SummaryProperty(e, name);
    } else if (name == "headers") {
      o[name] = HeaderList(PartHeaders(e.message, e.summary.body));
    } else if (name.starts_with("header:")) {
      auto h = ParseHeaderProperty(name);
      o[name] = h ? HeaderValue(PartHeaders(e.message, e.summary.body), *h) : nullptr;
    } else if (name == "bodyStructure") {
      o[name] = RenderPart(e.summary.body, ctx, true, 0);
    } else if (name == "textBody") {
      o[name] = part_list(classified().text);
    } else if (name == "htmlBody") {
      o[name] = part_list(classified().html);
    } else if (name == "attachments") {
      o[name] = part_list(classified().attachments);
    } else if (name == "bodyValues") {
      o[name] = BodyValues(e, props, classified());
    }
  }
  return o;
}

std::string BodyText(std::string_view message, const mime::Summary& summary) {
  Bodies b = Classify(summary);
  std::string out;
  for (const mime::Part* p : b.text) {
    if (p->type != "text") continue;
    mime::Text t = mime::DecodeText(mime::Slice(message, {p->body_offset, p->end_offset}),
                                    p->encoding, p->charset);
    if (!out.empty()) out += '\n';
    out += p->subtype == "html" ? mime::HtmlToText(t.text) : t.text;
  }
  return out;
}

}  // namespace pushmail::jmap
