// Account writes: create (with the default mailboxes), delete, change password.
#include "base/clock.h"
#include "store/password.h"
#include "store/recipient_cache.h"
#include "store/store.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

ErrorCode CreateDefaultMailboxes(Txn& txn, AccountId account, ModSeq modseq) {
  // UIDVALIDITY only needs to differ from any earlier mailbox of the same name; the clock in
  // seconds plus the position does, and stays within 32 bits until 2106.
  auto base = static_cast<uint32_t>(UnixNow());
  int64_t order = 0;
  for (const auto& [name, role] : kDefaultMailboxes) {
    auto& q = txn.Stmt(
        "INSERT INTO mailboxes (account_id, name, role, sort_order, uidvalidity, highestmodseq) "
        "VALUES (?, ?, ?, ?, ?, ?)");
    q.Bind(1, account).Bind(2, name).Bind(3, role).Bind(4, order);
    q.Bind(5, static_cast<int64_t>(base + order)).Bind(6, modseq);
    if (auto ec = q.Run()) return ec;
    ++order;
    auto id = txn.db().LastInsertRowId();
    if (auto ec = txn.Log(account, DataType::kMailbox, id, ChangeOp::kCreated, modseq)) return ec;
  }
  return {};
}

// The identity of the login (JMAP Identity/get lists it; it cannot be deleted).
ErrorCode CreateDefaultIdentity(Txn& txn, AccountId account, std::string_view login,
                                ModSeq modseq) {
  auto& q = txn.Stmt("INSERT INTO identities (account_id, email, may_delete) VALUES (?, ?, 0)");
  q.Bind(1, account).Bind(2, login);
  if (auto ec = q.Run()) return ec;
  return txn.Log(account, DataType::kIdentity, txn.db().LastInsertRowId(), ChangeOp::kCreated,
                 modseq);
}

ErrorCode InsertAccount(Txn& txn, std::string_view login, const std::string& hash, AccountId& id) {
  auto& q = txn.Stmt(
      "INSERT INTO accounts (login, password_hash, created_at) VALUES (?, ?, ?) "
      "ON CONFLICT DO NOTHING");
  q.Bind(1, login).Bind(2, hash).Bind(3, UnixNow());
  if (auto ec = q.Run()) return ec;
  if (txn.db().Changes() == 0) return MakeError(Errc::kAlreadyExists);
  id = txn.db().LastInsertRowId();
  auto& a = txn.Stmt("INSERT INTO addresses (address, account_id) VALUES (?, ?)");
  a.Bind(1, login).Bind(2, id);
  return a.Run();
}

}  // namespace

Result<AccountId> Store::CreateAccount(std::string_view login, std::string_view password,
                                       HashCost cost) {
  auto ids = CreateAccounts({std::string(login)}, password, cost);
  if (!ids) return ids.error();
  return ids->front();
}

Result<std::vector<AccountId>> Store::CreateAccounts(const std::vector<std::string>& logins,
                                                     std::string_view password, HashCost cost,
                                                     std::string* taken) {
  std::vector<std::string> hashes;
  hashes.reserve(logins.size());
  for (size_t i = 0; i < logins.size(); ++i) {
    auto hash = HashPassword(password, cost);
    if (!hash) return hash.error();
    hashes.push_back(std::move(*hash));
  }
  std::vector<AccountId> ids;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    ids.clear();
    for (size_t i = 0; i < logins.size(); ++i) {
      AccountId id = 0;
      if (auto ec = InsertAccount(txn, logins[i], hashes[i], id)) {
        if (taken && ec == MakeError(Errc::kAlreadyExists)) *taken = logins[i];
        return ec;
      }
      auto modseq = txn.Bump(id, Bit(DataType::kMailbox) | Bit(DataType::kIdentity));
      if (!modseq) return modseq.error();
      if (auto ec = CreateDefaultMailboxes(txn, id, *modseq)) return ec;
      if (auto ec = CreateDefaultIdentity(txn, id, logins[i], *modseq)) return ec;
      ids.push_back(id);
    }
    return {};
  });
  if (ec) return ec;
  return ids;
}

ErrorCode Store::DeleteAccount(std::string_view login) {
  recipients_->Clear();
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt("DELETE FROM accounts WHERE login = ?");
    q.Bind(1, login);
    if (auto ec = q.Run()) return ec;
    if (txn.db().Changes() == 0) return MakeError(Errc::kNotFound);
    // Blobs are shared between accounts: drop only those no email or upload refers to any
    // more (an upload's row would otherwise fail the delete on its foreign key).
    return txn
        .Stmt(
            "DELETE FROM blobs WHERE id NOT IN (SELECT blob_id FROM emails) "
            "AND id NOT IN (SELECT blob_id FROM uploads)")
        .Run();
  });
}

ErrorCode Store::SetPassword(std::string_view login, std::string_view password, HashCost cost) {
  auto hash = HashPassword(password, cost);
  if (!hash) return hash.error();
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt("UPDATE accounts SET password_hash = ? WHERE login = ?");
    q.Bind(1, *hash).Bind(2, login);
    if (auto ec = q.Run()) return ec;
    if (txn.db().Changes() == 0) return MakeError(Errc::kNotFound);
    // A new password ends every session the old one opened.
    auto& t = txn.Stmt(
        "DELETE FROM access_tokens WHERE account_id = (SELECT id FROM accounts WHERE login = ?)");
    t.Bind(1, login);
    return t.Run();
  });
}

}  // namespace pushmail::store
