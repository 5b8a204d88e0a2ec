#pragma once
// The JMAP API endpoint (RFC 8620 3): parses a request, runs its method calls in order with
// back-references resolved, and answers with the Response object or a request-level error.
//
// Every object a method touches is checked against the authenticated account: an id of
// another account's object is "notFound", another account id is "accountNotFound".
// Handle blocks on the store: call it from the blocking pool, never from a network worker.

#include <algorithm>
#include <boost/json/object.hpp>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "base/config.h"
#include "jmap/request.h"
#include "jmap/result_reference.h"
#include "store/store.h"

namespace pushmail::jmap {

// Who is asking: the account its credentials name.
struct Principal {
  store::AccountId account = 0;
  std::string login;
};

// Hears of PushSubscription writes once they are durable: the Web Push sender. Called on the
// thread that runs the method (the blocking pool); must not block.
class PushObserver {
 public:
  virtual ~PushObserver() = default;
  virtual void Saved(const store::PushSubscription& subscription) = 0;  // created or updated
  virtual void Destroyed(store::AccountId account, store::PushSubscriptionId id) = 0;
};

// What a method call sees.
struct MethodContext {
  store::Store& store;
  const HttpLimits& limits;
  const Principal& who;
  bool mail = false;  // the request uses urn:ietf:params:jmap:mail
  // Domains and limits for EmailSubmission; null when the Api was made without them.
  const Config* config = nullptr;
  // Creation id -> server id for "#id" references, across the request's calls (RFC 8620 5.3).
  boost::json::object created_ids = {};
  std::vector<std::string> capabilities = {};  // the request's "using"
  PushObserver* push = nullptr;                // null: nobody sends Web Push
  std::string_view method = {};                // the method being run, for ServerFail's log
  bool Uses(std::string_view capability) const {
    return std::find(capabilities.begin(), capabilities.end(), capability) != capabilities.end();
  }
};

// A method's result: its response arguments or a method-level error.
struct MethodResult {
  boost::json::object arguments;
  std::optional<MethodError> error;
  // Responses the call adds after its own, with its call id: the implicit Email/set of
  // EmailSubmission/set (RFC 8621 7.5).
  std::vector<std::pair<std::string, boost::json::object>> implicit = {};
  static MethodResult Error(std::string type, std::string description = {}) {
    return {{}, MethodError{std::move(type), std::move(description)}};
  }
};

// The HTTP answer to a POST on the API endpoint.
struct ApiReply {
  int status = 200;
  std::string content_type;  // application/json or application/problem+json
  std::string body;
};

class Api {
 public:
  Api(store::Store& store, const HttpLimits& limits) : store_(store), limits_(limits) {}
  // With the server's configuration: EmailSubmission delivers to its local domains.
  Api(store::Store& store, const Config& config)
      : store_(store), limits_(config.http), config_(&config) {}

  ApiReply Handle(std::string_view body, const Principal& who) const;
  // Handle without HTTP: the Response object, or the request-level error (WebSocket, RFC 8887).
  std::variant<boost::json::object, RequestError> Answer(std::string_view body,
                                                         const Principal& who) const;
  // The Response object for a parsed request (for tests and the fuzzer's dispatch).
  boost::json::object Run(const Request& request, const Principal& who) const;
  // Who hears of PushSubscription writes; set before the first request.
  void SetPushObserver(PushObserver* observer) { push_ = observer; }

 private:
  MethodResult Call(const Invocation& call, MethodContext& context) const;

  store::Store& store_;
  const HttpLimits& limits_;
  const Config* config_ = nullptr;
  PushObserver* push_ = nullptr;
};

// The session resource's state string for `who` (also sent as every response's sessionState).
std::string SessionState(const Principal& who);

// Methods (one file per data type).
MethodResult CoreEcho(MethodContext& c, const boost::json::object& args);      // core.cc
MethodResult MailboxGet(MethodContext& c, const boost::json::object& args);    // mailbox.cc
MethodResult EmailGet(MethodContext& c, const boost::json::object& args);      // email.cc
MethodResult EmailChanges(MethodContext& c, const boost::json::object& args);  // email.cc
// mailbox.cc, mailbox_set.cc
MethodResult MailboxChanges(MethodContext& c, const boost::json::object& args);
MethodResult MailboxQuery(MethodContext& c, const boost::json::object& args);
MethodResult MailboxQueryChanges(MethodContext& c, const boost::json::object& args);
MethodResult MailboxSet(MethodContext& c, const boost::json::object& args);
// thread.cc
MethodResult ThreadGet(MethodContext& c, const boost::json::object& args);
MethodResult ThreadChanges(MethodContext& c, const boost::json::object& args);
// identity.cc
MethodResult IdentityGet(MethodContext& c, const boost::json::object& args);
MethodResult IdentityChanges(MethodContext& c, const boost::json::object& args);
MethodResult IdentitySet(MethodContext& c, const boost::json::object& args);
// vacation_response.cc
MethodResult VacationResponseGet(MethodContext& c, const boost::json::object& args);
MethodResult VacationResponseSet(MethodContext& c, const boost::json::object& args);
// submission.cc, submission_set.cc
MethodResult SubmissionGet(MethodContext& c, const boost::json::object& args);
MethodResult SubmissionChanges(MethodContext& c, const boost::json::object& args);
MethodResult SubmissionQuery(MethodContext& c, const boost::json::object& args);
MethodResult SubmissionQueryChanges(MethodContext& c, const boost::json::object& args);
MethodResult SubmissionSet(MethodContext& c, const boost::json::object& args);
// push_subscription.cc
MethodResult PushSubscriptionGet(MethodContext& c, const boost::json::object& args);
MethodResult PushSubscriptionSet(MethodContext& c, const boost::json::object& args);
// email_query.cc
MethodResult EmailQuery(MethodContext& c, const boost::json::object& args);
MethodResult EmailQueryChanges(MethodContext& c, const boost::json::object& args);
MethodResult SearchSnippetGet(MethodContext& c, const boost::json::object& args);
// email_set.cc
MethodResult EmailSet(MethodContext& c, const boost::json::object& args);
MethodResult EmailImport(MethodContext& c, const boost::json::object& args);
MethodResult EmailParse(MethodContext& c, const boost::json::object& args);
MethodResult EmailCopy(MethodContext& c, const boost::json::object& args);

}  // namespace pushmail::jmap
