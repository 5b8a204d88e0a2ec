// Email/set, Email/import, Email/parse and Email/copy (RFC 8621 4.6 - 4.9). Writes go through
// the store's writer like IMAP's, so IMAP sessions and push streams hear of them at once.
#include <algorithm>
#include <boost/json.hpp>
#include <ctime>
#include <random>
#include <set>

#include "base/clock.h"
#include "base/strings.h"
#include "jmap/arguments.h"
#include "jmap/blobs.h"
#include "jmap/email_filter.h"
#include "jmap/email_render.h"
#include "jmap/ids.h"
#include "jmap/standard_methods.h"
#include "mime/headers.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

constexpr int kMaxPartDepth = 16;

// A JSON Pointer reference token with ~1 and ~0 undone (RFC 6901); one with a bad escape is
// taken as it is.
std::string Unescape(std::string_view token) {
  return UnescapeJsonPointerToken(token).value_or(std::string(token));
}

// A write's outcome that sets a SetError, or nothing.
using Failure = std::optional<json::object>;

// The account's mailbox ids, for checking mailboxIds before a write.
struct Mailboxes {
  std::set<store::MailboxId> ids;
};

std::optional<Mailboxes> ReadMailboxes(MethodContext& c) {
  auto list = c.store.ListMailboxes(c.who.account);
  if (!list) return std::nullopt;
  Mailboxes m;
  for (const auto& b : *list) m.ids.insert(b.id);
  return m;
}

// A mailbox id argument ("M7" or "#creation") of the account; nullopt otherwise.
std::optional<store::MailboxId> MailboxOf(const MethodContext& c, const Mailboxes& boxes,
                                          std::string_view id) {
  auto resolved = ResolveId(c, id);
  if (!resolved) return std::nullopt;
  auto row = store::ParseJmapId(*resolved, 'M');
  if (!row || !boxes.ids.count(*row)) return std::nullopt;
  return *row;
}

// {"id": true, ...} as mailbox ids; nullopt (with the failure set) for anything else.
std::optional<std::vector<store::MailboxId>> MailboxSet(const MethodContext& c,
                                                        const Mailboxes& boxes,
                                                        const json::value& v, Failure& failure) {
  const json::object* o = v.if_object();
  if (!o) {
    failure = InvalidProperties({"mailboxIds"}, "mailboxIds must be an object");
    return std::nullopt;
  }
  std::vector<store::MailboxId> out;
  for (const auto& [id, value] : *o) {
    auto box = MailboxOf(c, boxes, id);
    if (!value.is_bool() || !value.get_bool() || !box) {
      failure = InvalidProperties({"mailboxIds"}, "no such mailbox: " + std::string(id));
      return std::nullopt;
    }
    out.push_back(*box);
  }
  return out;
}

std::optional<store::Keywords> KeywordSet(const json::value& v, Failure& failure) {
  const json::object* o = v.if_object();
  if (!o) {
    failure = InvalidProperties({"keywords"}, "keywords must be an object");
    return std::nullopt;
  }
  store::Keywords out;
  for (const auto& [k, value] : *o) {
    if (!value.is_bool() || !value.get_bool() || !ValidKeyword(k)) {
      failure = InvalidProperties({"keywords"}, "not a keyword: " + std::string(k));
      return std::nullopt;
    }
    out.emplace_back(AsciiLower(k));
  }
  if (out.size() > store::kMaxKeywordsPerEmail) {
    failure = SetError("tooManyKeywords");
    return std::nullopt;
  }
  return out;
}

std::string SetErrorFor(store::EmailWriteError e) {
  switch (e) {
    case store::EmailWriteError::kNotFound:
      return "notFound";
    case store::EmailWriteError::kTooManyKeywords:
      return "tooManyKeywords";
    default:
      return "invalidProperties";
  }
}

// --- Update.

