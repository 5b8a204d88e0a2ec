// Email/import, Email/parse and Email/copy (RFC 8621 4.8, 4.9, 4.7).
#include <boost/json.hpp>

#include "base/clock.h"
#include "jmap/arguments.h"
#include "jmap/blobs.h"
#include "jmap/email_render.h"
#include "jmap/email_write.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"
#include "mime/headers.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

// One EmailImport object (blobId, mailboxIds, keywords, receivedAt) to a message ready to
// store; the SetError when it cannot be.
Failure ReadImport(MethodContext& c, const MailboxIds& boxes, const json::value& value,
                   store::Incoming& in) {
  const json::object* o = value.if_object();
  const json::value* blob = o ? o->if_contains("blobId") : nullptr;
  const json::value* mailbox_ids = o ? o->if_contains("mailboxIds") : nullptr;
  std::vector<std::string> invalid;
  if (!blob || !blob->is_string()) invalid.emplace_back("blobId");
  Failure failure;
  auto mailboxes = mailbox_ids ? ReadMailboxIdSet(c, boxes, *mailbox_ids, failure) : std::nullopt;
  if (!mailboxes || mailboxes->empty()) invalid.emplace_back("mailboxIds");
  if (const json::value* k = o ? o->if_contains("keywords") : nullptr; k && !k->is_null()) {
    auto set = ReadKeywordSet(*k, failure);
    if (set) {
      in.keywords = std::move(*set);
    } else if (failure->at("type") == "invalidProperties") {
      invalid.emplace_back("keywords");
    } else if (invalid.empty()) {
      return failure;  // tooManyKeywords
    }
  }
  in.received_at = UnixNow();
  if (const json::value* r = o ? o->if_contains("receivedAt") : nullptr; r && !r->is_null()) {
    auto t = r->is_string() ? ParseUtcDate(r->get_string()) : std::nullopt;
    if (!t) invalid.emplace_back("receivedAt");
    in.received_at = t.value_or(in.received_at);
  }
  if (!invalid.empty()) return InvalidProperties(invalid);
  ErrorCode failed;
  auto bytes = ReadBlob(c.store, c.who.account, blob->get_string(), failed);
  if (failed) return ServerFailSetError(c, failed, "cannot read a blob");
  if (!bytes) {
    json::object e = SetError("blobNotFound");
    e["notFound"] = json::array{*blob};
    return e;
  }
  in.summary = mime::Parse(*bytes);
  in.message = std::move(*bytes);
  // A whole blob (not a part's, whose octets were decoded) is the message as stored.
  if (blob->get_string().size() == kMessageBlobIdSize) in.stored_blob = blob->get_string();
  in.recipients = {c.who.account};
  in.mailbox = mailboxes->front();
  in.more_mailboxes.assign(mailboxes->begin() + 1, mailboxes->end());
  return std::nullopt;
}

}  // namespace

MethodResult EmailImport(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  const json::value* emails = args.if_contains("emails");
  if (!emails || !emails->is_object()) return {{}, InvalidArguments("emails must be an object")};
  if (emails->get_object().size() > c.limits.max_objects_in_set) {
    return MethodResult::Error("requestTooLarge", "more emails than maxObjectsInSet");
  }
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (const json::value* s = args.if_contains("ifInState"); s && !s->is_null()) {
    if (!s->is_string() || s->get_string() != StateString(account->email_state)) {
      return MethodResult::Error("stateMismatch",
                                 "the state is " + StateString(account->email_state));
    }
  }
  auto boxes = ReadMailboxIds(c);
  if (!boxes) return {{}, ServerFail(c, boxes.error(), "cannot read mailboxes")};
  SetAnswer answer;
  std::vector<std::pair<std::string, store::Incoming>> creations;
  for (const auto& [cid, value] : emails->get_object()) {
    store::Incoming in;
    if (Failure f = ReadImport(c, *boxes, value, in)) {
      answer.NotCreated(std::string(cid), std::move(*f));
    } else {
      creations.emplace_back(std::string(cid), std::move(in));
    }
  }
  StoreCreations(c, creations, answer);
  json::object out = answer.Finish(c, account->email_state, store::DataType::kEmail);
  for (const char* key : {"updated", "destroyed", "notUpdated", "notDestroyed"}) out.erase(key);
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
    ErrorCode failed;
    auto bytes = ReadBlob(c.store, c.who.account, v.get_string(), failed);
    if (failed) return {{}, ServerFail(c, failed, "cannot read a blob")};
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
