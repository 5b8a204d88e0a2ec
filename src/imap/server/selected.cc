#include "imap/server/selected.h"

#include <algorithm>

#include "imap/protocol/flags.h"

namespace pushmail::imap {

SelectedView::SelectedView(store::MailboxSnapshot snapshot, bool read_only)
    : mailbox_(std::move(snapshot.mailbox)),
      read_only_(read_only),
      known_modseq_(mailbox_.highest_modseq) {
  uids_.reserve(snapshot.messages.size());
  modseqs_.reserve(snapshot.messages.size());
  flags_.reserve(snapshot.messages.size());
  for (const auto& m : snapshot.messages) Append(m);
}

uint32_t SelectedView::Intern(const store::Keywords& keywords) {
  auto [it, added] = flag_ids_.try_emplace(keywords, static_cast<uint32_t>(flag_sets_.size()));
  if (added) flag_sets_.push_back(keywords);
  return it->second;
}

void SelectedView::Append(const store::MailboxMessage& m) {
  uids_.push_back(m.uid);
  modseqs_.push_back(m.modseq);
  flags_.push_back(Intern(m.keywords));
}

void SelectedView::Erase(uint32_t seq) {
  uids_.erase(uids_.begin() + seq - 1);
  modseqs_.erase(modseqs_.begin() + seq - 1);
  flags_.erase(flags_.begin() + seq - 1);
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

std::string FlagsResponse(uint32_t seq, const ViewedMessage& m, bool with_uid, bool with_modseq) {
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
    uids.reserve(gone.size());
    for (uint32_t seq : gone) uids.push_back(uids_[seq - 1]);
    std::sort(uids.begin(), uids.end());
    out += "* VANISHED " + FormatSequenceSet(uids) + "\r\n";
  }
  std::sort(gone.rbegin(), gone.rend());
  for (uint32_t seq : gone) {
    if (!reporting.qresync) out += "* " + std::to_string(seq) + " EXPUNGE\r\n";
    Erase(seq);
  }

  size_t before = uids_.size();
  store::Uid last = uids_.empty() ? 0 : uids_.back();
  for (const auto& m : delta.changed) {
    if (auto seq = SeqOf(m.uid)) {
      size_t i = *seq - 1;
      if (m.modseq <= modseqs_[i]) continue;  // told already (our own STORE)
      bool flags_changed = m.keywords != flag_sets_[flags_[i]];
      modseqs_[i] = m.modseq;
      if (flags_changed) flags_[i] = Intern(m.keywords);
      if (flags_changed || reporting.condstore) {
        out += FlagsResponse(*seq, at(*seq), true, reporting.condstore);
      }
    } else if (m.uid > last) {
      Append(m);
      last = m.uid;
    }
  }
  if (uids_.size() != before) out += "* " + std::to_string(size()) + " EXISTS\r\n";
  mailbox_ = delta.mailbox;
  known_modseq_ = std::max(known_modseq_, delta.mailbox.highest_modseq);
  return out;
}

void SelectedView::Update(const store::MailboxMessage& changed) {
  auto seq = SeqOf(changed.uid);
  if (!seq) return;
  size_t i = *seq - 1;
  flags_[i] = Intern(changed.keywords);
  modseqs_[i] = std::max(modseqs_[i], changed.modseq);
}

std::vector<std::pair<uint32_t, store::MailboxMessage>> SelectedView::AsTold(
    std::vector<store::MailboxMessage> rows) const {
  std::vector<std::pair<uint32_t, store::MailboxMessage>> out;
  out.reserve(rows.size());
  for (auto& row : rows) {
    auto seq = SeqOf(row.uid);
    if (!seq) continue;  // arrived after the view's last sync: not told yet
    row.keywords = flag_sets_[flags_[*seq - 1]];
    row.modseq = modseqs_[*seq - 1];
    out.emplace_back(*seq, std::move(row));
  }
  return out;
}

}  // namespace pushmail::imap
