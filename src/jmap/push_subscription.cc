// PushSubscription/get and /set (RFC 8620 7.2). A subscription belongs to the login, not to an
// account, so neither method takes accountId and neither has a state. A new subscription gets
// a PushVerification first; StateChanges follow only once the client has sent its code back.
// The sender hears of every write through MethodContext::push.
#include <openssl/rand.h>

#include <boost/json.hpp>

#include "base/base64.h"
#include "base/clock.h"
#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"
#include "webpush/protocol/protocol.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {"id", "deviceClientId", "verificationCode", "expires",
                                              "types"};
constexpr size_t kMaxDeviceClientId = 255;
constexpr size_t kMaxTypes = 16;

WebPushLimits Limits(const MethodContext& c) {
  return c.config ? c.config->webpush : WebPushLimits{};
}

json::object ToJson(const store::PushSubscription& s) {
  json::value types = nullptr;
  if (s.types) {
    json::array list;
    for (const auto& t : *s.types) list.emplace_back(t);
    types = std::move(list);
  }
  return {{"id", store::PushSubscriptionJmapId(s.id)},
          {"deviceClientId", s.device_client_id},
          {"verificationCode", s.verified ? json::value(s.verification_code) : nullptr},
          {"expires", s.expires ? json::value(UtcDate(*s.expires)) : nullptr},
          {"types", std::move(types)}};
}

json::object Invalid(std::string_view property, std::string_view why) {
  return SetError("invalidProperties", why, {std::string(property)});
}

// "types": null, or names of data types (letters and digits).
std::optional<json::object> ReadTypes(const json::value& v,
                                      std::optional<std::vector<std::string>>& out) {
  if (v.is_null()) {
    out.reset();
    return std::nullopt;
  }
  if (!v.is_array() || v.get_array().size() > kMaxTypes) {
    return Invalid("types", "types must be null or a list of type names");
  }
  std::vector<std::string> names;
  for (const auto& t : v.get_array()) {
    bool ok = t.is_string() && !t.get_string().empty() && t.get_string().size() <= 64 &&
              std::all_of(t.get_string().begin(), t.get_string().end(),
                          [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)); });
    if (!ok) return Invalid("types", "types must be null or a list of type names");
    names.emplace_back(t.get_string());
  }
  out = std::move(names);
  return std::nullopt;
}

// "expires": null or a UTCDate; clamped to now + max_expiry (RFC 8620 7.2 lets the server).
std::optional<json::object> ReadExpires(const MethodContext& c, const json::value& v,
                                        std::optional<int64_t>& out) {
  int64_t now = UnixNow(), latest = now + Limits(c).max_expiry.count();
  if (v.is_null()) {
    out = latest;
    return std::nullopt;
  }
  auto when = v.is_string() ? ParseUtcDateTime(v.get_string()) : std::nullopt;
  if (!when) return Invalid("expires", "expires must be a UTCDate or null");
  if (*when <= now) return Invalid("expires", "expires is in the past");
  out = std::min(*when, latest);
  return std::nullopt;
}

// "keys": null, or {"p256dh": P-256 point, "auth": 16 octets}, both base64url (RFC 8291).
std::optional<json::object> ReadKeys(const json::value& v, store::PushSubscription& s) {
  if (v.is_null()) return std::nullopt;
  const json::object* keys = v.if_object();
  if (!keys || keys->size() != 2 || !keys->contains("p256dh") || !keys->contains("auth") ||
      !keys->at("p256dh").is_string() || !keys->at("auth").is_string()) {
    return Invalid("keys", "keys must be null or {\"p256dh\": String, \"auth\": String}");
  }
  auto p256dh = DecodeBase64Url(keys->at("p256dh").get_string());
  if (!p256dh || !webpush::EcKey::FromPublicPoint(*p256dh)) {
    return Invalid("keys", "p256dh must be an uncompressed P-256 public key in base64url");
  }
  auto auth = DecodeBase64Url(keys->at("auth").get_string());
  if (!auth || auth->size() != webpush::kAuthSecretSize) {
    return Invalid("keys", "auth must be 16 octets in base64url");
  }
  s.p256dh = keys->at("p256dh").get_string();
  s.auth = keys->at("auth").get_string();
  return std::nullopt;
}

