// Email/set create (RFC 8621 4.6): the JMAP properties of a new Email to a MIME message. Every
// invalid property is found, not only the first, so one SetError names them all.
#include <algorithm>
#include <boost/json.hpp>
#include <random>
#include <set>

#include "base/clock.h"
#include "base/strings.h"
#include "jmap/arguments.h"
#include "jmap/blobs.h"
#include "jmap/email_filter.h"
#include "jmap/email_render.h"
#include "jmap/email_write.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "mime/headers.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr int kMaxPartDepth = 16;

// The properties of one create found invalid, and why the first of them was.
struct Invalid {
  std::vector<std::string> properties;
  std::string description;
  void Add(std::string property, std::string_view why = {}) {
    if (description.empty()) description = why;
    if (std::find(properties.begin(), properties.end(), property) == properties.end()) {
      properties.push_back(std::move(property));
    }
  }
};

struct Composer {
  MethodContext& c;
  Invalid& invalid;
  const json::object* body_values = nullptr;
  std::vector<std::string> missing_blobs;
  ErrorCode store_error;  // the store failed to read a blob

  // Raw header values for `h` from a JMAP value of its form; nullopt when the value does not fit.
  static std::optional<std::vector<std::string>> HeaderValues(const HeaderProperty& h,
                                                              const json::value& v) {
    std::vector<const json::value*> items;
    if (h.all) {
      if (!v.is_array()) return std::nullopt;
      for (const auto& x : v.get_array()) items.push_back(&x);
    } else if (!v.is_null()) {
      items.push_back(&v);
    }
    std::vector<std::string> out;
    for (const json::value* x : items) {
      auto raw = RawValue(h.form, *x);
      if (!raw) return std::nullopt;
      out.push_back(std::move(*raw));
    }
    return out;
  }

  static std::optional<std::vector<mime::Address>> Addresses(const json::value& v) {
    const json::array* a = v.if_array();
    if (!a) return std::nullopt;
    std::vector<mime::Address> out;
    for (const auto& x : *a) {
      const json::object* o = x.if_object();
      const json::value* email = o ? o->if_contains("email") : nullptr;
      if (!email || !email->is_string()) return std::nullopt;
      const json::value* name = o->if_contains("name");
      if (name && !name->is_null() && !name->is_string()) return std::nullopt;
      out.push_back({name && name->is_string() ? std::string(name->get_string()) : std::string(),
                     std::string(email->get_string())});
    }
    return out;
  }

