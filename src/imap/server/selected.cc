#include "imap/server/selected.h"

#include <algorithm>

#include "imap/server/flags.h"

namespace pushmail::imap {

SelectedView::SelectedView(store::MailboxSnapshot snapshot, bool read_only)
    : mailbox_(std::move(snapshot.mailbox)),
      read_only_(read_only),
      messages_(std::move(snapshot.messages)),
      known_modseq_(mailbox_.highest_modseq) {
  Rebuild();
}

void SelectedView::Rebuild() {
  uids_.clear();
  uids_.reserve(messages_.size());
  for (const auto& m : messages_) uids_.push_back(m.uid);
}

std::optional<uint32_t> SelectedView::SeqOf(store::Uid uid) const {
  auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
  if (it == uids_.end() || *it != uid) return std::nullopt;
  return static_cast<uint32_t>(it - uids_.begin() + 1);
}

std::vector<uint32_t> SelectedView::Resolve(const SequenceSet& set, bool uid) const {
  std::vector<uint32_t> out;
  if (uid) {
    for (uint32_t u : set.Expand(uids_)) out.push_back(*SeqOf(u));
    return out;
  }
  for (const SeqRange& r : set.Normalize(size())) {
    for (uint32_t n = r.first; n <= r.last && n != 0; ++n) out.push_back(n);
  }
  return out;
}

std::string FlagsResponse(uint32_t seq, const store::MailboxMessage& m, bool with_uid,
                          bool with_modseq) {
  std::string out = "* " + std::to_string(seq) + " FETCH (";
  if (with_uid) out += "UID " + std::to_string(m.uid) + " ";
  out += "FLAGS " + FormatFlags(m.keywords);
  if (with_modseq) out += " MODSEQ (" + std::to_string(m.modseq) + ")";
  out += ")\r\n";
  return out;
}

std::string SelectedView::Apply(const store::Store::MailboxDelta& delta, Reporting reporting) {
  std::string out;
  // Expunges from the highest sequence number down, so each number is right when it is said.
  std::vector<uint32_t> gone;
  for (store::Uid uid : delta.expunged) {
    if (auto seq = SeqOf(uid)) gone.push_back(*seq);
  }
  if (reporting.qresync && !gone.empty()) {
    std::vector<uint32_t> uids;
    for (uint32_t seq : gone) uids.push_back(at(seq).uid);
    std::sort(uids.begin(), uids.end());
    out += "* VANISHED " + FormatSequenceSet(uids) + "\r\n";
  }
  std::sort(gone.rbegin(), gone.rend());
  for (uint32_t seq : gone) {
    if (!reporting.qresync) out += "* " + std::to_string(seq) + " EXPUNGE\r\n";
    messages_.erase(messages_.begin() + seq - 1);
  }
  if (!gone.empty()) Rebuild();

  size_t before = messages_.size();
  store::Uid last = messages_.empty() ? 0 : messages_.back().uid;
  for (const auto& m : delta.changed) {
    if (auto seq = SeqOf(m.uid)) {
      store::MailboxMessage& mine = messages_[*seq - 1];
      if (m.modseq <= mine.modseq) continue;  // told already (our own STORE)
      bool flags_changed = m.keywords != mine.keywords;
      mine = m;
      if (flags_changed || reporting.condstore) {
        out += FlagsResponse(*seq, mine, true, reporting.condstore);
      }
    } else if (m.uid > last) {
      messages_.push_back(m);
      last = m.uid;
    }
  }
  if (messages_.size() != before || !gone.empty()) {
    Rebuild();
    if (messages_.size() != before) out += "* " + std::to_string(size()) + " EXISTS\r\n";
  }
  mailbox_ = delta.mailbox;
  known_modseq_ = std::max(known_modseq_, delta.mailbox.highest_modseq);
  return out;
}

void SelectedView::Update(const store::MailboxMessage& changed) {
  auto seq = SeqOf(changed.uid);
  if (!seq) return;
  store::MailboxMessage& mine = messages_[*seq - 1];
  mine.keywords = changed.keywords;
  mine.modseq = std::max(mine.modseq, changed.modseq);
}

}  // namespace pushmail::imap
