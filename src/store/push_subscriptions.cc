// Web Push subscriptions: rows of their own, outside the change log (RFC 8620 7.2 gives
// PushSubscription no state).
#include "store/readers.h"
#include "store/store.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

std::string JoinTypes(const std::vector<std::string>& types) {
  std::string out;
  for (const auto& t : types) {
    if (!out.empty()) out += ',';
    out += t;
  }
  return out;
}

std::vector<std::string> SplitTypes(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    size_t comma = std::min(text.find(','), text.size());
    out.emplace_back(text.substr(0, comma));
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return out;
}

PushSubscription ReadRow(const sqlite::Statement& q) {
  PushSubscription s;
  s.id = q.Int(0);
  s.account = q.Int(1);
  s.device_client_id = q.Text(2);
  s.url = q.Text(3);
  s.p256dh = q.Text(4);
  s.auth = q.Text(5);
  s.verification_code = q.Text(6);
  s.verified = q.Int(7) != 0;
  if (!q.IsNull(8)) s.expires = q.Int(8);
  if (!q.IsNull(9)) s.types = SplitTypes(q.Text(9));
  return s;
}

void BindMutable(sqlite::Statement& q, int first, const PushSubscription& s) {
  q.Bind(first, s.verified ? 1 : 0);
  if (s.expires) {
    q.Bind(first + 1, *s.expires);
  } else {
    q.BindNull(first + 1);
  }
  if (s.types) {
    q.Bind(first + 2, JoinTypes(*s.types));
  } else {
    q.BindNull(first + 2);
  }
}

}  // namespace

Result<std::vector<PushSubscription>> Store::ListPushSubscriptions(
    std::optional<AccountId> account) {
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q = (*lease)->Prepare(
      "SELECT id, account_id, device_client_id, url, p256dh, auth, verification_code, verified, "
      "expires, types FROM push_subscriptions WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id");
  if (account) {
    q.Bind(1, *account);
  } else {
    q.BindNull(1);
  }
  std::vector<PushSubscription> out;
  for (;;) {
    auto row = q.Step();
    if (!row) return row.error();
    if (!*row) return out;
    out.push_back(ReadRow(q));
  }
}

Result<PushSubscription> Store::CreatePushSubscription(const PushSubscription& s,
                                                       size_t max_per_account) {
  PushSubscription made = s;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& count = txn.Stmt("SELECT count(*) FROM push_subscriptions WHERE account_id = ?");
    count.Bind(1, s.account);
    auto row = count.Step();
    if (!row) return row.error();
    int64_t existing = *row ? count.Int(0) : 0;
    count.Reset();
    if (existing >= static_cast<int64_t>(max_per_account)) {
      return MakeError(Errc::kLimitExceeded);
    }
    auto& q = txn.Stmt(
        "INSERT INTO push_subscriptions (account_id, device_client_id, url, p256dh, auth, "
        "verification_code, verified, expires, types) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    q.Bind(1, s.account).Bind(2, s.device_client_id).Bind(3, s.url).Bind(4, s.p256dh);
    q.Bind(5, s.auth).Bind(6, s.verification_code);
    BindMutable(q, 7, s);
    if (auto ec = q.Run()) return ec;
    made.id = txn.db().LastInsertRowId();
    return {};
  });
  if (ec) return ec;
  return made;
}

ErrorCode Store::UpdatePushSubscription(const PushSubscription& s) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt(
        "UPDATE push_subscriptions SET verified = ?, expires = ?, types = ? "
        "WHERE id = ? AND account_id = ?");
    BindMutable(q, 1, s);
    q.Bind(4, s.id).Bind(5, s.account);
    if (auto ec = q.Run()) return ec;
    return txn.db().Changes() == 0 ? MakeError(Errc::kNotFound) : ErrorCode();
  });
}

ErrorCode Store::DeletePushSubscription(AccountId account, PushSubscriptionId subscription) {
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt("DELETE FROM push_subscriptions WHERE id = ? AND account_id = ?");
    q.Bind(1, subscription).Bind(2, account);
    if (auto ec = q.Run()) return ec;
    return txn.db().Changes() == 0 ? MakeError(Errc::kNotFound) : ErrorCode();
  });
}

}  // namespace pushmail::store
