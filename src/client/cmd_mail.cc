// `pushmail ls`, `read`, `rm`, `mv` and `flag`. `ls` and `read` fall back to the offline cache
// (`pushmail sync`) when the server cannot be reached.
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "client/cache.h"
#include "client/commands.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "client/mail.h"
#include "client/message_text.h"
#include "client/rules.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

// The cache, when the server is away and there is one; else the failure goes on.
Cache OfflineCache(const Login& login, const Failure& why) {
  if (why.kind() != FailureKind::kUnreachable) throw why;
  auto cache = Cache::Open(Cache::DefaultPath(), CacheOwner(login), false);
  if (!cache || cache->Meta("synced_at").empty()) throw why;
  std::fprintf(stderr, "pushmail: %s\npushmail: offline: showing the cache of %s\n", why.what(),
               cache->Meta("synced_at").c_str());
  return std::move(*cache);
}

void PrintList(const std::vector<EmailFacts>& emails, bool as_json) {
  for (const auto& e : emails) {
    if (as_json) {
      std::printf("%s\n", json::serialize(FactsJson(e)).c_str());
      continue;
    }
    std::string marks;
    marks += HasKeyword(e, "$seen") ? ' ' : 'N';
    marks += HasKeyword(e, "$flagged") ? 'F' : ' ';
    marks += HasKeyword(e, "$answered") ? 'A' : ' ';
    std::printf("%-8s %s %s\n", e.id.c_str(), marks.c_str(), FormatLine(e, 50).c_str());
  }
}

std::vector<EmailFacts> ListOnline(JmapClient& client, const ListFlags& flags) {
  std::vector<MailboxInfo> boxes = FetchMailboxes(client);
  const MailboxInfo& box = RequireMailbox(boxes, flags.mailbox);
  json::object filter{{"inMailbox", box.id}};
  if (flags.unread) filter["notKeyword"] = "$seen";
  json::array calls{
      json::array{"Email/query",
                  json::object{{"filter", std::move(filter)},
                               {"sort", json::array{json::object{{"property", "receivedAt"},
                                                                 {"isAscending", false}}}},
                               {"limit", flags.limit}},
                  "q"},
      json::array{
          "Email/get",
          json::object{
              {"#ids", json::object{{"resultOf", "q"}, {"name", "Email/query"}, {"path", "/ids"}}},
              {"properties", FactsProperties(false)}},
          "g"}};
  json::array responses = client.Call(std::move(calls));
  Response(responses, "q");
  std::vector<EmailFacts> out;
  const auto* list = Response(responses, "g").if_contains("list");
  for (const auto& e : list && list->is_array() ? list->as_array() : json::array()) {
    if (e.is_object()) out.push_back(FactsFromJson(e.as_object(), boxes));
  }
  return out;
}

std::vector<EmailFacts> ListCached(Cache& cache, const ListFlags& flags) {
  std::vector<MailboxInfo> boxes = cache.Mailboxes();
  const MailboxInfo& box = RequireMailbox(boxes, flags.mailbox);
  std::vector<EmailFacts> out;
  for (const auto& e : cache.Emails()) {
    if (static_cast<int>(out.size()) >= flags.limit) break;
    EmailFacts f = FactsFromJson(e, boxes);
    bool in = std::find(f.mailbox_ids.begin(), f.mailbox_ids.end(), box.id) != f.mailbox_ids.end();
    if (in && !(flags.unread && HasKeyword(f, "$seen"))) out.push_back(std::move(f));
  }
  return out;
}

[[noreturn]] void NoSuchEmail(const std::string& id) {
  throw Failure(FailureKind::kNotFound, "no message with id " + id + " (`pushmail ls` shows ids)");
}

// Email/set `update` for each id; unknown ids are a kNotFound failure.
void Update(JmapClient& client, const std::vector<std::string>& ids, const json::object& patch) {
  json::object update;
  for (const auto& id : ids) update[id] = patch;
  json::object result = client.CallOne("Email/set", json::object{{"update", std::move(update)}});
  const auto* failed = result.if_contains("notUpdated");
  if (!failed || !failed->is_object()) return;
  for (const auto& [id, error] : failed->as_object()) {
    std::string type = error.is_object() ? Str(error.as_object(), "type") : "";
    if (type == "notFound") NoSuchEmail(std::string(id));
    throw Failure(FailureKind::kServer,
                  "the server did not update " + std::string(id) + ": " + json::serialize(error));
  }
}