Failure ReadUpdate(const MethodContext& c, const Mailboxes& boxes, const json::object& patch,
                   store::EmailUpdate& u) {
  Failure failure;
  bool whole_keywords = false, whole_mailboxes = false, some_keywords = false,
       some_mailboxes = false;
  for (const auto& [key, value] : patch) {
    if (key == "keywords") {
      whole_keywords = true;
      auto k = KeywordSet(value, failure);
      if (!k) return failure;
      u.keywords = std::move(*k);
    } else if (key == "mailboxIds") {
      whole_mailboxes = true;
      auto m = MailboxSet(c, boxes, value, failure);
      if (!m) return failure;
      u.mailboxes = std::move(*m);
    } else if (key.starts_with("keywords/")) {
      some_keywords = true;
      std::string k = Unescape(key.substr(9));
      if (!ValidKeyword(k) || !(value.is_null() || (value.is_bool() && value.get_bool()))) {
        return InvalidProperties({std::string(key)});
      }
      (value.is_null() ? u.remove_keywords : u.add_keywords).push_back(AsciiLower(k));
    } else if (key.starts_with("mailboxIds/")) {
      some_mailboxes = true;
      std::string id = Unescape(key.substr(11));
      auto box = MailboxOf(c, boxes, id);
      if (value.is_bool() && value.get_bool()) {
        if (!box) return InvalidProperties({std::string(key)}, "no such mailbox");
        u.add_mailboxes.push_back(*box);
      } else if (value.is_null()) {
        if (box) u.remove_mailboxes.push_back(*box);
      } else {
        return InvalidProperties({std::string(key)});
      }
    } else {
      // Everything else of an Email is immutable (RFC 8621 4.6).
      return InvalidProperties({std::string(key)}, "this property cannot be changed");
    }
  }
  if ((whole_keywords && some_keywords) || (whole_mailboxes && some_mailboxes)) {
    return SetError("invalidPatch", "a property and a path inside it in one patch");
  }
  return std::nullopt;
}

// --- Create: the JMAP properties to a MIME message.

struct Composer {
  MethodContext& c;
  const json::object* body_values = nullptr;
  std::vector<std::string> missing_blobs;
  bool failed = false;  // the store failed

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

  // "headers" and "header:..." properties of an Email or a body part; on failure the name of
  // the property that failed.
  std::optional<std::string> ReadHeaders(const json::object& o, std::vector<mime::HeaderField>& out,
                                         bool part) {
    for (const auto& [key, value] : o) {
      if (key == "headers") {
        const json::array* list = value.if_array();
        if (!list) return std::string(key);
        for (const auto& h : *list) {
          const json::object* f = h.if_object();
          const json::value* name = f ? f->if_contains("name") : nullptr;
          const json::value* raw = f ? f->if_contains("value") : nullptr;
          if (!name || !raw || !name->is_string() || !raw->is_string() ||
              name->get_string().empty()) {
            return std::string(key);
          }
          out.push_back({std::string(name->get_string()), std::string(raw->get_string())});
        }
        continue;
      }
      if (!key.starts_with("header:")) continue;
      auto h = ParseHeaderProperty(key);
      if (!h) return std::string(key);
      auto values = HeaderValues(*h, value);
      if (!values) return std::string(key);
      for (auto& v : *values) out.push_back({h->name, std::move(v)});
    }
    for (const auto& f : out) {
      std::string lower = AsciiLower(f.name);
      bool content = lower.starts_with("content-");
      // The parts say what their content is; a part's header says nothing else of the message.
      if ((!part && content) ||
          (part && (lower == "content-transfer-encoding" || lower == "content-type"))) {
        return "header:" + f.name;
      }
      if (f.value.find_first_of("\r\n") != std::string::npos &&
          f.value.find("\r\n ") == std::string::npos &&
          f.value.find("\r\n\t") == std::string::npos) {
        return "header:" + f.name;  // a line break that is no folding would end the field
      }
    }
    return std::nullopt;
  }

