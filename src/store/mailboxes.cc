// Mailbox writes: create, delete, rename, subscribe.
#include <algorithm>

#include "base/clock.h"
#include "store/ops.h"
#include "store/store.h"
#include "store/upstream_first.h"

namespace pushmail::store {

ErrorCode CopyInTxn(Txn& txn, AccountId account, MailboxId from, const std::vector<Uid>& uids,
                    MailboxId to, bool move, CopyResult& out);  // messages.cc

namespace {

constexpr char kDelimiter = '/';
constexpr size_t kMaxName = 1024;  // octets of a full path
constexpr size_t kMaxDepth = 32;   // levels

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxName) return false;
  if (name.front() == kDelimiter || name.back() == kDelimiter) return false;
  if (name.find("//") != std::string_view::npos) return false;
  if (std::count(name.begin(), name.end(), kDelimiter) >= static_cast<long>(kMaxDepth)) {
    return false;
  }
  // Control characters never belong in a name (and would break IMAP quoting).
  return std::none_of(name.begin(), name.end(),
                      [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool IsInbox(std::string_view name) {
  return name.size() == 5 && std::equal(name.begin(), name.end(), "INBOX", [](char a, char b) {
           return (a >= 'a' && a <= 'z' ? a - 32 : a) == b;
         });
}

Result<std::optional<MailboxId>> FindByName(Txn& txn, AccountId account, std::string_view name) {
  auto& q = txn.Stmt("SELECT id FROM mailboxes WHERE account_id = ? AND name = ?");
  q.Bind(1, account).Bind(2, IsInbox(name) ? std::string_view("INBOX") : name);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return std::optional<MailboxId>();
  return std::optional<MailboxId>(q.Int(0));
}

// A UIDVALIDITY above every one the account has handed out, near the clock when it can be.
Result<uint32_t> NextUidvalidity(Txn& txn, AccountId account) {
  auto& q = txn.Stmt(
      "UPDATE accounts SET last_uidvalidity = max(last_uidvalidity + 1, ?) WHERE id = ? "
      "RETURNING last_uidvalidity");
  q.Bind(1, UnixNow()).Bind(2, account);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  auto value = static_cast<uint32_t>(q.Int(0));
  if (auto ec = q.Run()) return ec;
  return value;
}

// The mailbox named by the path before the last delimiter, made (with its own parents) when
// it does not exist yet. nullopt for a top-level name.
Result<std::optional<MailboxId>> EnsureParent(Txn& txn, AccountId account, std::string_view name,
                                              ModSeq modseq);

Result<MailboxId> InsertMailbox(Txn& txn, AccountId account, std::string_view name, ModSeq modseq) {
  auto parent = EnsureParent(txn, account, name, modseq);
  if (!parent) return parent.error();
  auto uidvalidity = NextUidvalidity(txn, account);
  if (!uidvalidity) return uidvalidity.error();
  auto& q = txn.Stmt(
      "INSERT INTO mailboxes (account_id, name, parent_id, sort_order, uidvalidity, "
      "highestmodseq) VALUES (?, ?, ?, 100, ?, ?)");
  q.Bind(1, account).Bind(2, name);
  if (*parent) {
    q.Bind(3, **parent);
  } else {
    q.BindNull(3);
  }
  q.Bind(4, static_cast<int64_t>(*uidvalidity)).Bind(5, modseq);
  if (auto ec = q.Run()) return ec;
  MailboxId id = txn.db().LastInsertRowId();
  if (auto ec = txn.Log(account, DataType::kMailbox, id, ChangeOp::kCreated, modseq)) return ec;
  return id;
}

Result<std::optional<MailboxId>> EnsureParent(Txn& txn, AccountId account, std::string_view name,
                                              ModSeq modseq) {
  size_t cut = name.rfind(kDelimiter);
  if (cut == std::string_view::npos) return std::optional<MailboxId>();
  std::string_view parent = name.substr(0, cut);
  auto found = FindByName(txn, account, parent);
  if (!found) return found.error();
  if (*found) return *found;
  auto made = InsertMailbox(txn, account, parent, modseq);
  if (!made) return made.error();
  return std::optional<MailboxId>(*made);
}

Result<std::string> MailboxName(Txn& txn, AccountId account, MailboxId mailbox) {
  auto& q = txn.Stmt("SELECT name FROM mailboxes WHERE id = ? AND account_id = ?");
  q.Bind(1, mailbox).Bind(2, account);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  return std::string(q.Text(0));
}

Result<std::vector<std::pair<Uid, EmailId>>> Members(Txn& txn, MailboxId mailbox) {
  auto& q = txn.Stmt("SELECT uid, email_id FROM mailbox_emails WHERE mailbox_id = ? ORDER BY uid");
  q.Bind(1, mailbox);
  std::vector<std::pair<Uid, EmailId>> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.emplace_back(static_cast<Uid>(q.Int(0)), q.Int(1));
  }
}

ErrorCode RenameTree(Txn& txn, AccountId account, MailboxId mailbox, const std::string& old_name,
                     std::string_view new_name, ModSeq modseq) {
  // The mailbox and every one under it: "old" and "old/..." become "new" and "new/...".
  auto& q = txn.Stmt(
      "UPDATE mailboxes SET name = ? || substr(name, ?) WHERE account_id = ? AND "
      "(id = ? OR substr(name, 1, ?) = ?) RETURNING id");
  q.Bind(1, new_name).Bind(2, static_cast<int64_t>(old_name.size() + 1)).Bind(3, account);
  q.Bind(4, mailbox).Bind(5, static_cast<int64_t>(old_name.size() + 1)).Bind(6, old_name + "/");
  std::vector<MailboxId> renamed;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) break;
    renamed.push_back(q.Int(0));
  }
  for (MailboxId id : renamed) {
    if (auto ec = txn.Log(account, DataType::kMailbox, id, ChangeOp::kUpdated, modseq)) return ec;
  }
  auto parent = EnsureParent(txn, account, new_name, modseq);
  if (!parent) return parent.error();
  auto& p = txn.Stmt("UPDATE mailboxes SET parent_id = ? WHERE id = ?");
  if (*parent) {
    p.Bind(1, **parent);
  } else {
    p.BindNull(1);
  }
  p.Bind(2, mailbox);
  return p.Run();
}

