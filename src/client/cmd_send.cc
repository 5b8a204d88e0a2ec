// `pushmail send` and `pushmail reply`: a draft (header lines, a blank line, the body) from
// $EDITOR or standard input, composed into MIME by src/mime (GMime), uploaded, imported into
// Drafts and submitted with EmailSubmission/set, whose onSuccessUpdateEmail moves it to Sent.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>

#include "base/strings.h"
#include "client/commands.h"
#include "client/error.h"
#include "client/jmap_client.h"
#include "client/mail.h"
#include "client/message_text.h"
#include "mime/headers.h"

namespace pushmail::client {

namespace json = boost::json;

namespace {

constexpr size_t kMaxDraft = 64u << 20;

struct Draft {
  std::string to, cc, bcc, subject, body;
};

// "To: ...\nCc: ...\nSubject: ...\n\nbody"; a text without a header block is all body.
Draft ParseDraft(const std::string& text, Draft draft) {
  size_t pos = 0;
  bool any = false;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    std::string line = text.substr(pos, eol - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) {
      pos = eol + 1;
      break;
    }
    size_t colon = line.find(':');
    std::string name = colon == std::string::npos ? "" : line.substr(0, colon);
    name = AsciiLower(name);
    std::string value = colon == std::string::npos ? "" : OneLine(line.substr(colon + 1));
    std::string* field = name == "to"        ? &draft.to
                         : name == "cc"      ? &draft.cc
                         : name == "bcc"     ? &draft.bcc
                         : name == "subject" ? &draft.subject
                                             : nullptr;
    if (!field) {
      if (!any) return Draft{draft.to, draft.cc, draft.bcc, draft.subject, text};
      throw Failure(FailureKind::kUsage, "unknown header line in the draft: " + line);
    }
    *field = value;
    any = true;
    pos = eol + 1;
  }
  draft.body = pos < text.size() ? text.substr(pos) : std::string();
  return draft;
}

std::string Template(const Draft& d) {
  return "To: " + d.to + "\nCc: " + d.cc + "\nBcc: " + d.bcc + "\nSubject: " + d.subject + "\n\n" +
         d.body;
}

Draft Edit(const Draft& start) {
  std::string dir = std::filesystem::temp_directory_path().string();
  std::string path = dir + "/pushmail-draft-XXXXXX";
  int fd = ::mkstemp(path.data());
  if (fd < 0) throw Failure(FailureKind::kLocal, "cannot make a draft file in " + dir);
  std::string text = Template(start);
  bool wrote = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  const char* editor = std::getenv("VISUAL");
  if (!editor || !*editor) editor = std::getenv("EDITOR");
  std::string command = std::string(editor && *editor ? editor : "vi") + " \"$1\"";
  pid_t pid = wrote ? ::fork() : -1;
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", command.c_str(), "sh", path.c_str(), nullptr);
    ::_exit(127);
  }
  int status = 1;
  if (pid > 0) ::waitpid(pid, &status, 0);
  std::string edited = ReadFile(path, kMaxDraft).value_or(std::string());
  ::unlink(path.c_str());
  if (pid < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    throw Failure(FailureKind::kLocal, "the editor failed; nothing was sent");
  }
  if (edited == text)
    throw Failure(FailureKind::kUsage, "the draft was not changed; nothing was sent");
  return ParseDraft(edited, Draft{});
}

std::vector<mime::Address> Addresses(const std::string& line, const char* field) {
  if (OneLine(line).empty()) return {};
  auto list = mime::HeaderAddresses(line);
  if (list.empty())
    throw Failure(FailureKind::kUsage,
                  std::string("cannot read the ") + field + " addresses: " + line);
  return list;
}

std::string Join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

std::string MimeTypeOf(const std::string& file) {
  std::string ext = std::filesystem::path(file).extension().string();
  ext = AsciiLower(ext);
  static const std::pair<const char*, const char*> kTypes[] = {
      {".txt", "text/plain"}, {".pdf", "application/pdf"}, {".png", "image/png"},
      {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},     {".gif", "image/gif"},
      {".html", "text/html"}, {".zip", "application/zip"}, {".json", "application/json"},
      {".csv", "text/csv"}};
  for (const auto& [e, t] : kTypes) {
    if (ext == e) return t;
  }
  return "application/octet-stream";
}

struct Original {
  std::string id, message_id, subject, date;
  std::vector<std::string> references;
  std::vector<mime::Address> reply_to, from, to, cc;
  std::string text;
};