  // One EmailBodyPart to a DraftPart; on failure the path of the property at fault.
  std::optional<std::string> Part(const json::value& v, const std::string& path, int depth,
                                  mime::DraftPart& out) {
    const json::object* o = v.if_object();
    if (!o || depth > kMaxPartDepth) return path;
    auto str = [&](std::string_view key, std::string& to) -> bool {
      const json::value* x = o->if_contains(key);
      if (!x || x->is_null()) return true;
      if (!x->is_string()) return false;
      to = std::string(x->get_string());
      return true;
    };
    std::string part_id, blob_id, type, charset;
    if (!str("partId", part_id)) return path + "/partId";
    if (!str("blobId", blob_id)) return path + "/blobId";
    if (!str("type", type)) return path + "/type";
    if (!str("charset", charset)) return path + "/charset";
    if (!str("disposition", out.disposition)) return path + "/disposition";
    if (!str("name", out.name)) return path + "/name";
    if (!str("cid", out.cid)) return path + "/cid";
    if (!str("location", out.location)) return path + "/location";
    if (const json::value* lang = o->if_contains("language"); lang && !lang->is_null()) {
      auto list = Strings(*lang);
      if (!list) return path + "/language";
      out.language = std::move(*list);
    }
    if (auto bad = ReadHeaders(*o, out.headers, true)) return path + "/" + *bad;
    for (const auto& [key, value] : *o) {
      static const std::set<std::string, std::less<>> kKnown = {
          "partId", "blobId",   "type",     "charset", "disposition", "name",
          "cid",    "language", "location", "headers", "subParts",    "size"};
      if (!kKnown.count(key) && !key.starts_with("header:")) return path + "/" + std::string(key);
    }
    type = AsciiLower(type);
    if (type.starts_with("multipart/")) {
      const json::value* sub = o->if_contains("subParts");
      if (!sub || !sub->is_array() || !part_id.empty() || !blob_id.empty()) {
        return path + "/subParts";
      }
      out.type = type;
      size_t i = 0;
      for (const auto& child : sub->get_array()) {
        std::string child_path = path + "/subParts/" + std::to_string(i++);
        if (auto bad = Part(child, child_path, depth + 1, out.children.emplace_back())) return bad;
      }
      return std::nullopt;
    }
    if (part_id.empty() == blob_id.empty()) return path + "/partId";  // exactly one of the two
    if (!part_id.empty()) {
      const json::value* value = body_values ? body_values->if_contains(part_id) : nullptr;
      const json::object* bv = value ? value->if_object() : nullptr;
      const json::value* text = bv ? bv->if_contains("value") : nullptr;
      if (!text || !text->is_string()) return path + "/partId";
      for (const char* flag : {"isEncodingProblem", "isTruncated"}) {
        const json::value* f = bv->if_contains(flag);
        if (f && !(f->is_bool() && !f->get_bool())) return "bodyValues/" + part_id;
      }
      if (!charset.empty()) return path + "/charset";  // text from bodyValues is UTF-8
      out.type = type.empty() ? "text/plain" : type;
      if (!out.type.starts_with("text/")) return path + "/type";
      out.charset = "utf-8";
      out.content = std::string(text->get_string());
      return std::nullopt;
    }
    bool store_failed = false;
    auto bytes = ReadBlob(c.store, c.who.account, blob_id, store_failed);
    failed = failed || store_failed;
    if (!bytes) {
      missing_blobs.push_back(blob_id);
      return std::nullopt;
    }
    out.type = type.empty() ? "application/octet-stream" : type;
    out.charset = out.type.starts_with("text/") ? charset : std::string();
    out.content = std::move(*bytes);
    return std::nullopt;
  }

