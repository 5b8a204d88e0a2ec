#pragma once
// Internal to src/jmap: what Email/set and Email/import share (RFC 8621 4.6, 4.8): the
// account's mailboxes, mailboxIds and keywords as a client gives them, an Email/set create read
// into a message ready to store, and storing such messages in one commit.

#include <boost/json/object.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "jmap/api.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

// A SetError, or nothing.
using Failure = std::optional<boost::json::object>;

// The account's mailbox ids, for checking mailboxIds before a write.
struct MailboxIds {
  std::set<store::MailboxId> ids;
};
Result<MailboxIds> ReadMailboxIds(MethodContext& c);

// A mailbox id argument ("M7", or "#creation" made earlier in the request) of the account.
std::optional<store::MailboxId> MailboxOf(const MethodContext& c, const MailboxIds& boxes,
                                          std::string_view id);
// {"id": true, ...} as mailbox ids; nullopt with `failure` set (invalidProperties) otherwise.
std::optional<std::vector<store::MailboxId>> ReadMailboxIdSet(const MethodContext& c,
                                                              const MailboxIds& boxes,
                                                              const boost::json::value& v,
                                                              Failure& failure);
// {"$seen": true, ...} as lower-case keywords; nullopt with `failure` set (invalidProperties or
// tooManyKeywords) otherwise.
std::optional<store::Keywords> ReadKeywordSet(const boost::json::value& v, Failure& failure);

// An Email/set create (RFC 8621 4.6) to a message ready to store in `out`. On failure the
// SetError: invalidProperties naming every invalid property, else tooManyKeywords, serverFail
// when the store failed to read a blob, or blobNotFound naming every blob not found.
Failure ReadCreate(MethodContext& c, const MailboxIds& boxes, const boost::json::object& o,
                   store::Incoming& out);

// Stores `creations` (creation id, message) in one commit: each lands in `answer` as created
// (id, blobId, threadId, size) or, when the commit fails, as notCreated.
void StoreCreations(MethodContext& c,
                    std::vector<std::pair<std::string, store::Incoming>>& creations,
                    SetAnswer& answer);

}  // namespace pushmail::jmap
