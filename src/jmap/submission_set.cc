// EmailSubmission/set (RFC 8621 7.5): sending an email. Local recipients get it at once through
// delivery::DeliverLocally, the path SMTP intake's mail takes into the store (one commit, the
// hub publishes, their push streams hear of it); there is no outbound relay yet, so a
// submission with any recipient elsewhere is refused whole. onSuccessUpdateEmail and
// onSuccessDestroyEmail run as the implicit Email/set the RFC asks for.
#include <boost/json.hpp>
#include <map>

#include "base/clock.h"
#include "base/strings.h"
#include "delivery/delivery.h"
#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"
#include "jmap/submission_view.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

// An RFC 5321 path in the form JMAP carries it: local@domain, no spaces, brackets or controls.
bool ValidAddress(std::string_view a) {
  size_t at = a.rfind('@');
  if (at == 0 || at == std::string_view::npos || at + 1 >= a.size() || a.size() > 254) {
    return false;
  }
  return std::none_of(a.begin(), a.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return c <= 0x20 || c == 0x7f || ch == '<' || ch == '>' || ch == ',';
  });
}

struct Envelope {
  std::string mail_from;
  std::vector<std::string> rcpt_to;  // distinct, case-insensitively
  json::object ToJson() const {
    json::array rcpts;
    for (const auto& r : rcpt_to)
      rcpts.push_back(json::object{{"email", r}, {"parameters", nullptr}});
    return {{"mailFrom", json::object{{"email", mail_from}, {"parameters", nullptr}}},
            {"rcptTo", std::move(rcpts)}};
  }
  void Add(std::string_view rcpt) {
    for (const auto& r : rcpt_to) {
      if (AsciiLower(r) == AsciiLower(rcpt)) return;
    }
    rcpt_to.emplace_back(rcpt);
  }
};

json::object InvalidRecipients(const std::vector<std::string>& list, std::string_view why) {
  json::object e = SetError(
      "invalidRecipients", std::string(why) + ": " + [&] {
        std::string joined;
        for (const auto& r : list) joined += (joined.empty() ? "" : ", ") + r;
        return joined;
      }());
  json::array addresses;
  for (const auto& r : list) addresses.emplace_back(r);
  e["invalidRecipients"] = std::move(addresses);
  return e;
}

// One Address of an Envelope: {"email": ..., "parameters": null}. We offer no SMTP extensions
// (submissionExtensions is empty), so parameters must be null or empty.
std::optional<std::string> ReadAddress(const json::value& v) {
  const auto* o = v.if_object();
  const auto* email = o ? o->if_contains("email") : nullptr;
  const auto* params = o ? o->if_contains("parameters") : nullptr;
  if (!email || !email->is_string()) return std::nullopt;
  if (params && !params->is_null() && !(params->is_object() && params->get_object().empty())) {
    return std::nullopt;
  }
  return std::string(email->get_string());
}

// The envelope the client gave, or the one RFC 8621 7 makes from the header: mailFrom from
// Sender (else From), rcptTo from To, Cc and Bcc. The SetError when it cannot be had.
std::optional<json::object> ReadEnvelope(const json::object& o, const mime::Summary& s,
                                         Envelope& out) {
  const json::value* given = o.if_contains("envelope");
  if (!given || given->is_null()) {
    const auto& from = s.sender.empty() ? s.from : s.sender;
    if (from.size() != 1 || !ValidAddress(from[0].email)) {
      return SetError("invalidEmail", "the email needs exactly one sender address",
                      {s.sender.empty() ? "from" : "sender"});
    }
    out.mail_from = from[0].email;
    for (const auto* list : {&s.to, &s.cc, &s.bcc}) {
      for (const auto& a : *list) out.Add(a.email);
    }
    std::vector<std::string> bad;
    for (const auto& r : out.rcpt_to) {
      if (!ValidAddress(r)) bad.push_back(r);
    }
    if (!bad.empty()) return InvalidRecipients(bad, "not valid addresses");
    return std::nullopt;
  }
  const auto* e = given->if_object();
  const auto* rcpts = e ? e->if_contains("rcptTo") : nullptr;
  auto from = e && e->contains("mailFrom") ? ReadAddress(e->at("mailFrom")) : std::nullopt;
  if (!from || !ValidAddress(*from) || !rcpts || !rcpts->is_array()) {
    return SetError("invalidProperties",
                    "envelope needs mailFrom and rcptTo addresses, without SMTP parameters",
                    {"envelope"});
  }
  out.mail_from = *from;
  std::vector<std::string> bad;
  for (const auto& r : rcpts->get_array()) {
    auto rcpt = ReadAddress(r);
    if (!rcpt) {
      return SetError("invalidProperties", "each rcptTo is {email, parameters: null}",
                      {"envelope"});
    }
    if (!ValidAddress(*rcpt)) bad.push_back(*rcpt);
    out.Add(*rcpt);
  }
  if (!bad.empty()) return InvalidRecipients(bad, "not valid addresses");
  return std::nullopt;
}