// Renames `mailbox` to `new_name` at `modseq` (from BumpMessages: renaming INBOX moves its
// messages).
ErrorCode RenameInTxn(Txn& txn, AccountId account, MailboxId mailbox, std::string_view new_name,
                      ModSeq modseq) {
  auto name = MailboxName(txn, account, mailbox);
  if (!name) return name.error();
  auto taken = FindByName(txn, account, new_name);
  if (!taken) return taken.error();
  if (*taken) return MakeError(Errc::kAlreadyExists);
  if (new_name.starts_with(*name + "/")) return MakeError(Errc::kInvalidArgument);
  if (*name != "INBOX") return RenameTree(txn, account, mailbox, *name, new_name, modseq);
  // RFC 9051 6.3.6: INBOX stays; its messages move to a new mailbox of the new name.
  auto made = InsertMailbox(txn, account, new_name, modseq);
  if (!made) return made.error();
  auto members = Members(txn, mailbox);
  if (!members) return members.error();
  std::vector<Uid> uids;
  for (auto [uid, email] : *members) uids.push_back(uid);
  CopyResult moved;
  return CopyInTxn(txn, account, mailbox, uids, *made, true, moved);
}

// Sets the role, sort order and subscription `patch` names (not the name: see RenameInTxn).
// kAlreadyExists when another mailbox of the account has the role.
ErrorCode ApplyAttributes(Txn& txn, AccountId account, MailboxId mailbox, const MailboxPatch& patch,
                          ModSeq modseq) {
  if (!patch.role && !patch.sort_order && !patch.subscribed) return {};
  if (patch.role && !patch.role->empty()) {
    auto& q = txn.Stmt("SELECT 1 FROM mailboxes WHERE account_id = ? AND role = ? AND id != ?");
    q.Bind(1, account).Bind(2, *patch.role).Bind(3, mailbox);
    auto row = q.Step();
    if (!row) return row.error();
    if (*row) return MakeError(Errc::kAlreadyExists);
  }
  auto& u = txn.Stmt(
      "UPDATE mailboxes SET role = CASE WHEN ? THEN nullif(?, '') ELSE role END, "
      "sort_order = coalesce(?, sort_order), subscribed = coalesce(?, subscribed) WHERE id = ?");
  u.Bind(1, patch.role ? 1 : 0).Bind(2, patch.role.value_or(""));
  if (patch.sort_order) {
    u.Bind(3, *patch.sort_order);
  } else {
    u.BindNull(3);
  }
  if (patch.subscribed) {
    u.Bind(4, *patch.subscribed ? 1 : 0);
  } else {
    u.BindNull(4);
  }
  u.Bind(5, mailbox);
  if (auto ec = u.Run()) return ec;
  return txn.Log(account, DataType::kMailbox, mailbox, ChangeOp::kUpdated, modseq);
}

}  // namespace

Result<Mailbox> Store::CreateMailbox(AccountId account, std::string_view name) {
  return CreateMailbox(account, name, MailboxPatch{});
}

