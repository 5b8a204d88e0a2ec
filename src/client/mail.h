#pragma once
// Mailboxes and emails as the commands show them: what JMAP's Mailbox/get and Email/get say,
// flattened, and the one-line and JSON forms that `watch` and `ls` print.

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "client/rules.h"

namespace pushmail::client {

class JmapClient;

struct MailboxInfo {
  std::string id, name, role;
  int64_t total = 0, unread = 0;
};

std::vector<MailboxInfo> FetchMailboxes(JmapClient& client);
std::vector<MailboxInfo> MailboxesFromJson(const boost::json::object& mailbox_get_response);
// The mailbox whose id, name or role (case-insensitive) is `key`; nullptr when none.
const MailboxInfo* FindMailbox(const std::vector<MailboxInfo>& boxes, std::string_view key);
// FindMailbox, or Failure (kNotFound) listing the mailboxes there are.
const MailboxInfo& RequireMailbox(const std::vector<MailboxInfo>& boxes, std::string_view key);

// One email, as far as a listing or a rule needs it.
struct EmailFacts {
  std::string id, blob_id, thread_id;
  std::string from;                           // first sender, "Name <addr>" or "addr"
  std::vector<std::string> from_addrs;        // every From address, both forms
  std::vector<std::string> to_addrs;          // every To and Cc address, both forms
  std::string subject, preview, received_at;  // received_at: RFC 3339 UTC
  std::vector<std::string> mailbox_ids;
  std::vector<std::string> mailboxes;  // names, in mailbox_ids order
  std::vector<std::string> keywords;
  std::vector<std::pair<std::string, std::string>> headers;  // name, decoded value
  int64_t size = 0;
};

// The Email/get properties FactsFromJson reads; with `headers` the header fields too.
boost::json::array FactsProperties(bool headers);
EmailFacts FactsFromJson(const boost::json::object& email, const std::vector<MailboxInfo>& boxes);

// "Name <addr>", or "addr" without a name.
std::string DisplayAddress(std::string_view name, std::string_view email);

// What the rules look at.
MessageFacts RuleFacts(const EmailFacts& facts);

bool HasKeyword(const EmailFacts& facts, std::string_view keyword);
// "2026-11-23 17:40  From  Subject  preview", on one line, control characters removed.
std::string FormatLine(const EmailFacts& facts, size_t preview_chars = 80);
// {"id", "from", "subject", "preview", "mailbox", "receivedAt", ...}
boost::json::object FactsJson(const EmailFacts& facts);
// `text` with C0 controls and DEL turned into spaces, runs of white space folded.
std::string OneLine(std::string_view text);

}  // namespace pushmail::client
