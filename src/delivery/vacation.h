#pragma once
// The vacation responder (RFC 8621 8 VacationResponse; RFC 3834 for when and how to answer).
// A delivery asks OnVacation (memory only, any thread) which recipients are away; only then
// does it Describe the message and, off the network thread, AnswerVacations.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/config.h"
#include "mime/mime.h"
#include "store/store.h"

namespace pushmail::delivery {

// A sender hears a given vacation response at most once in this period (RFC 3834 2 asks for
// "several days"; Sieve's vacation defaults to 7).
inline constexpr int64_t kVacationPeriod = int64_t{7} * 24 * 3600;

// What the responder needs of a message just delivered, taken before the message is handed to
// the store.
struct Arrival {
  std::string return_path;  // MAIL FROM; empty for <>
  std::string message_id;
  std::vector<std::string> references;  // References, else In-Reply-To
  std::string subject;
  std::vector<std::string> addressed_to;  // every address in To, Cc and Bcc
  // Auto-Submitted other than "no", Precedence bulk/list/junk, a List-* field, or
  // X-Auto-Response-Suppress: mail no responder answers (RFC 3834 2).
  bool automatic = false;
  int64_t received_at = 0;
};

Arrival Describe(std::string_view message, const mime::Summary& summary,
                 std::string_view return_path, int64_t received_at);

// The value of the first header field `name` (case-insensitive) of `message`, unfolded and
// trimmed; nullopt when the header has none.
std::optional<std::string> HeaderField(std::string_view message, std::string_view name);

// The recipients whose vacation response is active at `when`. Never blocks.
std::vector<store::AccountId> OnVacation(store::Store& store,
                                         const std::vector<store::AccountId>& recipients,
                                         int64_t when);

// Why `arrival` gets no automatic answer (RFC 3834 2, RFC 5230 4.6), or empty when it may get
// one. `mine` is the recipient's address that the message names, empty when it names none.
std::string_view Unanswerable(const Arrival& arrival, std::string_view mine);

// What the auto-reply says and to whom.
struct VacationReply {
  std::string from;       // the recipient's address the message was sent to
  std::string from_name;  // display name, may be empty
  std::string to;         // the original's return path
  std::string host;       // for the Message-ID
  const Arrival* original = nullptr;
  const store::VacationResponse* response = nullptr;
  int64_t date = 0;
};

// The reply message (RFC 3834 3: Auto-Submitted: auto-replied, In-Reply-To, References, a
// subject of "Auto: " and the original's unless the response has its own). A text part from
// textBody (or the HTML's text), and the HTML as an alternative when there is one.
std::string ComposeVacationReply(const VacationReply& reply);

// Sends the auto-reply of each account of `away` to `arrival` where RFC 3834 allows, once per
// sender and kVacationPeriod. A local sender gets it delivered at once; for any other there is
// no outbound relay yet, which is logged. Blocks on the store: call from the blocking pool.
void AnswerVacations(store::Store& store, const Config& config, const Arrival& arrival,
                     const std::vector<store::AccountId>& away);

}  // namespace pushmail::delivery