  static std::optional<std::vector<std::string>> Strings(const json::value& v) {
    const json::array* a = v.if_array();
    if (!a) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& x : *a) {
      if (!x.is_string()) return std::nullopt;
      out.emplace_back(x.get_string());
    }
    return out;
  }

  static std::optional<std::string> RawValue(HeaderProperty::Form form, const json::value& v) {
    using Form = HeaderProperty::Form;
    switch (form) {
      case Form::kRaw:
        if (!v.is_string()) return std::nullopt;
        return std::string(v.get_string());
      case Form::kText:
        if (!v.is_string()) return std::nullopt;
        return " " + mime::EncodeText(v.get_string());
      case Form::kAddresses: {
        auto a = Addresses(v);
        if (!a) return std::nullopt;
        return " " + mime::FormatAddresses({{std::nullopt, *a}});
      }
      case Form::kGroupedAddresses: {
        const json::array* groups = v.if_array();
        if (!groups) return std::nullopt;
        std::vector<mime::AddressGroup> out;
        for (const auto& g : *groups) {
          const json::object* o = g.if_object();
          const json::value* list = o ? o->if_contains("addresses") : nullptr;
          const json::value* name = o ? o->if_contains("name") : nullptr;
          auto a = list ? Addresses(*list) : std::nullopt;
          if (!a || (name && !name->is_null() && !name->is_string())) return std::nullopt;
          std::optional<std::string> n;
          if (name && name->is_string()) n = std::string(name->get_string());
          out.push_back({n, *a});
        }
        return " " + mime::FormatAddresses(out);
      }
      case Form::kMessageIds: {
        auto ids = Strings(v);
        if (!ids || ids->empty()) return std::nullopt;
        return " " + mime::FormatMessageIds(*ids);
      }
      case Form::kDate: {
        if (!v.is_string()) return std::nullopt;
        auto t = ParseUtcDate(v.get_string());
        if (!t) return std::nullopt;
        return " " + mime::FormatRfc5322Date({*t, 0});
      }
      case Form::kUrls: {
        auto urls = Strings(v);
        if (!urls) return std::nullopt;
        std::string out;
        for (const auto& u : *urls) out += (out.empty() ? " <" : ", <") + u + ">";
        return out;
      }
    }
    return std::nullopt;
  }

  // A "header:..." property's fields, or nullopt when the property or its value is invalid.
  // On the Email no Content-* field (the parts say what their content is); on a part no
  // Content-Type or Content-Transfer-Encoding (the other properties say those).
  static std::optional<std::vector<mime::HeaderField>> HeaderFields(std::string_view key,
                                                                    const json::value& value,
                                                                    bool part) {
    auto h = ParseHeaderProperty(key);
    auto values = h ? HeaderValues(*h, value) : std::nullopt;
    if (!values) return std::nullopt;
    std::string lower = AsciiLower(h->name);
    if ((!part && lower.starts_with("content-")) ||
        (part && (lower == "content-transfer-encoding" || lower == "content-type"))) {
      return std::nullopt;
    }
    std::vector<mime::HeaderField> out;
    for (auto& v : *values) {
      // A line break that is no folding would end the field.
      if (v.find_first_of("\r\n") != std::string::npos && v.find("\r\n ") == std::string::npos &&
          v.find("\r\n\t") == std::string::npos) {
        return std::nullopt;
      }
      out.push_back({h->name, std::move(v)});
    }
    return out;
  }

  // The "header:..." properties of an Email or a body part, into `out`; `prefix` is the path of
  // the object for the names of invalid properties. "headers" is refused: each field is set as
  // a property of its own (RFC 8621 4.6), and no two properties may give one field.
  void ReadHeaders(const json::object& o, std::vector<mime::HeaderField>& out, bool part,
                   const std::string& prefix) {
    std::set<std::string> names;
    for (const auto& f : out) names.insert(AsciiLower(f.name));  // the convenience properties
    for (const auto& [key, value] : o) {
      if (key == "headers") {
        invalid.Add(prefix + std::string(key), "set each header field as a header: property");
        continue;
      }
      if (!key.starts_with("header:")) continue;
      auto fields = HeaderFields(key, value, part);
      if (!fields) {
        invalid.Add(prefix + std::string(key), "not a header field that can be set so");
        continue;
      }
      auto h = ParseHeaderProperty(key);
      if (!names.insert(AsciiLower(h->name)).second) {
        invalid.Add(prefix + std::string(key), "one header field given twice");
        continue;
      }
      out.insert(out.end(), fields->begin(), fields->end());
    }
  }

  // A string property of a part: false when present and neither a string nor null.
  static bool ReadString(const json::object& o, std::string_view key, std::string& to) {
    const json::value* x = o.if_contains(key);
    if (!x || x->is_null()) return true;
    if (!x->is_string()) return false;
    to = std::string(x->get_string());
    return true;
  }

  // The properties of an EmailBodyPart that describe it, into `out`; each invalid one to
  // `invalid`.
  void ReadPartProperties(const json::object& o, const std::string& path, std::string& part_id,
                          std::string& blob_id, std::string& type, std::string& charset,
                          mime::DraftPart& out) {
    const std::pair<std::string_view, std::string*> strings[] = {{"partId", &part_id},
                                                                 {"blobId", &blob_id},
                                                                 {"type", &type},
                                                                 {"charset", &charset},
                                                                 {"name", &out.name},
                                                                 {"cid", &out.cid},
                                                                 {"disposition", &out.disposition},
                                                                 {"location", &out.location}};
    for (const auto& [key, to] : strings) {
      if (!ReadString(o, key, *to)) invalid.Add(path + "/" + std::string(key), "not a string");
    }
    if (const json::value* lang = o.if_contains("language"); lang && !lang->is_null()) {
      auto list = Strings(*lang);
      if (list) {
        out.language = std::move(*list);
      } else {
        invalid.Add(path + "/language", "not a list of strings");
      }
    }
    ReadHeaders(o, out.headers, true, path + "/");
    static const std::set<std::string, std::less<>> kKnown = {
        "partId", "blobId",   "type",     "charset", "disposition", "name",
        "cid",    "language", "location", "headers", "subParts",    "size"};
    for (const auto& [key, value] : o) {
      if (!kKnown.count(key) && !key.starts_with("header:")) {
        invalid.Add(path + "/" + std::string(key), "unknown property");
      }
    }
    type = AsciiLower(type);
  }

  // A text part from bodyValues: its value, UTF-8.
  void TextPart(const json::object& o, const std::string& path, const std::string& part_id,
                const std::string& type, const std::string& charset, mime::DraftPart& out) {
    const json::value* value = body_values ? body_values->if_contains(part_id) : nullptr;
    const json::object* bv = value ? value->if_object() : nullptr;
    const json::value* text = bv ? bv->if_contains("value") : nullptr;
    if (!text || !text->is_string()) invalid.Add(path + "/partId", "no such bodyValues entry");
    for (const char* flag : {"isEncodingProblem", "isTruncated"}) {
      const json::value* f = bv ? bv->if_contains(flag) : nullptr;
      if (f && !(f->is_bool() && !f->get_bool())) {
        invalid.Add("bodyValues/" + part_id, "a body value to store is whole and sound");
      }
    }
    if (!charset.empty()) invalid.Add(path + "/charset", "text from bodyValues is UTF-8");
    if (o.contains("size")) invalid.Add(path + "/size", "the size of a value is the server's");
    out.type = type.empty() ? "text/plain" : type;
    if (!out.type.starts_with("text/")) invalid.Add(path + "/type", "a body value is text");
    out.charset = "utf-8";
    if (text && text->is_string()) out.content = std::string(text->get_string());
  }

  // A part from an uploaded blob (or part of one).
  void BlobPart(const std::string& blob_id, const std::string& type, const std::string& charset,
                mime::DraftPart& out) {
    ErrorCode failed;
    auto bytes = ReadBlob(c.store, c.who.account, blob_id, failed);
    if (failed) store_error = failed;
    if (!bytes) {
      if (!failed) missing_blobs.push_back(blob_id);
      return;
    }
    out.type = type.empty() ? "application/octet-stream" : type;
    out.charset = out.type.starts_with("text/") ? charset : std::string();
    out.content = std::move(*bytes);
  }

  // One EmailBodyPart to a DraftPart.
  void Part(const json::value& v, const std::string& path, int depth, mime::DraftPart& out) {
    const json::object* o = v.if_object();
    if (!o || depth > kMaxPartDepth) return invalid.Add(path, "not a body part, or too deep");
    std::string part_id, blob_id, type, charset;
    ReadPartProperties(*o, path, part_id, blob_id, type, charset, out);
    if (type.starts_with("multipart/")) {
      out.type = type;
      const json::value* sub = o->if_contains("subParts");
      if (!sub || !sub->is_array()) return invalid.Add(path + "/subParts", "a multipart has parts");
      if (!part_id.empty()) invalid.Add(path + "/partId", "a multipart has no content");
      if (!blob_id.empty()) invalid.Add(path + "/blobId", "a multipart has no content");
      size_t i = 0;
      for (const auto& child : sub->get_array()) {
        Part(child, path + "/subParts/" + std::to_string(i++), depth + 1,
             out.children.emplace_back());
      }
      return;
    }
    if (part_id.empty() == blob_id.empty()) {
      invalid.Add(path + "/partId", "a part has a partId or a blobId");
      if (!part_id.empty()) invalid.Add(path + "/blobId");
      return;
    }
    if (!part_id.empty()) return TextPart(*o, path, part_id, type, charset, out);
    BlobPart(blob_id, type, charset, out);
  }

  // textBody or htmlBody: one part of type `want`, or none.
  std::optional<mime::DraftPart> OneBody(const json::object& o, const char* key,
                                         std::string_view want) {
    const json::value* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    const json::array* a = v->if_array();
    if (!a || a->size() != 1) {
      invalid.Add(key, "exactly one part");
      return std::nullopt;
    }
    mime::DraftPart part;
    size_t before = invalid.properties.size();
    Part((*a)[0], std::string(key) + "/0", 0, part);
    if (invalid.properties.size() == before && part.type != want) {
      invalid.Add(key, "a part of the wrong type");
    }
    return part;
  }

  // The body from textBody, htmlBody and attachments (RFC 8621 4.6): alternative if both,
  // inline parts with a cid related to the HTML, the rest mixed.
  mime::DraftPart FlatBody(const json::object& o) {
    auto text = OneBody(o, "textBody", "text/plain");
    auto html = OneBody(o, "htmlBody", "text/html");
    std::vector<mime::DraftPart> related, mixed;
    if (const json::value* a = o.if_contains("attachments"); a && !a->is_null()) {
      if (!a->is_array()) invalid.Add("attachments", "a list of parts");
      size_t i = 0;
      for (const auto& x : a->is_array() ? a->get_array() : json::array()) {
        mime::DraftPart p;
        Part(x, "attachments/" + std::to_string(i++), 0, p);
        bool inline_part = !p.cid.empty() && p.disposition != "attachment";
        (inline_part && html ? related : mixed).push_back(std::move(p));
      }
    }
    mime::DraftPart body;
    if (text && html) {
      body.type = "multipart/alternative";
      body.children = {std::move(*text), std::move(*html)};
    } else if (text || html) {
      body = std::move(text ? *text : *html);
    } else {
      body.charset = "utf-8";
    }
    auto wrap = [&body](const char* type, std::vector<mime::DraftPart>& parts) {
      if (parts.empty()) return;
      mime::DraftPart w{type};
      w.children.push_back(std::move(body));
      for (auto& p : parts) w.children.push_back(std::move(p));
      body = std::move(w);
    };
    wrap("multipart/related", related);
    wrap("multipart/mixed", mixed);
    return body;
  }

  // The body from bodyStructure, or from textBody, htmlBody and attachments.
  mime::DraftPart Body(const json::object& o) {
    if (const json::value* bv = o.if_contains("bodyValues"); bv && !bv->is_null()) {
      body_values = bv->if_object();
      if (!body_values) invalid.Add("bodyValues", "an object");
    }
    const json::value* structure = o.if_contains("bodyStructure");
    if (!structure || structure->is_null()) return FlatBody(o);
    if (o.contains("textBody") || o.contains("htmlBody") || o.contains("attachments")) {
      invalid.Add("bodyStructure", "bodyStructure or textBody, htmlBody and attachments");
    }
    mime::DraftPart body;
    Part(*structure, "bodyStructure", 0, body);
    return body;
  }
};