std::string NewVerificationCode() {
  unsigned char random[16];
  if (RAND_bytes(random, sizeof(random)) != 1) return {};
  return EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(random), sizeof(random)));
}

std::optional<json::object> FromCreate(const MethodContext& c, const json::object& o,
                                       store::PushSubscription& s) {
  for (const auto& [key, value] : o) {
    bool known = key == "deviceClientId" || key == "url" || key == "keys" || key == "expires" ||
                 key == "types" || (key == "verificationCode" && value.is_null());
    if (!known) return Invalid(key, "cannot set " + std::string(key));
  }
  const auto* device = o.if_contains("deviceClientId");
  if (!device || !device->is_string() || device->get_string().empty() ||
      device->get_string().size() > kMaxDeviceClientId) {
    return Invalid("deviceClientId", "deviceClientId must be a string of 1 to 255 octets");
  }
  s.device_client_id = device->get_string();
  const auto* url = o.if_contains("url");
  std::string why = "url must be a string";
  if (!url || !url->is_string() || !webpush::ParsePushUrl(url->get_string(), &why)) {
    return Invalid("url", why);
  }
  s.url = url->get_string();
  if (const auto* keys = o.if_contains("keys")) {
    if (auto e = ReadKeys(*keys, s)) return e;
  }
  json::value null = nullptr;
  const auto* expires = o.if_contains("expires");
  if (auto e = ReadExpires(c, expires ? *expires : null, s.expires)) return e;
  if (const auto* types = o.if_contains("types")) {
    if (auto e = ReadTypes(*types, s.types)) return e;
  }
  return std::nullopt;
}

const store::PushSubscription* Find(const std::vector<store::PushSubscription>& list,
                                    std::string_view id) {
  auto row = store::ParseJmapId(id, 'P');
  for (const auto& s : list) {
    if (row && s.id == *row) return &s;
  }
  return nullptr;
}

void Create(MethodContext& c, const std::string& creation_id, const json::object& o,
            SetAnswer& answer) {
  store::PushSubscription s;
  s.account = c.who.account;
  if (auto e = FromCreate(c, o, s)) return answer.NotCreated(creation_id, std::move(*e));
  s.verification_code = NewVerificationCode();
  if (s.verification_code.empty()) {
    return answer.NotCreated(creation_id,
                             ServerFailSetError(c, MakeError(Errc::kUnavailable), "no randomness"));
  }
  auto made = c.store.CreatePushSubscription(s, Limits(c).max_subscriptions);
  if (!made) {
    bool full = made.error() == MakeError(Errc::kLimitExceeded);
    return answer.NotCreated(
        creation_id, full ? SetError("overQuota", "too many push subscriptions")
                          : ServerFailSetError(c, made.error(), "cannot store the subscription"));
  }
  if (c.push) c.push->Saved(*made);
  json::object props{{"expires", UtcDate(*made->expires)}};
  answer.Created(c, creation_id, store::PushSubscriptionJmapId(made->id), std::move(props));
}

void Update(MethodContext& c, const std::vector<store::PushSubscription>& list,
            const std::string& id, const json::object& patch, SetAnswer& answer) {
  const store::PushSubscription* found = Find(list, id);
  if (!found) return answer.NotUpdated(id, SetError("notFound", ""));
  json::object current = ToJson(*found);
  std::string why;
  if (!ApplyPatch(current, patch, why)) return answer.NotUpdated(id, SetError("invalidPatch", why));
  json::object before = ToJson(*found);
  for (const auto& [key, value] : current) {
    bool settable = key == "verificationCode" || key == "expires" || key == "types";
    if (!settable && (!before.contains(key) || value != before.at(key))) {
      return answer.NotUpdated(id, Invalid(key, std::string(key) + " cannot be changed"));
    }
  }
  store::PushSubscription s = *found;
  const json::value& code = current.at("verificationCode");
  if (!code.is_null()) {
    if (!code.is_string() || code.get_string() != found->verification_code) {
      return answer.NotUpdated(id, Invalid("verificationCode", "wrong verification code"));
    }
    s.verified = true;
  }
  if (auto e = ReadTypes(current.at("types"), s.types)) return answer.NotUpdated(id, *e);
  bool expires_patched = patch.contains("expires");
  if (expires_patched) {
    if (auto e = ReadExpires(c, current.at("expires"), s.expires)) {
      return answer.NotUpdated(id, *e);
    }
  }
  if (auto ec = c.store.UpdatePushSubscription(s)) {
    bool gone = ec == MakeError(Errc::kNotFound);
    return answer.NotUpdated(id, gone ? SetError("notFound")
                                      : ServerFailSetError(c, ec, "cannot store the subscription"));
  }
  if (c.push) c.push->Saved(s);
  // The server may have clamped expires: say what it is (RFC 8620 7.2.2).
  answer.Updated(id, expires_patched ? json::value(json::object{{"expires", UtcDate(*s.expires)}})
                                     : json::value(nullptr));
}