  // The body from bodyStructure, or from textBody, htmlBody and attachments.
  std::optional<std::string> Body(const json::object& o, mime::DraftPart& out) {
    if (const json::value* bv = o.if_contains("bodyValues"); bv && !bv->is_null()) {
      body_values = bv->if_object();
      if (!body_values) return "bodyValues";
    }
    const json::value* structure = o.if_contains("bodyStructure");
    bool flat = o.contains("textBody") || o.contains("htmlBody") || o.contains("attachments");
    if (structure && !structure->is_null()) {
      if (flat) return "bodyStructure";
      return Part(*structure, "bodyStructure", 0, out);
    }
    auto one = [&](const char* key, const char* want,
                   std::optional<mime::DraftPart>& to) -> std::optional<std::string> {
      const json::value* v = o.if_contains(key);
      if (!v || v->is_null()) return std::nullopt;
      const json::array* a = v->if_array();
      if (!a || a->size() != 1) return std::string(key);
      to.emplace();
      if (auto bad = Part((*a)[0], std::string(key) + "/0", 0, *to)) return bad;
      if (to->type != want) return std::string(key);
      return std::nullopt;
    };
    std::optional<mime::DraftPart> text, html;
    if (auto bad = one("textBody", "text/plain", text)) return bad;
    if (auto bad = one("htmlBody", "text/html", html)) return bad;
    std::vector<mime::DraftPart> related, mixed;
    if (const json::value* a = o.if_contains("attachments"); a && !a->is_null()) {
      if (!a->is_array()) return "attachments";
      size_t i = 0;
      for (const auto& x : a->get_array()) {
        mime::DraftPart p;
        if (auto bad = Part(x, "attachments/" + std::to_string(i++), 0, p)) return bad;
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
      body.type = "text/plain";
      body.charset = "utf-8";
    }
    if (!related.empty()) {
      mime::DraftPart r{"multipart/related"};
      r.children.push_back(std::move(body));
      for (auto& p : related) r.children.push_back(std::move(p));
      body = std::move(r);
    }
    if (!mixed.empty()) {
      mime::DraftPart m{"multipart/mixed"};
      m.children.push_back(std::move(body));
      for (auto& p : mixed) m.children.push_back(std::move(p));
      body = std::move(m);
    }
    out = std::move(body);
    return std::nullopt;
  }
};

std::string RandomHex(size_t n) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out += kHex[rng() & 15];
  return out;
}

// An Email/set create to a message ready to store; a SetError on failure.
struct Creation {
  store::Incoming incoming;
};