std::string RandomHex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kHex[rng() & 15];
  return out;
}

// The convenience properties and the header fields they stand for (RFC 8621 4.1.3).
const std::vector<std::pair<std::string_view, std::string_view>> kConvenience = {
    {"messageId", "Message-ID"},
    {"inReplyTo", "In-Reply-To"},
    {"references", "References"},
    {"sender", "Sender"},
    {"from", "From"},
    {"to", "To"},
    {"cc", "Cc"},
    {"bcc", "Bcc"},
    {"replyTo", "Reply-To"},
    {"subject", "Subject"},
    {"sentAt", "Date"}};

// Properties no create may give, and properties it may but this reader does not know.
void CheckNames(const json::object& o, Invalid& invalid) {
  static const std::set<std::string, std::less<>> kServerSet = {"id",   "blobId",        "threadId",
                                                                "size", "hasAttachment", "preview"};
  static const std::set<std::string, std::less<>> kKnown = {
      "mailboxIds", "keywords", "receivedAt", "headers",    "bodyStructure",
      "bodyValues", "textBody", "htmlBody",   "attachments"};
  for (const auto& field : o) {
    std::string_view key = field.key();
    bool convenience = std::any_of(kConvenience.begin(), kConvenience.end(),
                                   [&](const auto& p) { return p.first == key; });
    if (kServerSet.count(key)) {
      invalid.Add(std::string(key), "set by the server");
    } else if (!kKnown.count(key) && !convenience && !key.starts_with("header:")) {
      invalid.Add(std::string(key), "unknown property");
    }
  }
}