void ShowMessage(const std::string& raw, const ReadFlags& flags) {
  MessageText m = RenderMessage(raw);
  for (const auto& [name, value] : m.headers) {
    std::printf("%s: %s\n", name.c_str(), OneLine(value).c_str());
  }
  std::printf("\n%s", m.text.c_str());
  if (!m.attachments.empty()) std::printf("\nAttachments:\n");
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    const Attachment& a = m.attachments[i];
    std::printf("  [%zu] %s (%s, %lld octets)\n", i + 1,
                OneLine(a.filename.empty() ? "(no name)" : a.filename).c_str(), a.type.c_str(),
                static_cast<long long>(a.size));
  }
  if (flags.save_dir.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(flags.save_dir, ec);
  for (size_t i = 0; i < m.attachments.size(); ++i) {
    std::string name = SafeFilename(m.attachments[i].filename, i + 1);
    std::filesystem::path path = std::filesystem::path(flags.save_dir) / name;
    for (int n = 2; std::filesystem::exists(path); ++n) {
      path = std::filesystem::path(flags.save_dir) / (std::to_string(n) + "-" + name);
    }
    std::ofstream out(path, std::ios::binary);
    std::string content = AttachmentContent(raw, m, m.attachments[i]);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) throw Failure(FailureKind::kLocal, "cannot write " + path.string());
    std::printf("saved %s\n", path.c_str());
  }
}

}  // namespace

int RunList(const ListFlags& flags) {
  Login login = RequireLogin();
  JmapClient client(login);
  std::vector<EmailFacts> emails;
  try {
    emails = ListOnline(client, flags);
  } catch (const Failure& f) {
    Cache cache = OfflineCache(login, f);
    emails = ListCached(cache, flags);
  }
  PrintList(emails, flags.json);
  return 0;
}

int RunRead(const ReadFlags& flags) {
  Login login = RequireLogin();
  JmapClient client(login);
  std::string raw;
  try {
    json::object got = client.CallOne(
        "Email/get", json::object{{"ids", json::array{flags.id}},
                                  {"properties", json::array{"blobId", "keywords"}}});
    const auto* list = got.if_contains("list");
    if (!list || !list->is_array() || list->as_array().empty()) NoSuchEmail(flags.id);
    const json::object& email = list->as_array().front().as_object();
    raw = client.Download(Str(email, "blobId"), "message/rfc822");
    const auto* keywords = email.if_contains("keywords");
    bool seen = keywords && keywords->is_object() && keywords->as_object().contains("$seen");
    if (!seen) Update(client, {flags.id}, json::object{{"keywords/$seen", true}});
    if (auto cache = Cache::Open(Cache::DefaultPath(), CacheOwner(login), false)) {
      cache->SaveRaw(flags.id, raw);
    }
  } catch (const Failure& f) {
    if (f.kind() == FailureKind::kNotFound) throw;
    Cache cache = OfflineCache(login, f);
    auto cached = cache.Raw(flags.id);
    if (!cached) {
      throw Failure(FailureKind::kNotFound,
                    "message " + flags.id + " is not in the offline cache (run `pushmail sync`)");
    }
    raw = std::move(*cached);
  }
  if (flags.raw) {
    std::fwrite(raw.data(), 1, raw.size(), stdout);
    return 0;
  }
  ShowMessage(raw, flags);
  return 0;
}

int RunRemove(const std::vector<std::string>& ids) {
  JmapClient client(RequireLogin());
  std::vector<MailboxInfo> boxes = FetchMailboxes(client);
  const MailboxInfo& trash = RequireMailbox(boxes, "trash");
  Update(client, ids, json::object{{"mailboxIds", json::object{{trash.id, true}}}});
  for (const auto& id : ids) std::printf("moved %s to %s\n", id.c_str(), trash.name.c_str());
  return 0;
}

int RunMove(const std::vector<std::string>& ids, const std::string& mailbox) {
  JmapClient client(RequireLogin());
  std::vector<MailboxInfo> boxes = FetchMailboxes(client);
  const MailboxInfo& to = RequireMailbox(boxes, mailbox);
  Update(client, ids, json::object{{"mailboxIds", json::object{{to.id, true}}}});
  for (const auto& id : ids) std::printf("moved %s to %s\n", id.c_str(), to.name.c_str());
  return 0;
}

int RunFlag(const std::string& id, const std::vector<std::string>& changes) {
  json::object patch;
  for (const auto& change : changes) {
    auto parsed = ParseKeywordChange(change);
    if (!parsed) {
      throw Failure(FailureKind::kUsage,
                    "'" + change + "' is no flag change: write +seen, -seen, +flagged, ...");
    }
    if (parsed->first) {
      patch["keywords/" + parsed->second] = true;
    } else {
      patch["keywords/" + parsed->second] = nullptr;
    }
  }
  JmapClient client(RequireLogin());
  Update(client, {id}, patch);
  json::object got = client.CallOne(
      "Email/get", json::object{{"ids", json::array{id}}, {"properties", json::array{"keywords"}}});
  std::string now;
  if (const auto* list = got.if_contains("list");
      list && list->is_array() && !list->as_array().empty()) {
    if (const auto* kw = list->as_array().front().as_object().if_contains("keywords");
        kw && kw->is_object()) {
      for (const auto& [k, v] : kw->as_object()) now += (now.empty() ? "" : " ") + std::string(k);
    }
  }
  std::printf("%s: %s\n", id.c_str(), now.empty() ? "(no flags)" : now.c_str());
  return 0;
}

}  // namespace pushmail::client
