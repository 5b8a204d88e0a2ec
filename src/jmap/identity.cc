// Identity/get, /changes and /set (RFC 8621 6). Every account has the identity of its login,
// which cannot be destroyed; more may be made for any address the account receives mail at.
#include <boost/json.hpp>

#include "jmap/arguments.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

const std::vector<std::string> kProperties = {"id",  "name",          "email",         "replyTo",
                                              "bcc", "textSignature", "htmlSignature", "mayDelete"};
const std::vector<std::string_view> kSettable = {"name", "email",         "replyTo",
                                                 "bcc",  "textSignature", "htmlSignature"};

json::value AddressList(const std::string& stored) {
  if (stored.empty()) return nullptr;
  boost::system::error_code ec;
  json::value v = json::parse(stored, ec);
  return ec ? json::value(nullptr) : v;
}

json::object ToJson(const store::Identity& i) {
  return {{"id", store::IdentityJmapId(i.id)},
          {"name", i.name},
          {"email", i.email},
          {"replyTo", AddressList(i.reply_to)},
          {"bcc", AddressList(i.bcc)},
          {"textSignature", i.text_signature},
          {"htmlSignature", i.html_signature},
          {"mayDelete", i.may_delete}};
}

// Reads the settable properties of `o` into `out`; omitted ones keep out's values. Returns the
// SetError when one is wrong.
std::optional<json::object> FromJson(const json::object& o, store::Identity& out) {
  for (const auto& [key, value] : o) {
    if (std::find(kSettable.begin(), kSettable.end(), key) == kSettable.end()) {
      return SetError("invalidProperties", "cannot set " + std::string(key), {std::string(key)});
    }
    bool is_text =
        key == "name" || key == "email" || key == "textSignature" || key == "htmlSignature";
    bool ok = is_text ? value.is_string() || (key != "email" && value.is_null())
                      : value.is_null() || IsEmailAddressList(value);
    if (!ok) {
      return SetError("invalidProperties", "bad value for " + std::string(key), {std::string(key)});
    }
    std::string text = value.is_string() ? std::string(value.get_string()) : std::string();
    if (key == "name") out.name = text;
    if (key == "email") out.email = text;
    if (key == "textSignature") out.text_signature = text;
    if (key == "htmlSignature") out.html_signature = text;
    if (key == "replyTo") out.reply_to = value.is_null() ? "" : json::serialize(value);
    if (key == "bcc") out.bcc = value.is_null() ? "" : json::serialize(value);
  }
  return std::nullopt;
}

const store::Identity* Find(const std::vector<store::Identity>& list, std::string_view id) {
  auto row = store::ParseJmapId(id, 'I');
  for (const auto& i : list) {
    if (row && i.id == *row) return &i;
  }
  return nullptr;
}

void Create(MethodContext& c, const std::string& creation_id, const json::object& o,
            SetAnswer& answer) {
  store::Identity identity;
  identity.account = c.who.account;
  if (auto e = FromJson(o, identity)) return answer.NotCreated(creation_id, std::move(*e));
  if (identity.email.empty()) {
    return answer.NotCreated(creation_id,
                             SetError("invalidProperties", "email is required", {"email"}));
  }
  auto owner = c.store.FindRecipient(identity.email);
  if (!owner || *owner != c.who.account) {
    return answer.NotCreated(creation_id,
                             SetError("forbiddenFrom", "you cannot send as " + identity.email));
  }
  auto made = c.store.CreateIdentity(identity);
  if (!made)
    return answer.NotCreated(creation_id,
                             ServerFailSetError(c, made.error(), "cannot store the identity"));
  json::object full = ToJson(*made), props{{"mayDelete", true}};
  for (std::string_view key : kSettable) {
    if (!o.contains(key)) props[key] = full[key];
  }
  answer.Created(c, creation_id, store::IdentityJmapId(made->id), std::move(props));
}

