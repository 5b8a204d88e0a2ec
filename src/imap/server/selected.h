#pragma once
// The session's view of its selected mailbox: the messages it has told the client of, in
// sequence-number order. Sequence numbers only change when the session itself reports an
// EXPUNGE, so the view is brought up to date from the store at the points where the protocol
// lets the server speak (RFC 9051 7.5.1), and each difference becomes an untagged response.
// Pure: no I/O, no store access; one per session, on its worker.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/protocol/sequence.h"
#include "store/store.h"

namespace pushmail::imap {

class SelectedView {
 public:
  SelectedView(store::MailboxSnapshot snapshot, bool read_only);

  const store::Mailbox& mailbox() const { return mailbox_; }
  bool read_only() const { return read_only_; }
  uint32_t size() const { return static_cast<uint32_t>(messages_.size()); }
  // 1-based.
  const store::MailboxMessage& at(uint32_t seq) const { return messages_[seq - 1]; }
  std::optional<uint32_t> SeqOf(store::Uid uid) const;
  // The highest modseq whose changes the client has been told of.
  store::ModSeq known_modseq() const { return known_modseq_; }
  const std::vector<uint32_t>& uids() const { return uids_; }

  // The sequence numbers (ascending) a set names: UIDs with `uid`, else sequence numbers.
  std::vector<uint32_t> Resolve(const SequenceSet& set, bool uid) const;

  struct Reporting {
    bool condstore = false;  // FETCH responses carry MODSEQ
    bool qresync = false;    // expunges are reported as VANISHED (RFC 7162 3.2.10)
  };
  // Applies what changed in the mailbox since known_modseq() and returns the untagged
  // responses that tell the client: EXPUNGE (or VANISHED), EXISTS, and FETCH FLAGS for
  // messages whose keywords changed.
  std::string Apply(const store::Store::MailboxDelta& delta, Reporting reporting);
  // Takes in the session's own keyword change (already reported by STORE).
  void Update(const store::MailboxMessage& changed);

 private:
  void Rebuild();

  store::Mailbox mailbox_;
  bool read_only_;
  std::vector<store::MailboxMessage> messages_;  // by UID = by sequence number
  std::vector<uint32_t> uids_;                   // the same order, for SequenceSet::Expand
  store::ModSeq known_modseq_;
};

// "* 3 FETCH (UID 7 FLAGS (\Seen) MODSEQ (12))" and the like.
std::string FlagsResponse(uint32_t seq, const store::MailboxMessage& m, bool with_uid,
                          bool with_modseq);

}  // namespace pushmail::imap