Failure ReadCreate(MethodContext& c, const Mailboxes& boxes, const json::object& o, Creation& out) {
  Failure failure;
  static const std::set<std::string, std::less<>> kServerSet = {"id",   "blobId",        "threadId",
                                                                "size", "hasAttachment", "preview"};
  static const std::vector<std::pair<std::string_view, std::string_view>> kConvenience = {
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
  for (const auto& [key, value] : o) {
    if (kServerSet.count(key)) return InvalidProperties({std::string(key)}, "set by the server");
  }
  const json::value* mailbox_ids = o.if_contains("mailboxIds");
  if (!mailbox_ids) return InvalidProperties({"mailboxIds"}, "an email needs a mailbox");
  auto mailboxes = MailboxSet(c, boxes, *mailbox_ids, failure);
  if (!mailboxes) return failure;
  if (mailboxes->empty()) return InvalidProperties({"mailboxIds"}, "an email needs a mailbox");
  store::Keywords keywords;
  if (const json::value* k = o.if_contains("keywords"); k && !k->is_null()) {
    auto set = KeywordSet(*k, failure);
    if (!set) return failure;
    keywords = std::move(*set);
  }
  int64_t received = UnixNow();
  if (const json::value* r = o.if_contains("receivedAt"); r && !r->is_null()) {
    auto t = r->is_string() ? ParseUtcDate(r->get_string()) : std::nullopt;
    if (!t) return InvalidProperties({"receivedAt"});
    received = *t;
  }
  Composer composer{c};
  std::vector<mime::HeaderField> headers;
  // The convenience properties, as the header forms they stand for (RFC 8621 4.1.3).
  for (const auto& [property, header] : kConvenience) {
    const json::value* v = o.if_contains(property);
    if (!v || v->is_null()) continue;
    std::string name(header);
    std::string form =
        property == "subject"  ? ":asText"
        : property == "sentAt" ? ":asDate"
        : property == "messageId" || property == "inReplyTo" || property == "references"
            ? ":asMessageIds"
            : ":asAddresses";
    std::string property_name = "header:";
    property_name += name;
    property_name += form;
    auto h = ParseHeaderProperty(property_name);
    auto values = h ? Composer::HeaderValues(*h, *v) : std::nullopt;
    if (!values) return InvalidProperties({std::string(property)});
    for (auto& raw : *values) headers.push_back({name, std::move(raw)});
  }
  std::vector<mime::HeaderField> extra;
  if (auto bad = composer.ReadHeaders(o, extra, false)) return InvalidProperties({*bad});
  for (const auto& e : extra) {
    for (const auto& h : headers) {
      if (AsciiLower(h.name) == AsciiLower(e.name)) {
        return InvalidProperties({"header:" + e.name}, "given twice");
      }
    }
  }
  headers.insert(headers.end(), extra.begin(), extra.end());
  auto has = [&headers](std::string_view name) {
    return std::any_of(headers.begin(), headers.end(),
                       [&](const auto& h) { return AsciiLower(h.name) == AsciiLower(name); });
  };
  if (!has("Date")) headers.push_back({"Date", " " + mime::FormatRfc5322Date({received, 0})});
  if (!has("Message-ID")) {
    headers.push_back({"Message-ID", " <" + RandomHex(24) + "@pushmail>"});
  }
  for (const auto& field : o) {
    std::string_view key = field.key();
    static const std::set<std::string, std::less<>> kKnown = {
        "mailboxIds", "keywords", "receivedAt", "headers",    "bodyStructure",
        "bodyValues", "textBody", "htmlBody",   "attachments"};
    bool convenience = std::any_of(kConvenience.begin(), kConvenience.end(),
                                   [&](const auto& p) { return p.first == key; });
    if (!kKnown.count(key) && !convenience && !key.starts_with("header:")) {
      return InvalidProperties({std::string(key)}, "unknown property");
    }
  }
  mime::DraftPart body;
  if (auto bad = composer.Body(o, body)) return InvalidProperties({*bad});
  if (composer.failed) return SetError("serverFail", "cannot read a blob");
  if (!composer.missing_blobs.empty()) {
    json::object e = SetError("blobNotFound");
    json::array ids;
    for (const auto& b : composer.missing_blobs) ids.emplace_back(b);
    e["notFound"] = std::move(ids);
    return e;
  }
  store::Incoming& in = out.incoming;
  in.message = mime::Compose(headers, body);
  in.summary = mime::Parse(in.message);
  in.received_at = received;
  in.recipients = {c.who.account};
  in.mailbox = mailboxes->front();
  in.more_mailboxes.assign(mailboxes->begin() + 1, mailboxes->end());
  in.keywords = std::move(keywords);
  return std::nullopt;
}

// Stores `creations` (in one commit) and fills `created` / `not_created`.
bool StoreCreations(MethodContext& c, std::vector<std::pair<std::string, Creation>>& creations,
                    json::object& created, json::object& not_created) {
  if (creations.empty()) return true;
  std::vector<store::Incoming> all;
  all.reserve(creations.size());
  for (auto& [cid, creation] : creations) all.push_back(std::move(creation.incoming));
  auto delivered = c.store.DeliverAll(std::move(all));
  if (!delivered) {
    for (const auto& [cid, creation] : creations) {
      not_created[cid] = SetError("serverFail", "cannot store the email");
    }
    return false;
  }
  for (size_t i = 0; i < creations.size() && i < delivered->size(); ++i) {
    const auto& d = (*delivered)[i];
    auto record = c.store.GetEmail(d.email);
    std::string id = store::EmailJmapId(d.email);
    created[creations[i].first] = json::object{{"id", id},
                                               {"blobId", record ? record->blob_id : std::string()},
                                               {"threadId", store::ThreadJmapId(d.thread)},
                                               {"size", record ? record->size : 0}};
    c.created_ids[creations[i].first] = id;
  }
  return true;
}

std::optional<MethodError> CheckIfInState(const json::object& args, const store::Account& a) {
  const json::value* s = args.if_contains("ifInState");
  if (!s || s->is_null()) return std::nullopt;
  if (!s->is_string() || s->get_string() != StateString(a.email_state)) {
    return MethodError{"stateMismatch", "the state is not ifInState"};
  }
  return std::nullopt;
}

size_t Count(const json::object& args, std::string_view key) {
  const json::value* v = args.if_contains(key);
  if (!v) return 0;
  if (const auto* o = v->if_object()) return o->size();
  if (const auto* a = v->if_array()) return a->size();
  return 0;
}

}  // namespace

