#include "client/mail.h"

#include <ctime>

#include "base/strings.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "mime/headers.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

int64_t Int(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_int64()    ? v->get_int64()
         : v && v->is_uint64() ? static_cast<int64_t>(v->get_uint64())
                               : 0;
}

// Each address of a JMAP EmailAddress list as "addr" and, with a name, "Name <addr>".
std::vector<std::string> Addresses(const json::object& email, std::string_view key,
                                   std::string* first) {
  std::vector<std::string> out;
  const auto* list = email.if_contains(key);
  if (!list || !list->is_array()) return out;
  for (const auto& a : list->as_array()) {
    if (!a.is_object()) continue;
    std::string name = Str(a.as_object(), "name"), addr = Str(a.as_object(), "email");
    std::string full = DisplayAddress(name, addr);
    if (first && first->empty()) *first = full;
    out.push_back(addr);
    if (!name.empty()) out.push_back(full);
  }
  return out;
}

// "2026-11-23T17:40:05Z" -> "2026-11-23 17:40" in local time; as it is when it does not parse.
std::string LocalTime(const std::string& utc) {
  std::tm tm{};
  if (!strptime(utc.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return utc;
  time_t t = timegm(&tm);
  std::tm local{};
  localtime_r(&t, &local);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%d %H:%M", &local);
  return out;
}

std::string Cut(const std::string& text, size_t chars) {
  std::string_view cut = mime::CutUtf8(text, chars);
  return cut.size() < text.size() ? std::string(cut) + "..." : text;
}

}  // namespace

std::vector<MailboxInfo> MailboxesFromJson(const json::object& response) {
  std::vector<MailboxInfo> out;
  const auto* list = response.if_contains("list");
  if (!list || !list->is_array()) return out;
  for (const auto& m : list->as_array()) {
    if (!m.is_object()) continue;
    const auto& o = m.as_object();
    out.push_back({Str(o, "id"), Str(o, "name"), Str(o, "role"), Int(o, "totalEmails"),
                   Int(o, "unreadEmails")});
  }
  return out;
}

std::vector<MailboxInfo> FetchMailboxes(JmapClient& client) {
  json::object args{{"ids", nullptr},
                    {"properties", json::array{"name", "role", "totalEmails", "unreadEmails"}}};
  return MailboxesFromJson(client.CallOne("Mailbox/get", std::move(args)));
}

const MailboxInfo* FindMailbox(const std::vector<MailboxInfo>& boxes, std::string_view key) {
  for (const auto& b : boxes) {
    if (b.id == key) return &b;
  }
  for (const auto& b : boxes) {
    if (EqualsIgnoreCase(b.name, key)) return &b;
  }
  for (const auto& b : boxes) {
    if (!b.role.empty() && EqualsIgnoreCase(b.role, key)) return &b;
  }
  return nullptr;
}

const MailboxInfo& RequireMailbox(const std::vector<MailboxInfo>& boxes, std::string_view key) {
  if (const MailboxInfo* found = FindMailbox(boxes, key)) return *found;
  std::string names;
  for (const auto& b : boxes) names += (names.empty() ? "" : ", ") + b.name;
  throw Failure(FailureKind::kNotFound,
                "no mailbox '" + std::string(key) + "' (there are: " + names + ")");
}

json::array FactsProperties(bool headers) {
  json::array out{"id",      "blobId",  "threadId",   "from",       "to",       "cc",
                  "subject", "preview", "receivedAt", "mailboxIds", "keywords", "size"};
  if (headers) out.emplace_back("headers");
  return out;
}

EmailFacts FactsFromJson(const json::object& email, const std::vector<MailboxInfo>& boxes) {
  EmailFacts f;
  f.id = Str(email, "id");
  f.blob_id = Str(email, "blobId");
  f.thread_id = Str(email, "threadId");
  f.from_addrs = Addresses(email, "from", &f.from);
  f.to_addrs = Addresses(email, "to", nullptr);
  for (auto& cc : Addresses(email, "cc", nullptr)) f.to_addrs.push_back(std::move(cc));
  f.subject = Str(email, "subject");
  f.preview = Str(email, "preview");
  f.received_at = Str(email, "receivedAt");
  f.size = Int(email, "size");
  if (const auto* ids = email.if_contains("mailboxIds"); ids && ids->is_object()) {
    for (const auto& [id, on] : ids->as_object()) {
      f.mailbox_ids.emplace_back(id);
      const MailboxInfo* box = FindMailbox(boxes, id);
      f.mailboxes.push_back(box ? box->name : std::string(id));
    }
  }
  if (const auto* kw = email.if_contains("keywords"); kw && kw->is_object()) {
    for (const auto& [k, on] : kw->as_object()) f.keywords.emplace_back(k);
  }
  if (const auto* hs = email.if_contains("headers"); hs && hs->is_array()) {
    for (const auto& h : hs->as_array()) {
      if (!h.is_object()) continue;
      f.headers.emplace_back(Str(h.as_object(), "name"),
                             mime::HeaderText(Str(h.as_object(), "value")));
    }
  }
  return f;
}

MessageFacts RuleFacts(const EmailFacts& f) {
  return {f.from_addrs, f.to_addrs, f.subject, f.headers, f.size};
}

std::string DisplayAddress(std::string_view name, std::string_view email) {
  std::string out;
  if (!name.empty()) {
    out.append(name).append(" <").append(email).append(">");
  } else {
    out.append(email);
  }
  return out;
}

bool HasKeyword(const EmailFacts& facts, std::string_view keyword) {
  for (const auto& k : facts.keywords) {
    if (EqualsIgnoreCase(k, keyword)) return true;
  }
  return false;
}

std::string OneLine(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool space = static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == ' ';
    if (space) {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += c;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string FormatLine(const EmailFacts& f, size_t preview_chars) {
  std::string subject = f.subject.empty() ? "(no subject)" : f.subject;
  return LocalTime(f.received_at) + "  " + OneLine(f.from.empty() ? "(unknown)" : f.from) + "  " +
         OneLine(subject) + "  " + Cut(OneLine(f.preview), preview_chars);
}

json::object FactsJson(const EmailFacts& f) {
  json::array keywords;
  for (const auto& k : f.keywords) keywords.emplace_back(k);
  return {{"id", f.id},
          {"from", f.from},
          {"subject", f.subject},
          {"preview", f.preview},
          {"mailbox", f.mailboxes.empty() ? std::string() : f.mailboxes.front()},
          {"receivedAt", f.received_at},
          {"threadId", f.thread_id},
          {"keywords", std::move(keywords)},
          {"size", f.size}};
}

}  // namespace pushmail::client
