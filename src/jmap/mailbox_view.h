#pragma once
// Internal to src/jmap: mailboxes as JMAP shows them (RFC 8621 2), shared by Mailbox/get,
// /query and /set.

#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jmap/api.h"

namespace pushmail::jmap {

struct MailboxView {
  store::Mailbox mailbox;
  store::MailboxThreadCounts counts;
};

// Every mailbox of the account with its counts (zero unless `counts`: they cost a pass over
// every message of the account), in the store's order (sortOrder, name), and the Mailbox state
// read before them. The store's error when it fails.
struct Mailboxes {
  store::ModSeq state = 0;
  std::vector<MailboxView> list;
  const MailboxView* Find(std::string_view jmap_id) const;
  const MailboxView* Find(store::MailboxId id) const;
  bool HasChild(store::MailboxId id) const;
};
Result<Mailboxes> ReadMailboxes(MethodContext& c, bool counts = true);

// The JMAP name is the last level of the store's path ("Work/2026" -> "2026").
std::string_view LeafName(std::string_view path);
// INBOX is where IMAP keeps it: it cannot be renamed, moved or destroyed through JMAP.
bool IsInbox(const store::Mailbox& m);
boost::json::value MailboxProperty(const MailboxView& v, std::string_view name);

}  // namespace pushmail::jmap