MethodResult EmailSet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  for (const char* key : {"create", "update"}) {
    const json::value* v = args.if_contains(key);
    if (v && !v->is_null() && !v->is_object()) {
      return {{}, InvalidArguments(std::string(key) + " must be an object or null")};
    }
  }
  const json::value* destroy = args.if_contains("destroy");
  if (destroy && !destroy->is_null() && !destroy->is_array()) {
    return {{}, InvalidArguments("destroy must be an array or null")};
  }
  if (Count(args, "create") + Count(args, "update") + Count(args, "destroy") >
      c.limits.max_objects_in_set) {
    return MethodResult::Error("requestTooLarge", "more objects than maxObjectsInSet");
  }
  auto account = c.store.GetAccount(c.who.account);
  auto boxes = ReadMailboxes(c);
  if (!account || !boxes) return MethodResult::Error("serverFail", "cannot read the account");
  if (auto e = CheckIfInState(args, *account)) return {{}, e};
  json::object created, not_created, updated, not_updated, not_destroyed;
  json::array destroyed;
  // Create first, so that update and destroy may name the new emails (RFC 8620 5.3).
  if (const json::value* create = args.if_contains("create"); create && create->is_object()) {
    std::vector<std::pair<std::string, Creation>> creations;
    for (const auto& [cid, value] : create->get_object()) {
      Creation creation;
      const json::object* o = value.if_object();
      Failure f = o ? ReadCreate(c, *boxes, *o, creation)
                    : Failure(InvalidProperties({}, "an Email object is an object"));
      if (f) {
        not_created[cid] = std::move(*f);
      } else {
        creations.emplace_back(std::string(cid), std::move(creation));
      }
    }
    StoreCreations(c, creations, created, not_created);
  }
  if (const json::value* update = args.if_contains("update"); update && update->is_object()) {
    std::vector<store::EmailUpdate> updates;
    std::vector<std::string> names;
    for (const auto& [given, value] : update->get_object()) {
      auto id = ResolveId(c, given);
      auto row = id ? store::ParseJmapId(*id, 'E') : std::nullopt;
      if (!row) {
        not_updated[given] = SetError("notFound");
        continue;
      }
      store::EmailUpdate u;
      u.email = *row;
      const json::object* patch = value.if_object();
      Failure f = patch ? ReadUpdate(c, *boxes, *patch, u)
                        : Failure(SetError("invalidPatch", "a patch is an object"));
      if (f) {
        not_updated[given] = std::move(*f);
        continue;
      }
      updates.push_back(std::move(u));
      names.emplace_back(given);
    }
    if (!updates.empty()) {
      auto results = c.store.UpdateEmails(c.who.account, updates);
      if (!results) return MethodResult::Error("serverFail", "cannot update emails");
      for (size_t i = 0; i < names.size(); ++i) {
        if ((*results)[i] == store::EmailWriteError::kNone) {
          updated[names[i]] = nullptr;
        } else if ((*results)[i] == store::EmailWriteError::kNotFound ||
                   (*results)[i] == store::EmailWriteError::kTooManyKeywords) {
          not_updated[names[i]] = SetError(SetErrorFor((*results)[i]));
        } else {
          not_updated[names[i]] = InvalidProperties({"mailboxIds"}, "an email needs a mailbox");
        }
      }
    }
  }
  if (destroy && destroy->is_array()) {
    std::vector<store::EmailId> ids;
    std::vector<json::value> names;
    for (const auto& v : destroy->get_array()) {
      auto id = v.is_string() ? ResolveId(c, v.get_string()) : std::nullopt;
      auto row = id ? store::ParseJmapId(*id, 'E') : std::nullopt;
      if (!row) {
        if (v.is_string()) not_destroyed[v.get_string()] = SetError("notFound");
        continue;
      }
      ids.push_back(*row);
      names.push_back(v);
    }
    if (!ids.empty()) {
      auto results = c.store.DestroyEmails(c.who.account, ids);
      if (!results) return MethodResult::Error("serverFail", "cannot destroy emails");
      for (size_t i = 0; i < names.size(); ++i) {
        if ((*results)[i] == store::EmailWriteError::kNone) {
          destroyed.push_back(names[i]);
        } else {
          not_destroyed[names[i].get_string()] = SetError("notFound");
        }
      }
    }
  }
  auto after = c.store.GetAccount(c.who.account);
  if (!after) return MethodResult::Error("serverFail", "cannot read the account");
  json::object out{{"accountId", AccountJmapId(c.who.account)},
                   {"oldState", StateString(account->email_state)},
                   {"newState", StateString(after->email_state)}};
  auto put = [&out](const char* key, auto value) {
    if (value.empty()) {
      out[key] = nullptr;
    } else {
      out[key] = std::move(value);
    }
  };
  put("created", std::move(created));
  put("updated", std::move(updated));
  put("destroyed", std::move(destroyed));
  put("notCreated", std::move(not_created));
  put("notUpdated", std::move(not_updated));
  put("notDestroyed", std::move(not_destroyed));
  return {std::move(out), {}};
}

