#pragma once
// Evaluates a SEARCH program against one message. Pure; runs on the blocking pool, where the
// summary and bytes a key needs are loaded on demand.

#include <functional>
#include <optional>
#include <string>

#include "imap/protocol/search.h"
#include "mime/mime.h"
#include "store/types.h"

namespace pushmail::imap {

struct SearchSubject {
  uint32_t seq = 0;
  uint32_t max_seq = 0;  // for "*" in sequence sets
  uint32_t max_uid = 0;
  const store::MailboxMessage* message = nullptr;
  int64_t now = 0;  // for OLDER / YOUNGER
  // Loaded at most once, when a key needs them.
  std::function<const mime::Summary*()> summary;
  std::function<const std::string*()> bytes;
};

// Whether the message matches. Strings match as case-insensitive substrings (ASCII case
// folding; RFC 9051 6.4.4 leaves the comparator to the server).
bool Matches(const SearchKey& key, const SearchSubject& subject);

// Whether evaluating `key` can need the stored summary or bytes.
bool NeedsContent(const SearchKey& key);

}  // namespace pushmail::imap
