#pragma once
// The session's view of its selected mailbox: the messages it has told the client of (UID,
// modseq, flags), in sequence-number order. Sequence numbers only change when the session itself
// reports an EXPUNGE, so the view is brought up to date from the store at the points where the
// protocol lets the server speak (RFC 9051 7.5.1), and each difference becomes an untagged
// response. Pure: no I/O, no store access; one per session, on its worker.

#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "imap/protocol/sequence.h"
#include "store/store.h"

namespace pushmail::imap {

// What the view knows of one message: what the client has been told.
struct ViewedMessage {
  store::Uid uid;
  store::ModSeq modseq;
  const store::Keywords& keywords;
};

class SelectedView {
 public:
  SelectedView(store::MailboxSnapshot snapshot, bool read_only);

  const store::Mailbox& mailbox() const { return mailbox_; }
  bool read_only() const { return read_only_; }
  uint32_t size() const { return static_cast<uint32_t>(uids_.size()); }
  // 1-based.
  ViewedMessage at(uint32_t seq) const {
    return {uids_[seq - 1], modseqs_[seq - 1], flag_sets_[flags_[seq - 1]]};
  }
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

  // `rows` (read from the store, by UID) as the client knows them: only those still in the
  // view, each with the view's flags and modseq, with their sequence numbers.
  std::vector<std::pair<uint32_t, store::MailboxMessage>> AsTold(
      std::vector<store::MailboxMessage> rows) const;

 private:
  uint32_t Intern(const store::Keywords& keywords);
  void Erase(uint32_t seq);
  void Append(const store::MailboxMessage& m);

  store::Mailbox mailbox_;
  bool read_only_;
  // One entry per message in sequence-number order, in three arrays: 16 octets a message.
  // The rest of a message (ids, size, date) is read from the store when a command needs it.
  std::vector<uint32_t> uids_;
  std::vector<store::ModSeq> modseqs_;
  std::vector<uint32_t> flags_;             // index into flag_sets_
  std::vector<store::Keywords> flag_sets_;  // each distinct set once
  std::map<store::Keywords, uint32_t> flag_ids_;
  store::ModSeq known_modseq_;
};

// "* 3 FETCH (UID 7 FLAGS (\Seen) MODSEQ (12))" and the like.
std::string FlagsResponse(uint32_t seq, const ViewedMessage& m, bool with_uid, bool with_modseq);

}  // namespace pushmail::imap