void Update(MethodContext& c, const std::vector<store::Identity>& list, const std::string& id,
            const json::object& patch, SetAnswer& answer) {
  const store::Identity* found = Find(list, id);
  if (!found) return answer.NotUpdated(id, SetError("notFound", ""));
  json::object current = ToJson(*found);
  current.erase("id");
  current.erase("mayDelete");
  std::string why;
  if (!ApplyPatch(current, patch, why)) return answer.NotUpdated(id, SetError("invalidPatch", why));
  store::Identity identity = *found;
  if (auto e = FromJson(current, identity)) return answer.NotUpdated(id, std::move(*e));
  if (identity.email != found->email) {
    return answer.NotUpdated(id, SetError("invalidProperties", "email is immutable", {"email"}));
  }
  if (auto ec = c.store.UpdateIdentity(identity)) {
    return answer.NotUpdated(id, ec == MakeError(Errc::kNotFound)
                                     ? SetError("notFound")
                                     : ServerFailSetError(c, ec, "cannot store the identity"));
  }
  answer.Updated(id);
}

void Destroy(MethodContext& c, const std::vector<store::Identity>& list, const std::string& id,
             SetAnswer& answer) {
  const store::Identity* found = Find(list, id);
  if (!found) return answer.NotDestroyed(id, SetError("notFound", ""));
  if (auto ec = c.store.DeleteIdentity(c.who.account, found->id)) {
    if (ec == MakeError(Errc::kInvalidArgument)) {
      return answer.NotDestroyed(
          id, SetError("forbidden", "the account's own identity stays (mayDelete)"));
    }
    return answer.NotDestroyed(id, ec == MakeError(Errc::kNotFound)
                                       ? SetError("notFound")
                                       : ServerFailSetError(c, ec, "cannot delete the identity"));
  }
  answer.Destroyed(id);
}

}  // namespace

MethodResult IdentityGet(MethodContext& c, const json::object& args) {
  if (auto e = CheckAccount(c, args)) return {{}, e};
  std::optional<MethodError> error;
  auto ids = ReadIds(c, args, error);
  auto properties = ReadProperties(args, kProperties, error);
  if (error) return {{}, error};
  auto account = c.store.GetAccount(c.who.account);  // the state first: see Mailbox/get
  auto identities = c.store.ListIdentities(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  if (!identities) return {{}, ServerFail(c, identities.error(), "cannot read identities")};
  json::array list, not_found;
  auto add = [&](const store::Identity& i) {
    json::object full = ToJson(i), o;
    for (const auto& p : properties) o[p] = full[p];
    list.push_back(std::move(o));
  };
  if (ids) {
    for (const auto& id : *ids) {
      const store::Identity* i = Find(*identities, id);
      if (i) {
        add(*i);
      } else {
        not_found.emplace_back(id);
      }
    }
  } else {
    for (const auto& i : *identities) add(i);
  }
  return {json::object{{"accountId", AccountJmapId(c.who.account)},
                       {"state", StateString(account->identity_state)},
                       {"list", std::move(list)},
                       {"notFound", std::move(not_found)}},
          {}};
}

MethodResult IdentityChanges(MethodContext& c, const json::object& args) {
  return StandardChanges(c, args, store::DataType::kIdentity, store::IdentityJmapId);
}

MethodResult IdentitySet(MethodContext& c, const json::object& args) {
  auto account = c.store.GetAccount(c.who.account);
  if (!account) return {{}, ServerFail(c, account.error(), "cannot read the account")};
  SetArguments set;
  if (auto e = ReadSetArguments(c, args, account->identity_state, set)) return {{}, e};
  SetAnswer answer;
  for (const auto& [id, o] : set.create) Create(c, id, o, answer);
  auto list = c.store.ListIdentities(c.who.account);
  if (!list) return {{}, ServerFail(c, list.error(), "cannot read identities")};
  for (const auto& [id, patch] : set.update) Update(c, *list, id, patch, answer);
  for (const auto& id : set.destroy) Destroy(c, *list, id, answer);
  return {answer.Finish(c, account->identity_state, store::DataType::kIdentity), {}};
}

}  // namespace pushmail::jmap