Original ReadOriginal(JmapClient& client, const std::string& id) {
  json::object got = client.CallOne(
      "Email/get", json::object{{"ids", json::array{id}}, {"properties", json::array{"blobId"}}});
  const auto* list = got.if_contains("list");
  if (!list || !list->is_array() || list->as_array().empty()) {
    throw Failure(FailureKind::kNotFound,
                  "no message with id " + id + " (`pushmail ls` shows ids)");
  }
  std::string raw =
      client.Download(Str(list->as_array().front().as_object(), "blobId"), "message/rfc822");
  MessageText m = RenderMessage(raw);
  const mime::Summary& s = m.summary;
  Original o{id, s.message_id, s.subject, "", s.references, s.reply_to, s.from, s.to, s.cc, m.text};
  if (o.references.empty()) o.references = s.in_reply_to;
  for (const auto& [name, value] : m.headers) {
    if (name == "Date") o.date = value;
  }
  return o;
}

std::string Quote(const Original& o) {
  std::string who =
      o.from.empty() ? "someone" : (o.from[0].name.empty() ? o.from[0].email : o.from[0].name);
  std::string out =
      "On " + (o.date.empty() ? std::string("an earlier day") : o.date) + ", " + who + " wrote:\n";
  std::istringstream lines(o.text);
  for (std::string line; std::getline(lines, line);)
    out += (line.empty() ? ">" : "> ") + line + "\n";
  return out;
}

std::string FormatList(const std::vector<mime::Address>& list) {
  std::vector<std::string> parts;
  parts.reserve(list.size());
  for (const auto& a : list) parts.push_back(DisplayAddress(a.name, a.email));
  return Join(parts);
}

std::string NewMessageId(const std::string& user) {
  std::mt19937_64 random(std::random_device{}());
  char id[40];
  std::snprintf(id, sizeof id, "%016llx.%08llx", static_cast<unsigned long long>(random()),
                static_cast<unsigned long long>(std::time(nullptr)));
  size_t at = user.find('@');
  return std::string(id) + "@" +
         (at == std::string::npos ? "pushmail.invalid" : user.substr(at + 1));
}

// Who the message goes to, as the draft's To, Cc and Bcc lines say.
struct Recipients {
  std::vector<mime::Address> to, cc, bcc;

  json::array Envelope() const {
    json::array out;
    for (const auto* list : {&to, &cc, &bcc}) {
      for (const auto& a : *list) out.push_back(json::object{{"email", a.email}});
    }
    return out;
  }
  std::string Emails() const {
    std::vector<std::string> out;
    for (const auto* list : {&to, &cc, &bcc}) {
      for (const auto& a : *list) out.push_back(a.email);
    }
    return Join(out);
  }
};

// To, Cc and Subject of an answer to `o` (Reply-To or From; with `all` the other recipients too).
void Answer(const Original& o, const std::string& self, bool all, Draft& draft) {
  const auto& to = o.reply_to.empty() ? o.from : o.reply_to;
  if (draft.to.empty()) draft.to = FormatList(to);
  if (all && draft.cc.empty()) {
    std::vector<mime::Address> cc;
    auto same = [](const mime::Address& a, const std::string& b) {
      return EqualsIgnoreCase(a.email, b);
    };
    for (const auto* list : {&o.to, &o.cc}) {
      for (const auto& a : *list) {
        bool already = std::any_of(to.begin(), to.end(),
                                   [&](const mime::Address& t) { return same(t, a.email); });
        if (!same(a, self) && !already) cc.push_back(a);
      }
    }
    draft.cc = FormatList(cc);
  }
  if (draft.subject.empty()) {
    draft.subject = StartsWithIgnoreCase(o.subject, "re:") ? o.subject : "Re: " + o.subject;
  }
}

// The draft from $EDITOR or standard input, the answered message quoted.
Draft WriteDraft(const ComposeFlags& flags, const std::optional<Original>& original, Draft draft) {
  if (flags.edit || ::isatty(STDIN_FILENO)) {
    draft.body = original ? "\n\n" + Quote(*original) : "";
    return Edit(draft);
  }
  draft = ParseDraft(ReadAll(std::cin, kMaxDraft, "the message"), draft);
  if (original) draft.body += (draft.body.ends_with('\n') ? "\n" : "\n\n") + Quote(*original);
  return draft;
}

mime::DraftPart Body(const Draft& draft, const std::vector<std::string>& attach) {
  mime::DraftPart text;
  text.type = "text/plain";
  text.charset = "utf-8";
  text.content = draft.body;
  if (attach.empty()) return text;
  mime::DraftPart body;
  body.type = "multipart/mixed";
  body.children.push_back(std::move(text));
  for (const auto& file : attach) {
    mime::DraftPart part;
    part.type = MimeTypeOf(file);
    part.disposition = "attachment";
    part.name = std::filesystem::path(file).filename().string();
    part.content = RequireFile(file, kMaxDraft);
    body.children.push_back(std::move(part));
  }
  return body;
}

