#include "jmap/api.h"

#include <boost/json/serialize.hpp>

#include "base/log.h"
#include "jmap/server_fail.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

using Method = MethodResult (*)(MethodContext&, const json::object&);

struct MethodEntry {
  std::string_view name;
  bool needs_mail;  // else core only
  Method run;
  std::string_view capability = {};  // needed instead of mail when given
};

constexpr MethodEntry kMethods[] = {
    {"Core/echo", false, CoreEcho},
    {"PushSubscription/get", false, PushSubscriptionGet},
    {"PushSubscription/set", false, PushSubscriptionSet},
    {"Mailbox/get", true, MailboxGet},
    {"Email/get", true, EmailGet},
    {"Email/changes", true, EmailChanges},
    {"Email/query", true, EmailQuery},
    {"Email/queryChanges", true, EmailQueryChanges},
    {"Email/set", true, EmailSet},
    {"Email/import", true, EmailImport},
    {"Email/parse", true, EmailParse},
    {"Email/copy", true, EmailCopy},
    {"SearchSnippet/get", true, SearchSnippetGet},
    {"Mailbox/changes", true, MailboxChanges},
    {"Mailbox/query", true, MailboxQuery},
    {"Mailbox/queryChanges", true, MailboxQueryChanges},
    {"Mailbox/set", true, MailboxSet},
    {"Thread/get", true, ThreadGet},
    {"Thread/changes", true, ThreadChanges},
    {"Identity/get", false, IdentityGet, kSubmissionCapability},
    {"Identity/changes", false, IdentityChanges, kSubmissionCapability},
    {"Identity/set", false, IdentitySet, kSubmissionCapability},
    {"EmailSubmission/get", false, SubmissionGet, kSubmissionCapability},
    {"EmailSubmission/changes", false, SubmissionChanges, kSubmissionCapability},
    {"EmailSubmission/query", false, SubmissionQuery, kSubmissionCapability},
    {"EmailSubmission/queryChanges", false, SubmissionQueryChanges, kSubmissionCapability},
    {"EmailSubmission/set", false, SubmissionSet, kSubmissionCapability},
    {"VacationResponse/get", false, VacationResponseGet, kVacationCapability},
    {"VacationResponse/set", false, VacationResponseSet, kVacationCapability},
};

const std::vector<std::string_view>& KnownCapabilities() {
  static const std::vector<std::string_view> known = {kCoreCapability, kMailCapability,
                                                      kSubmissionCapability, kVacationCapability,
                                                      kWebPushVapidCapability};
  return known;
}

json::array Wire(const Response& r) {
  return json::array{json::string(r.name), r.arguments, json::string(r.call_id)};
}

}  // namespace

ApiReply Api::Handle(std::string_view body, const Principal& who) const {
  auto answer = Answer(body, who);
  if (auto* error = std::get_if<RequestError>(&answer)) {
    return {error->status, "application/problem+json", json::serialize(error->ToJson())};
  }
  return {200, "application/json", json::serialize(std::get<json::object>(answer))};
}

std::variant<json::object, RequestError> Api::Answer(std::string_view body,
                                                     const Principal& who) const {
  RequestLimits limits{limits_.max_size_request, limits_.max_calls_in_request};
  auto parsed = ParseRequest(body, limits, KnownCapabilities());
  if (auto* error = std::get_if<RequestError>(&parsed)) return std::move(*error);
  return Run(std::get<Request>(parsed), who);
}

json::object Api::Run(const Request& request, const Principal& who) const {
  bool mail = false;
  for (const auto& c : request.capabilities) mail = mail || c == kMailCapability;
  MethodContext context{store_, limits_, who, mail, config_};
  context.capabilities = request.capabilities;
  context.push = push_;
  if (request.created_ids) context.created_ids = *request.created_ids;
  std::vector<Response> responses;
  for (const auto& call : request.calls) {
    Invocation resolved = call;
    MethodResult result;
    if (auto error = ResolveReferences(resolved.arguments, responses)) {
      result.error = std::move(error);
    } else {
      result = Call(resolved, context);
    }
    if (result.error) {
      responses.push_back({"error", result.error->ToJson(), call.call_id});
    } else {
      responses.push_back({call.name, std::move(result.arguments), call.call_id});
    }
    for (auto& [name, arguments] : result.implicit) {
      responses.push_back({name, std::move(arguments), call.call_id});
    }
  }
  json::array wire;
  for (const auto& r : responses) wire.push_back(Wire(r));
  json::object out{{"methodResponses", std::move(wire)}, {"sessionState", SessionState(who)}};
  if (request.created_ids) out["createdIds"] = std::move(context.created_ids);
  return out;
}

MethodResult Api::Call(const Invocation& call, MethodContext& context) const {
  for (const auto& m : kMethods) {
    if (m.name != call.name) continue;
    // A method whose capability the request did not ask for is unknown (RFC 8620 3.3).
    if (m.needs_mail && !context.mail) break;
    if (!m.capability.empty() && !context.Uses(m.capability)) break;
    context.method = m.name;
    try {
      return m.run(context, call.arguments);
    } catch (const std::exception& e) {
      // Invariant failures of our own code; the request goes on with the other calls.
      return {{}, ServerFail(m.name, e)};
    }
  }
  return MethodResult::Error("unknownMethod", "unknown method '" + call.name + "'");
}

std::string SessionState(const Principal& who) {
  // The session resource changes only when the account set does: one account per login.
  return "s" + std::to_string(who.account);
}

}  // namespace pushmail::jmap