// The header fields of the convenience properties.
std::vector<mime::HeaderField> ConvenienceHeaders(const json::object& o, Invalid& invalid) {
  std::vector<mime::HeaderField> out;
  for (const auto& [property, header] : kConvenience) {
    const json::value* v = o.if_contains(property);
    if (!v || v->is_null()) continue;
    std::string form =
        property == "subject"  ? ":asText"
        : property == "sentAt" ? ":asDate"
        : property == "messageId" || property == "inReplyTo" || property == "references"
            ? ":asMessageIds"
            : ":asAddresses";
    auto h = ParseHeaderProperty("header:" + std::string(header) + form);
    auto values = h ? Composer::HeaderValues(*h, *v) : std::nullopt;
    if (!values) {
      invalid.Add(std::string(property), "not a value of this property");
      continue;
    }
    for (auto& raw : *values) out.push_back({std::string(header), std::move(raw)});
  }
  return out;
}

// mailboxIds, keywords and receivedAt, into `in`; `other` for a failure that is not
// invalidProperties (tooManyKeywords).
void ReadMetadata(const MethodContext& c, const MailboxIds& boxes, const json::object& o,
                  store::Incoming& in, Invalid& invalid, Failure& other) {
  Failure failure;
  const json::value* mailbox_ids = o.if_contains("mailboxIds");
  auto mailboxes = mailbox_ids ? ReadMailboxIdSet(c, boxes, *mailbox_ids, failure) : std::nullopt;
  if (!mailboxes || mailboxes->empty()) {
    invalid.Add("mailboxIds", "an email needs a mailbox of the account");
  } else {
    in.mailbox = mailboxes->front();
    in.more_mailboxes.assign(mailboxes->begin() + 1, mailboxes->end());
  }
  if (const json::value* k = o.if_contains("keywords"); k && !k->is_null()) {
    Failure bad;
    auto set = ReadKeywordSet(*k, bad);
    if (set) {
      in.keywords = std::move(*set);
    } else if (bad->at("type") == "invalidProperties") {
      invalid.Add("keywords", "not a set of keywords");
    } else {
      other = std::move(bad);
    }
  }
  in.received_at = UnixNow();
  if (const json::value* r = o.if_contains("receivedAt"); r && !r->is_null()) {
    auto t = r->is_string() ? ParseUtcDate(r->get_string()) : std::nullopt;
    if (!t) invalid.Add("receivedAt", "not a UTCDate");
    in.received_at = t.value_or(in.received_at);
  }
}

}  // namespace