bool Owns(MethodContext& c, std::string_view address) {
  auto owner = c.store.FindRecipient(address);
  return owner && *owner == c.who.account;
}

// The local accounts of the recipients, or the SetError: no recipient, too many, unknown
// local users, or any recipient in another domain (no outbound relay yet).
std::optional<json::object> LocalRecipients(MethodContext& c, const Envelope& env,
                                            std::vector<store::AccountId>& out) {
  if (env.rcpt_to.empty()) return SetError("noRecipients", "the envelope has no recipient");
  if (c.config && env.rcpt_to.size() > c.config->smtp.max_recipients) {
    json::object e = SetError("tooManyRecipients", "more recipients than allowed");
    e["maxRecipients"] = c.config->smtp.max_recipients;
    return e;
  }
  std::vector<std::string> unknown, remote;
  for (const auto& rcpt : env.rcpt_to) {
    auto account = c.store.FindRecipient(rcpt);
    if (account) {
      out.push_back(*account);
      continue;
    }
    if (account.error() != MakeError(Errc::kNotFound)) {
      return ServerFailSetError(c, account.error(), "cannot look up recipients");
    }
    std::string_view domain = std::string_view(rcpt).substr(rcpt.rfind('@') + 1);
    bool local = c.config && IsLocalDomain(*c.config, domain);
    (local ? unknown : remote).push_back(rcpt);
  }
  if (!unknown.empty()) return InvalidRecipients(unknown, "no such local user");
  if (!remote.empty()) {
    return InvalidRecipients(remote,
                             "delivery to other domains is not supported yet (no outbound relay)");
  }
  return std::nullopt;
}

struct Draft {
  store::EmailRecord record;
  mime::Summary summary;
};

// The email of `id` when it is the account's and in a mailbox.
std::optional<Draft> ReadDraft(MethodContext& c, std::string_view id) {
  auto row = store::ParseJmapId(id, 'E');
  if (!row) return std::nullopt;
  auto record = c.store.GetEmail(*row);
  auto placements = c.store.ReadPlacements(*row);
  if (!record || record->account != c.who.account || !placements || placements->empty()) {
    return std::nullopt;
  }
  boost::system::error_code ec;
  json::value summary = json::parse(record->summary_json, ec);
  Draft d{std::move(*record), {}};
  if (!ec) d.summary = mime::FromJson(summary);
  return d;
}

// Successful submissions of this call (their ids and "#creation ids") -> their email.
using Succeeded = std::map<std::string, store::EmailId>;

