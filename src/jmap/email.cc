// Email/get and Email/changes (RFC 8621 4.2, 4.3).
#include <boost/json.hpp>
#include <map>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "mime/mime.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {
    "id",        "blobId",    "threadId",   "mailboxIds", "keywords",      "size",   "receivedAt",
    "messageId", "inReplyTo", "references", "sender",     "from",          "to",     "cc",
    "bcc",       "replyTo",   "subject",    "sentAt",     "hasAttachment", "preview"};

constexpr size_t kMaxChanges = 5000;

// What Email/get knows of one email, read for the account that asked.
struct EmailView {
  store::EmailRecord record;
  std::vector<store::EmailPlacement> placements;
  mime::Summary summary;
};

json::value Addresses(const std::vector<mime::Address>& list) {
  if (list.empty()) return nullptr;
  json::array out;
  for (const auto& a : list) {
    out.push_back(
        json::object{{"name", a.name.empty() ? json::value(nullptr) : json::string(a.name)},
                     {"email", a.email}});
  }
  return out;
}

json::value Strings(const std::vector<std::string>& list) {
  if (list.empty()) return nullptr;
  json::array out;
  for (const auto& s : list) out.emplace_back(s);
  return out;
}

json::value Property(const EmailView& e, std::string_view name) {
  const mime::Summary& s = e.summary;
  if (name == "id") return json::string(store::EmailJmapId(e.record.id));
  if (name == "blobId") return json::string(EmailBlobId(e.record.id));
  if (name == "threadId") return json::string(store::ThreadJmapId(e.record.thread));
  if (name == "mailboxIds" || name == "keywords") {
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
  if (name == "size") return e.record.size;
  if (name == "receivedAt") return json::string(UtcDate(e.record.received_at));
  if (name == "messageId") {
    return s.message_id.empty() ? json::value(nullptr) : json::array{json::string(s.message_id)};
  }
  if (name == "inReplyTo") return Strings(s.in_reply_to);
  if (name == "references") return Strings(s.references);
  if (name == "sender") return Addresses(s.sender);
  if (name == "from") return Addresses(s.from);
  if (name == "to") return Addresses(s.to);
  if (name == "cc") return Addresses(s.cc);
  if (name == "bcc") return Addresses(s.bcc);
  if (name == "replyTo") return Addresses(s.reply_to);
  if (name == "subject") return json::string(s.subject);
  if (name == "sentAt") return s.sent_at ? json::value(json::string(UtcDate(*s.sent_at))) : nullptr;
  if (name == "hasAttachment") return s.has_attachment;
  return json::string(s.preview);  // preview
}

// The email with JMAP id `id` when it belongs to `account` and still sits in a mailbox;
// nullopt for anything else (another account's email is simply not found).
std::optional<EmailView> ReadEmail(store::Store& store, store::AccountId account,
                                   std::string_view id, bool& failed) {
  auto row = store::ParseJmapId(id, 'E');
  if (!row) return std::nullopt;
  auto record = store.GetEmail(*row);
  if (!record) {
    failed = record.error() != MakeError(Errc::kNotFound);
    return std::nullopt;
  }
  if (record->account != account) return std::nullopt;
  auto placements = store.ReadPlacements(*row);
  if (!placements) {
    failed = true;
    return std::nullopt;
  }
  if (placements->empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value summary = json::parse(record->summary_json, ec);
  EmailView view{std::move(*record), std::move(*placements), {}};
  if (!ec) view.summary = mime::FromJson(summary);
  return view;
}

}  // namespace

MethodResult EmailGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  // Every email of an account is not a sensible answer: clients ask Email/query for ids.
  if (!ids) return MethodResult::Error("requestTooLarge", "give the ids of the emails to get");
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  if (!account) return MethodResult::Error("serverFail", "cannot read the account");
  json::array list, not_found;
  for (const auto& id : *ids) {
    bool failed = false;
    auto email = ReadEmail(c.store, c.who.account, id, failed);
    if (failed) return MethodResult::Error("serverFail", "cannot read an email");
    if (!email) {
      not_found.emplace_back(id);
      continue;
    }
    json::object o;
    for (const auto& p : properties) o[p] = Property(*email, p);
    list.push_back(std::move(o));
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(account->email_state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult EmailChanges(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  const auto* since = args.if_contains("sinceState");
  if (!since || !since->is_string()) return {{}, InvalidArguments("sinceState must be a string")};
  size_t max = kMaxChanges;
  if (const auto* m = args.if_contains("maxChanges"); m && !m->is_null()) {
    if (!m->is_int64() || m->get_int64() <= 0) {
      return {{}, InvalidArguments("maxChanges must be a positive integer or null")};
    }
    max = std::min<size_t>(max, static_cast<size_t>(m->get_int64()));
  }
  auto state = ParseState(since->get_string());
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return MethodResult::Error("serverFail", "cannot read the account");
  if (!state || *state > account->email_state) {
    return MethodResult::Error("cannotCalculateChanges", "unknown state");
  }
  auto changes = c.store.ChangesSince(c.who.account, store::DataType::kEmail, *state, max);
  if (!changes && changes.error() == MakeError(Errc::kLimitExceeded)) {
    return MethodResult::Error("cannotCalculateChanges", "one change is larger than maxChanges");
  }
  if (!changes) return MethodResult::Error("serverFail", "cannot read the change log");
  auto ids = [](const std::vector<int64_t>& rows) {
    json::array out;
    for (auto row : rows) out.emplace_back(store::EmailJmapId(row));
    return out;
  };
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"oldState", since->get_string()},
                       {"newState", StateString(changes->new_state)},
                       {"hasMoreChanges", changes->has_more},
                       {"created", ids(changes->created)},
                       {"updated", ids(changes->updated)},
                       {"destroyed", ids(changes->destroyed)}},
          {}};
}

}  // namespace pushmail::jmap