std::string Compose(const mime::Address& from, const Recipients& r, const Draft& draft,
                    const std::optional<Original>& original, const ComposeFlags& flags) {
  std::vector<mime::HeaderField> headers;
  headers.push_back({"From", mime::FormatAddresses({{std::nullopt, {from}}})});
  if (!r.to.empty()) headers.push_back({"To", mime::FormatAddresses({{std::nullopt, r.to}})});
  if (!r.cc.empty()) headers.push_back({"Cc", mime::FormatAddresses({{std::nullopt, r.cc}})});
  headers.push_back({"Subject", mime::EncodeText(draft.subject)});
  time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  headers.push_back(
      {"Date", mime::FormatRfc5322Date({now, static_cast<int>(local.tm_gmtoff / 60)})});
  headers.push_back({"Message-ID", mime::FormatMessageIds({NewMessageId(from.email)})});
  if (original && !original->message_id.empty()) {
    std::vector<std::string> refs = original->references;
    refs.push_back(original->message_id);
    headers.push_back({"In-Reply-To", mime::FormatMessageIds({original->message_id})});
    headers.push_back({"References", mime::FormatMessageIds(refs)});
  }
  headers.push_back({"User-Agent", "pushmail/0.1"});
  return mime::Compose(headers, Body(draft, flags.attach));
}

void CheckCreated(const json::object& response, const std::string& what) {
  const auto* failed = response.if_contains("notCreated");
  if (failed && failed->is_object() && !failed->as_object().empty()) {
    throw Failure(FailureKind::kServer, what + ": " + json::serialize(*failed));
  }
}

// Imports `raw` into Drafts and submits it in one request; on success the server moves it to
// Sent. Returns the new email's id.
std::string Submit(JmapClient& client, const std::string& raw, const json::object& identity,
                   const Recipients& r) {
  std::vector<MailboxInfo> boxes = FetchMailboxes(client);
  const MailboxInfo& drafts = RequireMailbox(boxes, "drafts");
  const MailboxInfo& sent = RequireMailbox(boxes, "sent");
  std::string blob = client.Upload(raw, "message/rfc822");
  json::object email{{"blobId", blob},
                     {"mailboxIds", json::object{{drafts.id, true}}},
                     {"keywords", json::object{{"$draft", true}, {"$seen", true}}}};
  json::object envelope{{"mailFrom", json::object{{"email", Str(identity, "email")}}},
                        {"rcptTo", r.Envelope()}};
  json::object submission{
      {"identityId", Str(identity, "id")}, {"emailId", "#d"}, {"envelope", envelope}};
  json::object on_success{{"mailboxIds/" + drafts.id, nullptr},
                          {"mailboxIds/" + sent.id, true},
                          {"keywords/$draft", nullptr}};
  json::array calls{
      json::array{"Email/import", json::object{{"emails", json::object{{"d", email}}}}, "i"},
      json::array{"EmailSubmission/set",
                  json::object{{"create", json::object{{"s", submission}}},
                               {"onSuccessUpdateEmail", json::object{{"#s", on_success}}}},
                  "s"}};
  json::array responses = client.Call(std::move(calls));
  const json::object& imported = Response(responses, "i");
  CheckCreated(imported, "the server did not take the message");
  CheckCreated(Response(responses, "s"),
               "sending failed (the message stays in " + drafts.name + ")");
  const auto* created = imported.if_contains("created");
  const auto* d = created && created->is_object() ? created->as_object().if_contains("d") : nullptr;
  return d && d->is_object() ? Str(d->as_object(), "id") : std::string();
}

json::object Identity(JmapClient& client) {
  json::object got = client.CallOne("Identity/get", json::object{{"ids", nullptr}});
  const auto* list = got.if_contains("list");
  if (!list || !list->is_array() || list->as_array().empty() ||
      !list->as_array().front().is_object()) {
    throw Failure(FailureKind::kServer, "the server has no identity to send as");
  }
  return list->as_array().front().as_object();
}

}  // namespace

int RunSend(const ComposeFlags& flags) {
  Login login = RequireLogin();
  JmapClient client(login);
  Draft draft{Join(flags.to), Join(flags.cc), Join(flags.bcc), flags.subject, ""};
  std::optional<Original> original;
  if (!flags.reply_id.empty()) {
    original = ReadOriginal(client, flags.reply_id);
    Answer(*original, login.user, flags.reply_all, draft);
  }
  draft = WriteDraft(flags, original, draft);
  Recipients r{Addresses(draft.to, "To"), Addresses(draft.cc, "Cc"), Addresses(draft.bcc, "Bcc")};
  if (r.to.empty() && r.cc.empty() && r.bcc.empty()) {
    throw Failure(FailureKind::kUsage, "the message has no recipient (To:, Cc: or --to)");
  }
  json::object identity = Identity(client);
  mime::Address from{Str(identity, "name"), Str(identity, "email")};
  std::string id = Submit(client, Compose(from, r, draft, original, flags), identity, r);
  if (original) {
    json::object answered{{original->id, json::object{{"keywords/$answered", true}}}};
    client.CallOne("Email/set", json::object{{"update", std::move(answered)}});
  }
  std::printf("sent %s to %s (a copy is in Sent)\n", id.c_str(), r.Emails().c_str());
  return 0;
}

}  // namespace pushmail::client