std::optional<json::object> Send(MethodContext& c, const json::object& o,
                                 const std::vector<store::Identity>& identities,
                                 store::EmailSubmission& made) {
  for (const auto& [key, value] : o) {
    bool final_status = key == "undoStatus" && value == json::value("final");
    if (key != "identityId" && key != "emailId" && key != "envelope" && !final_status) {
      return SetError("invalidProperties", "cannot set " + std::string(key), {std::string(key)});
    }
  }
  const auto* identity_id = o.if_contains("identityId");
  auto identity_ref = identity_id && identity_id->is_string()
                          ? ResolveId(c, identity_id->get_string())
                          : std::nullopt;
  store::IdentityId wanted = 0;  // never a row id
  if (identity_ref) wanted = store::ParseJmapId(*identity_ref, 'I').value_or(0);
  auto identity = std::find_if(identities.begin(), identities.end(),
                               [&](const auto& i) { return i.id == wanted; });
  if (identity == identities.end()) {
    return SetError("invalidProperties", "no such identity", {"identityId"});
  }
  const auto* email_id = o.if_contains("emailId");
  auto email_ref =
      email_id && email_id->is_string() ? ResolveId(c, email_id->get_string()) : std::nullopt;
  auto draft = email_ref ? ReadDraft(c, *email_ref) : std::nullopt;
  if (!draft) return SetError("invalidProperties", "no such email", {"emailId"});
  Envelope env;
  if (auto e = ReadEnvelope(o, draft->summary, env)) return e;
  if (!Owns(c, env.mail_from)) {
    return SetError("forbiddenMailFrom", "you cannot send as <" + env.mail_from + ">");
  }
  if (draft->summary.from.empty()) {
    return SetError("invalidEmail", "the email has no From address", {"from"});
  }
  for (const auto& from : draft->summary.from) {
    if (!Owns(c, from.email)) {
      return SetError("forbiddenFrom", "you cannot send mail From: " + from.email);
    }
  }
  if (c.config && static_cast<uint64_t>(draft->record.size) > c.config->smtp.max_message_size) {
    json::object e = SetError("tooLarge", "the email is larger than the server accepts");
    e["maxSize"] = c.config->smtp.max_message_size;
    return e;
  }
  std::vector<store::AccountId> accounts;
  if (auto e = LocalRecipients(c, env, accounts)) return e;
  auto bytes = c.store.ReadEmailBytes(draft->record.id);
  if (!bytes) return ServerFailSetError(c, bytes.error(), "cannot read the email");
  static const Config kNoConfig;
  delivery::LocalMessage message{env.mail_from, delivery::WithoutHeaderField(*bytes, "Bcc"),
                                 std::move(accounts), "JMAP submission"};
  auto delivered =
      delivery::DeliverLocally(c.store, c.config ? *c.config : kNoConfig, std::move(message));
  if (!delivered) {
    return ServerFailSetError(c, delivered.error(), "the email could not be stored, try again");
  }
  json::object status;
  for (const auto& rcpt : env.rcpt_to) {
    status[rcpt] = json::object{
        {"smtpReply", "250 2.0.0 Ok: delivered"}, {"delivered", "yes"}, {"displayed", "unknown"}};
  }
  made.account = c.who.account;
  made.identity = identity->id;
  made.email = draft->record.id;
  made.thread = draft->record.thread;
  made.envelope = json::serialize(env.ToJson());
  made.send_at = UnixNow();
  made.delivery_status = json::serialize(status);
  auto stored = c.store.CreateSubmission(made);
  // Sent already: a record that fails to commit cannot take it back.
  if (!stored) {
    return ServerFailSetError(c, stored.error(), "sent, but the submission was not recorded");
  }
  made = std::move(*stored);
  return std::nullopt;
}

void Create(MethodContext& c, const SetArguments& set, SetAnswer& answer, Succeeded& done) {
  if (set.create.empty()) return;
  auto identities = c.store.ListIdentities(c.who.account);
  for (const auto& [cid, o] : set.create) {
    if (!identities) {
      answer.NotCreated(cid, ServerFailSetError(c, identities.error(), "cannot read identities"));
      continue;
    }
    store::EmailSubmission made;
    if (auto e = Send(c, o, *identities, made)) {
      answer.NotCreated(cid, std::move(*e));
      continue;
    }
    json::object full = SubmissionJson(made), props;
    for (std::string_view key : {"threadId", "sendAt", "undoStatus", "deliveryStatus", "dsnBlobIds",
                                 "mdnBlobIds", "envelope"}) {
      if (!o.contains(key) || key == "envelope") props[key] = full[key];
    }
    std::string id = store::SubmissionJmapId(made.id);
    answer.Created(c, cid, id, std::move(props));
    done["#" + cid] = made.email;
    done[id] = made.email;
  }
}