MethodResult EmailImport(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  const json::value* emails = args.if_contains("emails");
  if (!emails || !emails->is_object()) return {{}, InvalidArguments("emails must be an object")};
  if (emails->get_object().size() > c.limits.max_objects_in_set) {
    return MethodResult::Error("requestTooLarge", "more emails than maxObjectsInSet");
  }
  auto account = c.store.GetAccount(c.who.account);
  auto boxes = ReadMailboxes(c);
  if (!account || !boxes) return MethodResult::Error("serverFail", "cannot read the account");
  if (auto e = CheckIfInState(args, *account)) return {{}, e};
  json::object created, not_created;
  std::vector<std::pair<std::string, Creation>> creations;
  for (const auto& [cid, value] : emails->get_object()) {
    const json::object* o = value.if_object();
    Failure failure;
    const json::value* blob = o ? o->if_contains("blobId") : nullptr;
    const json::value* mailbox_ids = o ? o->if_contains("mailboxIds") : nullptr;
    if (!blob || !blob->is_string()) {
      not_created[cid] = InvalidProperties({"blobId"});
      continue;
    }
    if (!mailbox_ids) {
      not_created[cid] = InvalidProperties({"mailboxIds"});
      continue;
    }
    auto mailboxes = MailboxSet(c, *boxes, *mailbox_ids, failure);
    if (mailboxes && mailboxes->empty()) failure = InvalidProperties({"mailboxIds"});
    store::Keywords keywords;
    if (const json::value* k = o->if_contains("keywords"); !failure && k && !k->is_null()) {
      if (auto set = KeywordSet(*k, failure)) keywords = std::move(*set);
    }
    int64_t received = UnixNow();
    if (const json::value* r = o->if_contains("receivedAt"); !failure && r && !r->is_null()) {
      auto t = r->is_string() ? ParseUtcDate(r->get_string()) : std::nullopt;
      if (!t) failure = InvalidProperties({"receivedAt"});
      received = t.value_or(received);
    }
    if (failure) {
      not_created[cid] = std::move(*failure);
      continue;
    }
    bool failed = false;
    auto bytes = ReadBlob(c.store, c.who.account, blob->get_string(), failed);
    if (failed) return MethodResult::Error("serverFail", "cannot read a blob");
    if (!bytes) {
      json::object e = SetError("blobNotFound");
      e["notFound"] = json::array{*blob};
      not_created[cid] = std::move(e);
      continue;
    }
    Creation creation;
    store::Incoming& in = creation.incoming;
    in.summary = mime::Parse(*bytes);
    in.message = std::move(*bytes);
    // A whole blob (not a part's, whose octets were decoded) is the message as stored.
    if (blob->get_string().size() == kMessageBlobIdSize) in.stored_blob = blob->get_string();
    in.received_at = received;
    in.recipients = {c.who.account};
    in.mailbox = mailboxes->front();
    in.more_mailboxes.assign(mailboxes->begin() + 1, mailboxes->end());
    in.keywords = std::move(keywords);
    creations.emplace_back(std::string(cid), std::move(creation));
  }
  StoreCreations(c, creations, created, not_created);
  auto after = c.store.GetAccount(c.who.account);
  if (!after) return MethodResult::Error("serverFail", "cannot read the account");
  json::object out{{"accountId", AccountJmapId(c.who.account)},
                   {"oldState", StateString(account->email_state)},
                   {"newState", StateString(after->email_state)}};
  out["created"] = created.empty() ? json::value(nullptr) : json::value(std::move(created));
  out["notCreated"] =
      not_created.empty() ? json::value(nullptr) : json::value(std::move(not_created));
  return {std::move(out), {}};
}

