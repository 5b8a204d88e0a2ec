#include <charconv>

#include "store/types.h"

namespace pushmail::store {
namespace {

std::string WithPrefix(char prefix, int64_t id) { return prefix + std::to_string(id); }

}  // namespace

std::string MailboxJmapId(MailboxId id) { return WithPrefix('M', id); }
std::string EmailJmapId(EmailId id) { return WithPrefix('E', id); }
std::string ThreadJmapId(ThreadId id) { return WithPrefix('T', id); }
std::string IdentityJmapId(IdentityId id) { return WithPrefix('I', id); }
std::string SubmissionJmapId(SubmissionId id) { return WithPrefix('S', id); }
std::string PushSubscriptionJmapId(PushSubscriptionId id) { return WithPrefix('P', id); }

ModSeq StateOf(const Account& a, DataType type) {
  switch (type) {
    case DataType::kMailbox:
      return a.mailbox_state;
    case DataType::kEmail:
      return a.email_state;
    case DataType::kThread:
      return a.thread_state;
    case DataType::kIdentity:
      return a.identity_state;
    case DataType::kEmailSubmission:
      return a.submission_state;
    case DataType::kVacationResponse:
      return a.vacation_state;
  }
  return a.modseq;
}

StateChange CurrentStates(const Account& a) {
  StateChange c;
  c.account = a.id;
  c.push_seq = a.push_seq;
  c.modseq = a.modseq;
  c.email_state = a.email_state;
  c.mailbox_state = a.mailbox_state;
  c.thread_state = a.thread_state;
  c.identity_state = a.identity_state;
  c.submission_state = a.submission_state;
  c.vacation_state = a.vacation_state;
  return c;
}

std::optional<int64_t> ParseJmapId(std::string_view id, char prefix) {
  if (id.size() < 2 || id.size() > 20 || id[0] != prefix || id[1] == '0') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace pushmail::store