void UpdateAndDestroy(MethodContext& c, const SetArguments& set, SetAnswer& answer,
                      Succeeded& done) {
  if (set.update.empty() && set.destroy.empty()) return;
  auto list = c.store.ListSubmissions(c.who.account);
  auto find = [&](std::string_view id) -> const store::EmailSubmission* {
    auto row = store::ParseJmapId(id, 'S');
    if (!list || !row) return nullptr;
    for (const auto& s : *list) {
      if (s.id == *row) return &s;
    }
    return nullptr;
  };
  for (const auto& [id, patch] : set.update) {
    const store::EmailSubmission* s = find(id);
    if (!s) {
      answer.NotUpdated(id, SetError("notFound", ""));
      continue;
    }
    json::object object = SubmissionJson(*s), before = object;
    std::string why;
    if (!ApplyPatch(object, patch, why)) {
      answer.NotUpdated(id, SetError("invalidPatch", why));
    } else if (object["undoStatus"] == json::value("canceled")) {
      answer.NotUpdated(id,
                        SetError("cannotUnsend", "it was delivered at once (maxDelayedSend is 0)"));
    } else if (object != before) {
      answer.NotUpdated(id, SetError("invalidProperties", "only undoStatus may change",
                                     PatchedProperties(patch)));
    } else {
      answer.Updated(id);
      done[id] = s->email;
    }
  }
  for (const auto& id : set.destroy) {
    const store::EmailSubmission* s = find(id);
    ErrorCode ec = s ? c.store.DeleteSubmission(c.who.account, s->id) : MakeError(Errc::kNotFound);
    if (ec) {
      answer.NotDestroyed(id, ec == MakeError(Errc::kNotFound)
                                  ? SetError("notFound")
                                  : ServerFailSetError(c, ec, "cannot delete the submission"));
      continue;
    }
    answer.Destroyed(id);
    done[id] = s->email;
  }
}

// The implicit Email/set call (RFC 8621 7.5): the emails of the submissions that succeeded,
// updated and destroyed as onSuccessUpdateEmail / onSuccessDestroyEmail say, by Email/set
// itself; nullopt when neither asks for anything.
std::optional<MethodResult> OnSuccess(MethodContext& c, const json::object& args,
                                      const Succeeded& done) {
  const auto* update = args.if_contains("onSuccessUpdateEmail");
  const auto* destroy = args.if_contains("onSuccessDestroyEmail");
  json::object updates;
  json::array destroys;
  if (update && update->is_object()) {
    for (const auto& [key, patch] : update->get_object()) {
      auto it = done.find(std::string(key));
      if (it != done.end()) updates[store::EmailJmapId(it->second)] = patch;
    }
  }
  if (destroy && destroy->is_array()) {
    for (const auto& key : destroy->get_array()) {
      auto it = key.is_string() ? done.find(std::string(key.get_string())) : done.end();
      if (it != done.end()) destroys.emplace_back(store::EmailJmapId(it->second));
    }
  }
  if (updates.empty() && destroys.empty()) return std::nullopt;
  json::object email_args{{"accountId", AccountJmapId(c.who.account)}};
  if (!updates.empty()) email_args["update"] = std::move(updates);
  if (!destroys.empty()) email_args["destroy"] = std::move(destroys);
  return EmailSet(c, email_args);
}

std::optional<MethodError> CheckOnSuccess(const json::object& args) {
  const auto* update = args.if_contains("onSuccessUpdateEmail");
  const auto* destroy = args.if_contains("onSuccessDestroyEmail");
  if (update && !update->is_null() && !update->is_object()) {
    return InvalidArguments("onSuccessUpdateEmail must be an object or null");
  }
  if (destroy && !destroy->is_null() && !destroy->is_array()) {
    return InvalidArguments("onSuccessDestroyEmail must be an array or null");
  }
  return std::nullopt;
}

}  // namespace

MethodResult SubmissionSet(MethodContext& c, const json::object& args) {
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  SetArguments set;
  if (auto e = ReadSetArguments(c, args, account->submission_state, set)) return {{}, e};
  if (auto e = CheckOnSuccess(args)) return {{}, e};
  SetAnswer answer;
  Succeeded done;
  Create(c, set, answer, done);
  UpdateAndDestroy(c, set, answer, done);
  MethodResult result{
      answer.Finish(c, account->submission_state, store::DataType::kEmailSubmission), {}};
  if (auto email_set = OnSuccess(c, args, done)) {
    if (email_set->error) {
      result.implicit.emplace_back("error", email_set->error->ToJson());
    } else {
      result.implicit.emplace_back("Email/set", std::move(email_set->arguments));
    }
  }
  return result;
}

}  // namespace pushmail::jmap