Failure ReadCreate(MethodContext& c, const MailboxIds& boxes, const json::object& o,
                   store::Incoming& in) {
  Invalid invalid;
  Failure other;
  CheckNames(o, invalid);
  ReadMetadata(c, boxes, o, in, invalid, other);
  Composer composer{c, invalid};
  std::vector<mime::HeaderField> headers = ConvenienceHeaders(o, invalid);
  composer.ReadHeaders(o, headers, false, "");
  mime::DraftPart body = composer.Body(o);
  if (!invalid.properties.empty())
    return InvalidProperties(invalid.properties, invalid.description);
  if (other) return other;
  if (composer.store_error)
    return ServerFailSetError(c, composer.store_error, "cannot read a blob");
  if (!composer.missing_blobs.empty()) {
    json::object e = SetError("blobNotFound");
    json::array ids;
    for (const auto& b : composer.missing_blobs) ids.emplace_back(b);
    e["notFound"] = std::move(ids);
    return e;
  }
  auto has = [&headers](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return AsciiLower(h.name) == AsciiLower(name); });
  };
  if (!has("Date")) headers.push_back({"Date", " " + mime::FormatRfc5322Date({in.received_at, 0})});
  if (!has("Message-ID")) headers.push_back({"Message-ID", " <" + RandomHex(24) + "@pushmail>"});
  in.message = mime::Compose(headers, body);
  in.summary = mime::Parse(in.message);
  in.recipients = {c.who.account};
  return std::nullopt;
}

}  // namespace pushmail::jmap