void Destroy(MethodContext& c, const std::vector<store::PushSubscription>& list,
             const std::string& id, SetAnswer& answer) {
  const store::PushSubscription* found = Find(list, id);
  if (!found) return answer.NotDestroyed(id, SetError("notFound", ""));
  if (auto ec = c.store.DeletePushSubscription(c.who.account, found->id)) {
    bool gone = ec == MakeError(Errc::kNotFound);
    return answer.NotDestroyed(
        id,
        gone ? SetError("notFound") : ServerFailSetError(c, ec, "cannot delete the subscription"));
  }
  if (c.push) c.push->Destroyed(c.who.account, found->id);
  answer.Destroyed(id);
}

}  // namespace

MethodResult PushSubscriptionGet(MethodContext& c, const json::object& args) {
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  std::vector<std::string> all = kProperties;
  if (const auto* p = args.if_contains("properties"); p && p->is_array()) {
    for (const auto& name : p->get_array()) {
      // RFC 8620 7.2.1: url and keys never leave the server once given.
      if (name == "url" || name == "keys") {
        return MethodResult::Error("forbidden", "url and keys are not returned");
      }
    }
  }
  auto properties = ReadProperties(args, all, error);
  if (error) return {{}, error};
  auto list = c.store.ListPushSubscriptions(c.who.account);
  if (!list) return {{}, ServerFail(c, list.error(), "cannot read push subscriptions")};
  json::array out, not_found;
  auto add = [&](const store::PushSubscription& s) {
    json::object full = ToJson(s), o;
    for (const auto& p : properties) o[p] = full[p];
    out.push_back(std::move(o));
  };
  if (ids) {
    for (const auto& id : *ids) {
      const store::PushSubscription* s = Find(*list, id);
      if (s) {
        add(*s);
      } else {
        not_found.emplace_back(id);
      }
    }
  } else {
    for (const auto& s : *list) add(s);
  }
  // No accountId and no state (RFC 8620 7.2.1).
  return {json::object{{"list", std::move(out)}, {"notFound", std::move(not_found)}}, {}};
}

MethodResult PushSubscriptionSet(MethodContext& c, const json::object& args) {
  if (const auto* s = args.if_contains("ifInState"); s && !s->is_null()) {
    return MethodResult::Error("invalidArguments", "PushSubscription has no state");
  }
  // No accountId here (RFC 8620 7.2.2): read the rest as every /set does.
  json::object with_account = args;
  with_account["accountId"] = AccountJmapId(c.who.account);
  SetArguments set;
  if (auto e = ReadSetArguments(c, with_account, 0, set)) return {{}, e};
  SetAnswer answer;
  for (const auto& [id, o] : set.create) Create(c, id, o, answer);
  auto list = c.store.ListPushSubscriptions(c.who.account);
  if (!list) return {{}, ServerFail(c, list.error(), "cannot read push subscriptions")};
  for (const auto& [id, patch] : set.update) Update(c, *list, id, patch, answer);
  for (const auto& id : set.destroy) Destroy(c, *list, id, answer);
  json::object out = answer.Finish(c, 0, 0);
  out.erase("accountId");
  out["oldState"] = nullptr;
  out["newState"] = nullptr;
  return {std::move(out), {}};
}

}  // namespace pushmail::jmap
