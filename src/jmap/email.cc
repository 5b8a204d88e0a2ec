// Email/get and Email/changes (RFC 8621 4.2, 4.3).
#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "jmap/arguments.h"
#include "jmap/email_render.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "mime/mime.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kDefaultProperties = {
    "id",        "blobId",    "threadId",   "mailboxIds", "keywords",      "size",    "receivedAt",
    "messageId", "inReplyTo", "references", "sender",     "from",          "to",      "cc",
    "bcc",       "replyTo",   "subject",    "sentAt",     "hasAttachment", "preview", "bodyValues",
    "textBody",  "htmlBody",  "attachments"};

constexpr size_t kMaxChanges = 5000;

}  // namespace

std::optional<EmailData> ReadEmail(store::Store& store, store::AccountId account,
                                   std::string_view id, ErrorCode& failed) {
  auto row = store::ParseJmapId(id, 'E');
  if (!row) return std::nullopt;
  auto record = store.GetEmail(*row);
  if (!record) {
    if (record.error() != MakeError(Errc::kNotFound)) failed = record.error();
    return std::nullopt;
  }
  if (record->account != account) return std::nullopt;
  auto placements = store.ReadPlacements(*row);
  if (!placements) {
    failed = placements.error();
    return std::nullopt;
  }
  if (placements->empty()) return std::nullopt;
  EmailData e;
  boost::system::error_code ec;
  json::value summary = json::parse(record->summary_json, ec);
  if (!ec) e.summary = mime::FromJson(summary);
  e.blob_id = record->blob_id;
  e.size = record->size;
  e.record = std::move(*record);
  e.placements = std::move(*placements);
  return e;
}

MethodResult EmailGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  if (error) return {{}, error};
  EmailProperties props;
  if (auto e = ReadEmailProperties(args, kDefaultProperties, props)) return {{}, e};
  if (std::find(props.names.begin(), props.names.end(), "id") == props.names.end()) {
    props.names.insert(props.names.begin(), "id");
  }
  // Every email of an account is not a sensible answer: clients ask Email/query for ids.
  if (!ids) return MethodResult::Error("requestTooLarge", "give the ids of the emails to get");
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  bool with_message = props.NeedsMessage();
  json::array list, not_found;
  for (const auto& given : *ids) {
    ErrorCode failed;
    auto id = ResolveId(c, given);
    auto email = id ? ReadEmail(c.store, c.who.account, *id, failed) : std::nullopt;
    if (failed) return {{}, ServerFail(c, failed, "cannot read an email")};
    if (!email) {
      not_found.emplace_back(given);
      continue;
    }
    std::string message;
    if (with_message) {
      auto bytes = c.store.ReadEmailBytes(email->record->id);
      if (!bytes) return {{}, ServerFail(c, bytes.error(), "cannot read an email's message")};
      message = std::move(*bytes);
      if (!email->summary.offsets_known) email->summary = mime::Parse(message);
      email->message = message;
    }
    list.push_back(RenderEmail(*email, props));
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
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (!state || *state > account->email_state) {
    return MethodResult::Error("cannotCalculateChanges", "unknown state");
  }
  auto changes = c.store.ChangesSince(c.who.account, store::DataType::kEmail, *state, max);
  if (!changes && changes.error() == MakeError(Errc::kLimitExceeded)) {
    return MethodResult::Error("cannotCalculateChanges", "one change is larger than maxChanges");
  }
  if (!changes) return {{}, ServerFail(c, changes.error(), "cannot read the change log")};
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
