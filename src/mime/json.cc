// The stored form of a Summary: compact JSON with short, stable keys.
#include <boost/json.hpp>

#include "mime/mime.h"

namespace pushmail::mime {
namespace json = boost::json;
namespace {

json::array AddressesToJson(const std::vector<Address>& list) {
  json::array out;
  for (const auto& a : list) out.push_back(json::object{{"name", a.name}, {"email", a.email}});
  return out;
}

json::array StringsToJson(const std::vector<std::string>& list) {
  json::array out;
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

json::object PartToJson(const Part& p, bool offsets) {
  json::object o{{"id", p.part_id},
                 {"type", p.type},
                 {"subtype", p.subtype},
                 {"size", p.size},
                 {"lines", p.lines}};
  json::array params;
  for (const auto& [k, v] : p.params) params.push_back(json::array{json::string(k), v});
  o["params"] = std::move(params);
  auto optional = [&](const char* key, const std::string& value) {
    if (!value.empty()) o[key] = value;
  };
  optional("cid", p.id);
  optional("description", p.description);
  optional("encoding", p.encoding);
  optional("disposition", p.disposition);
  optional("filename", p.filename);
  optional("charset", p.charset);
  optional("language", p.language);
  optional("location", p.location);
  if (offsets) o["o"] = json::array{p.header_offset, p.body_offset, p.end_offset};
  if (!p.children.empty()) {
    json::array children;
    for (const auto& c : p.children) children.push_back(PartToJson(c, offsets));
    o["parts"] = std::move(children);
  }
  return o;
}

std::string GetString(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

int64_t GetInt(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_int64() ? v->get_int64() : 0;
}

const json::array* GetArray(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_array() ? &v->get_array() : nullptr;
}

std::vector<Address> AddressesFromJson(const json::object& o, std::string_view key) {
  std::vector<Address> out;
  if (auto* a = GetArray(o, key)) {
    for (const auto& v : *a) {
      if (v.is_object()) {
        out.push_back({GetString(v.get_object(), "name"), GetString(v.get_object(), "email")});
      }
    }
  }
  return out;
}

std::vector<std::string> StringsFromJson(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  if (auto* a = GetArray(o, key)) {
    for (const auto& v : *a) {
      if (v.is_string()) out.emplace_back(v.get_string());
    }
  }
  return out;
}

// Reads "o": [header, body, end]; false when it is missing or malformed.
bool OffsetsFromJson(const json::object& o, Part& p) {
  auto* a = GetArray(o, "o");
  if (!a || a->size() != 3) return false;
  for (const auto& v : *a) {
    if (!v.is_int64()) return false;
  }
  p.header_offset = (*a)[0].get_int64();
  p.body_offset = (*a)[1].get_int64();
  p.end_offset = (*a)[2].get_int64();
  return 0 <= p.header_offset && p.header_offset <= p.body_offset && p.body_offset <= p.end_offset;
}

// `offsets` becomes false when this part or one below it lacks offsets.
Part PartFromJson(const json::object& o, bool& offsets, int depth = 0) {
  Part p;
  p.part_id = GetString(o, "id");
  p.type = GetString(o, "type");
  p.subtype = GetString(o, "subtype");
  p.size = GetInt(o, "size");
  p.lines = GetInt(o, "lines");
  if (auto* params = GetArray(o, "params")) {
    for (const auto& kv : *params) {
      if (kv.is_array() && kv.get_array().size() == 2 && kv.get_array()[0].is_string() &&
          kv.get_array()[1].is_string()) {
        p.params.emplace_back(kv.get_array()[0].get_string(), kv.get_array()[1].get_string());
      }
    }
  }
  p.id = GetString(o, "cid");
  p.description = GetString(o, "description");
  p.encoding = GetString(o, "encoding");
  p.disposition = GetString(o, "disposition");
  p.filename = GetString(o, "filename");
  p.charset = GetString(o, "charset");
  p.language = GetString(o, "language");
  p.location = GetString(o, "location");
  if (!OffsetsFromJson(o, p)) offsets = false;
  if (auto* parts = GetArray(o, "parts"); parts && depth < 64) {
    for (const auto& c : *parts) {
      if (c.is_object()) p.children.push_back(PartFromJson(c.get_object(), offsets, depth + 1));
    }
  }
  return p;
}

}  // namespace

json::value ToJson(const Summary& s) {
  json::object o{{"messageId", s.message_id},
                 {"inReplyTo", StringsToJson(s.in_reply_to)},
                 {"references", StringsToJson(s.references)},
                 {"subject", s.subject},
                 {"from", AddressesToJson(s.from)},
                 {"sender", AddressesToJson(s.sender)},
                 {"replyTo", AddressesToJson(s.reply_to)},
                 {"to", AddressesToJson(s.to)},
                 {"cc", AddressesToJson(s.cc)},
                 {"bcc", AddressesToJson(s.bcc)},
                 {"preview", s.preview},
                 {"hasAttachment", s.has_attachment},
                 {"body", PartToJson(s.body, s.offsets_known)}};
  if (s.sent_at) o["sentAt"] = *s.sent_at;
  return o;
}

Summary FromJson(const json::value& value) {
  Summary s;
  if (!value.is_object()) return s;
  const auto& o = value.get_object();
  s.message_id = GetString(o, "messageId");
  s.in_reply_to = StringsFromJson(o, "inReplyTo");
  s.references = StringsFromJson(o, "references");
  s.subject = GetString(o, "subject");
  s.from = AddressesFromJson(o, "from");
  s.sender = AddressesFromJson(o, "sender");
  s.reply_to = AddressesFromJson(o, "replyTo");
  s.to = AddressesFromJson(o, "to");
  s.cc = AddressesFromJson(o, "cc");
  s.bcc = AddressesFromJson(o, "bcc");
  s.preview = GetString(o, "preview");
  if (auto* v = o.if_contains("hasAttachment"); v && v->is_bool()) s.has_attachment = v->get_bool();
  if (auto* v = o.if_contains("sentAt"); v && v->is_int64()) s.sent_at = v->get_int64();
  if (auto* v = o.if_contains("body"); v && v->is_object()) {
    bool offsets = true;
    s.body = PartFromJson(v->get_object(), offsets);
    s.offsets_known = offsets;
  }
  return s;
}

}  // namespace pushmail::mime