Result<Mailbox> Store::CreateMailbox(AccountId account, std::string_view name,
                                     const MailboxPatch& patch) {
  if (!ValidName(name)) return MakeError(Errc::kInvalidArgument);
  if (auto* up = Intercept(account)) return CreateMailboxUpstream(*this, *up, account, name, patch);
  MailboxId id = 0;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto found = FindByName(txn, account, name);
    if (!found) return found.error();
    if (*found) return MakeError(Errc::kAlreadyExists);
    auto modseq = txn.Bump(account, Bit(DataType::kMailbox));
    if (!modseq) return modseq.error();
    auto made = InsertMailbox(txn, account, name, *modseq);
    if (!made) return made.error();
    id = *made;
    return ApplyAttributes(txn, account, id, patch, *modseq);
  });
  if (ec) return ec;
  auto snapshot = ReadMailbox(id);
  if (!snapshot) return snapshot.error();
  return snapshot->mailbox;
}

ErrorCode Store::DeleteMailbox(AccountId account, MailboxId mailbox) {
  if (auto* up = Intercept(account)) return DeleteMailboxUpstream(*this, *up, account, mailbox);
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto name = MailboxName(txn, account, mailbox);
    if (!name) return name.error();
    if (*name == "INBOX") return MakeError(Errc::kInvalidArgument);
    auto& children = txn.Stmt("SELECT 1 FROM mailboxes WHERE parent_id = ? LIMIT 1");
    children.Bind(1, mailbox);
    auto child = children.Step();
    if (!child) return child.error();
    if (*child) return MakeError(Errc::kInvalidArgument);
    auto members = Members(txn, mailbox);
    if (!members) return members.error();
    auto modseq = BumpMessages(txn, account);
    if (!modseq) return modseq.error();
    for (auto [uid, email] : *members) {
      if (auto ec = RemoveMembership(txn, account, mailbox, uid, email, *modseq)) return ec;
    }
    auto& d = txn.Stmt("DELETE FROM mailboxes WHERE id = ?");
    d.Bind(1, mailbox);
    if (auto ec = d.Run()) return ec;
    txn.ForgetMailbox(mailbox);
    return txn.Log(account, DataType::kMailbox, mailbox, ChangeOp::kDestroyed, *modseq);
  });
}

ErrorCode Store::RenameMailbox(AccountId account, MailboxId mailbox, std::string_view new_name) {
  if (!ValidName(new_name) || IsInbox(new_name)) return MakeError(Errc::kInvalidArgument);
  if (auto* up = Intercept(account)) {
    return RenameMailboxUpstream(*this, *up, account, mailbox, new_name);
  }
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto modseq = BumpMessages(txn, account);
    if (!modseq) return modseq.error();
    return RenameInTxn(txn, account, mailbox, new_name, *modseq);
  });
}

ErrorCode Store::UpdateMailbox(AccountId account, MailboxId mailbox, const MailboxPatch& patch) {
  if (patch.name && (!ValidName(*patch.name) || IsInbox(*patch.name))) {
    return MakeError(Errc::kInvalidArgument);
  }
  if (auto* up = Intercept(account); up != nullptr && patch.name) {
    // The rename upstream first; the rest of the patch is local (upstream does not keep it).
    if (auto ec = RenameMailboxUpstream(*this, *up, account, mailbox, *patch.name)) return ec;
    MailboxPatch rest = patch;
    rest.name.reset();
    return UpdateMailbox(account, mailbox, rest);
  }
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto name = MailboxName(txn, account, mailbox);
    if (!name) return name.error();
    bool rename = patch.name && *patch.name != *name;
    if (!rename && !patch.role && !patch.sort_order && !patch.subscribed) return {};
    auto modseq = rename ? BumpMessages(txn, account) : txn.Bump(account, Bit(DataType::kMailbox));
    if (!modseq) return modseq.error();
    if (rename) {
      if (auto ec = RenameInTxn(txn, account, mailbox, *patch.name, *modseq)) return ec;
    }
    return ApplyAttributes(txn, account, mailbox, patch, *modseq);
  });
}

ErrorCode Store::SetSubscribed(AccountId account, MailboxId mailbox, bool subscribed) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    if (auto ec = CheckMailbox(txn, account, mailbox)) return ec;
    auto modseq = txn.Bump(account, Bit(DataType::kMailbox));
    if (!modseq) return modseq.error();
    auto& q = txn.Stmt("UPDATE mailboxes SET subscribed = ? WHERE id = ?");
    q.Bind(1, subscribed ? 1 : 0).Bind(2, mailbox);
    if (auto ec = q.Run()) return ec;
    return txn.Log(account, DataType::kMailbox, mailbox, ChangeOp::kUpdated, *modseq);
  });
}

}  // namespace pushmail::store