MethodResult EmailParse(MethodContext& c, const json::object& args) {
  static const std::vector<std::string> kDefaults = {
      "messageId", "inReplyTo",  "references", "sender",   "from",       "to",
      "cc",        "bcc",        "replyTo",    "subject",  "sentAt",     "hasAttachment",
      "preview",   "bodyValues", "textBody",   "htmlBody", "attachments"};
  if (auto e = CheckAccount(c, args)) return {{}, e};
  const json::value* ids = args.if_contains("blobIds");
  if (!ids || !ids->is_array()) return {{}, InvalidArguments("blobIds must be an array")};
  if (ids->get_array().size() > c.limits.max_objects_in_get) {
    return MethodResult::Error("requestTooLarge", "more blobs than maxObjectsInGet");
  }
  EmailProperties props;
  if (auto e = ReadEmailProperties(args, kDefaults, props)) return {{}, e};
  json::object parsed;
  json::array not_parsable, not_found;
  for (const auto& v : ids->get_array()) {
    if (!v.is_string()) return {{}, InvalidArguments("blobIds must hold ids")};
    bool failed = false;
    auto bytes = ReadBlob(c.store, c.who.account, v.get_string(), failed);
    if (failed) return MethodResult::Error("serverFail", "cannot read a blob");
    if (!bytes) {
      not_found.push_back(v);
      continue;
    }
    EmailData e;
    e.summary = mime::Parse(*bytes);
    // No header field at all: not a message (a whole blob of header is GMime's fallback).
    if (mime::SplitHeader(
            mime::Slice(*bytes, {e.summary.body.header_offset, e.summary.body.body_offset}))
            .empty()) {
      not_parsable.push_back(v);
      continue;
    }
    e.blob_id = std::string(v.get_string());
    e.size = static_cast<int64_t>(bytes->size());
    e.message = *bytes;
    parsed[v.get_string()] = RenderEmail(e, props);
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"parsed", parsed.empty() ? json::value(nullptr) : json::value(parsed)},
                       {"notParsable", std::move(not_parsable)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult EmailCopy(MethodContext& c, const json::object& args) {
  // One login has one account, and a copy goes between two accounts (RFC 8620 5.4): there is
  // never a second account this principal may write to.
  const json::value* from = args.if_contains("fromAccountId");
  if (!from || !from->is_string()) return {{}, InvalidArguments("fromAccountId must be an id")};
  if (auto e = CheckAccount(c, args)) return {{}, e};
  if (from->get_string() == AccountJmapId(c.who.account)) {
    return {{}, InvalidArguments("fromAccountId must differ from accountId")};
  }
  return MethodResult::Error("fromAccountNotFound", "no such account");
}

}  // namespace pushmail::jmap
