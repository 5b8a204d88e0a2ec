#pragma once
// Renders one message's FETCH response. Pure apart from the inputs it is handed; runs on the
// blocking pool (it may parse the message).

#include <optional>
#include <string>
#include <vector>

#include "imap/protocol/fetch.h"
#include "mime/mime.h"
#include "store/types.h"

namespace pushmail::imap {

struct FetchInput {
  uint32_t seq = 0;
  store::MailboxMessage message;
  const store::EmailRecord* email = nullptr;  // null when the items need no summary
  const std::string* bytes = nullptr;         // null when the items need no content
};

struct FetchOptions {
  bool utf8 = false;
  bool with_uid = false;     // UID FETCH: UID is always returned
  bool with_modseq = false;  // CONDSTORE active: MODSEQ is always returned
};

// Whether the items need the stored summary (ENVELOPE, BODYSTRUCTURE, sections) or the bytes.
bool NeedsSummary(const std::vector<FetchItem>& items);
bool NeedsBytes(const std::vector<FetchItem>& items);

// "* 3 FETCH (...)\r\n". A BINARY item whose encoding cannot be undone makes the whole answer
// a refusal: `unknown_cte` is set and nothing is returned.
std::string RenderFetch(const FetchInput& in, const std::vector<FetchItem>& items,
                        const FetchOptions& options, bool& unknown_cte);

// The fields of `header` (a raw header block) whose names are (or with `exclude`, are not) in
// `names`, ignoring case, followed by the blank line (RFC 9051 6.4.5 HEADER.FIELDS).
std::string FilterHeader(std::string_view header, const std::vector<std::string>& names,
                         bool exclude);

}  // namespace pushmail::imap
