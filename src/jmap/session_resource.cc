#include "jmap/session_resource.h"

#include "jmap/ids.h"
#include "jmap/request.h"
#include "jmap/websocket.h"

namespace pushmail::jmap {

namespace json = boost::json;

namespace {

json::object CoreCapability(const HttpLimits& l) {
  return {{"maxSizeUpload", l.max_size_upload},
          {"maxConcurrentUpload", l.max_concurrent_upload},
          {"maxSizeRequest", l.max_size_request},
          {"maxConcurrentRequests", l.max_concurrent_requests},
          {"maxCallsInRequest", l.max_calls_in_request},
          {"maxObjectsInGet", l.max_objects_in_get},
          {"maxObjectsInSet", l.max_objects_in_set},
          {"collationAlgorithms", json::array{"i;ascii-casemap", "i;octet"}}};
}

json::object MailAccountCapability(const HttpLimits& l) {
  return {{"maxMailboxesPerEmail", nullptr},
          {"maxMailboxDepth", 32},  // the store's limit on levels of a path
          {"maxSizeMailboxName", 490},
          {"maxSizeAttachmentsPerEmail", l.max_size_upload},
          {"emailQuerySortOptions",
           json::array{"receivedAt", "size", "from", "to", "subject", "sentAt", "hasKeyword",
                       "allInThreadHaveKeyword", "someInThreadHaveKeyword"}},
          {"mayCreateTopLevelMailbox", true}};
}

// Sent at once, never held back (no FUTURERELEASE), and no SMTP extension to pass on.
json::object SubmissionAccountCapability() {
  return {{"maxDelayedSend", 0}, {"submissionExtensions", json::object()}};
}

}  // namespace

json::object SessionResource(const Principal& who, const HttpLimits& limits,
                             const std::string& base, std::string_view vapid_key,
                             std::string_view event_source_token) {
  std::string account = AccountJmapId(who.account);
  json::object accounts{
      {account, json::object{{"name", who.login},
                             {"isPersonal", true},
                             {"isReadOnly", false},
                             {"accountCapabilities",
                              json::object{{kCoreCapability, json::object()},
                                           {kMailCapability, MailAccountCapability(limits)},
                                           {kSubmissionCapability, SubmissionAccountCapability()},
                                           {kVacationCapability, json::object()}}}}}};
  auto url = [&base](std::string_view path, std::string_view rest = {}) {
    return base + std::string(path) + std::string(rest);
  };
  // RFC 8887 4: the WebSocket URL is the API's origin with the ws scheme.
  std::string ws = base.starts_with("http") ? "ws" + base.substr(4) : base;
  json::object websocket{{"url", ws + std::string(kWebSocketPath)}, {"supportsPush", true}};
  json::object capabilities{{kCoreCapability, CoreCapability(limits)},
                            {kMailCapability, json::object()},
                            {kWebSocketCapability, std::move(websocket)},
                            {kSubmissionCapability, json::object()},
                            {kVacationCapability, json::object()}};
  if (!vapid_key.empty()) {
    capabilities[kWebPushVapidCapability] = json::object{{"applicationServerKey", vapid_key}};
  }
  return {
      {"capabilities", std::move(capabilities)},
      {"accounts", std::move(accounts)},
      {"primaryAccounts", json::object{{kCoreCapability, account},
                                       {kMailCapability, account},
                                       {kSubmissionCapability, account},
                                       {kVacationCapability, account}}},
      {"username", who.login},
      {"apiUrl", url(kApiPath)},
      {"downloadUrl", url(kDownloadPath, "{accountId}/{blobId}/{name}?accept={type}")},
      {"uploadUrl", url(kUploadPath, "{accountId}/")},
      {"eventSourceUrl",
       url(kEventSourcePath, "?types={types}&closeafter={closeafter}&ping={ping}") +
           (event_source_token.empty() ? "" : "&token=" + std::string(event_source_token))},
      {"state", SessionState(who)},
  };
}

}  // namespace pushmail::jmap
