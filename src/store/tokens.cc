// Bearer tokens: 32 random octets in base64url (43 characters), stored as their SHA-256. A
// plain hash is enough for 256-bit random secrets (nobody can guess one to test against it);
// Argon2id would only slow down every request.
#include <sodium.h>

#include "base/base64.h"
#include "base/clock.h"
#include "store/readers.h"
#include "store/store.h"
#include "store/writer.h"

namespace pushmail::store {
namespace {

constexpr size_t kTokenOctets = 32;
constexpr size_t kTokenChars = 43;

std::string TokenHash(std::string_view token) {
  std::string out(crypto_hash_sha256_BYTES, '\0');
  crypto_hash_sha256(reinterpret_cast<unsigned char*>(out.data()),
                     reinterpret_cast<const unsigned char*>(token.data()), token.size());
  return out;
}

bool WellFormed(std::string_view token) {
  if (token.size() != kTokenChars) return false;
  for (char c : token) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string NewToken() {
  unsigned char raw[kTokenOctets];
  randombytes_buf(raw, sizeof raw);
  std::string text = EncodeBase64(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
  sodium_memzero(raw, sizeof raw);
  while (!text.empty() && text.back() == '=') text.pop_back();
  for (char& c : text) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return text;
}

}  // namespace

Result<std::string> Store::CreateToken(AccountId account, int64_t expires_at) {
  if (sodium_init() < 0) return MakeError(Errc::kIo);
  std::string token = NewToken();
  std::string hash = TokenHash(token);
  int64_t now = UnixNow();
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& old = txn.Stmt("DELETE FROM access_tokens WHERE account_id = ? AND expires_at <= ?");
    old.Bind(1, account).Bind(2, now);
    if (auto ec = old.Run()) return ec;
    auto& q = txn.Stmt(
        "INSERT INTO access_tokens (hash, account_id, created_at, expires_at) "
        "SELECT ?, id, ?, ? FROM accounts WHERE id = ?");
    q.BindBlob(1, hash).Bind(2, now).Bind(3, expires_at).Bind(4, account);
    if (auto ec = q.Run()) return ec;
    return txn.db().Changes() == 0 ? MakeError(Errc::kNotFound) : ErrorCode();
  });
  if (ec) return ec;
  return token;
}

Result<AccountId> Store::FindToken(std::string_view token) {
  if (!WellFormed(token)) return MakeError(Errc::kNotFound);
  std::string hash = TokenHash(token);
  auto lease = readers_->Acquire();
  if (!lease) return lease.error();
  auto& q =
      (*lease)->Prepare("SELECT account_id FROM access_tokens WHERE hash = ? AND expires_at > ?");
  q.BindBlob(1, hash).Bind(2, UnixNow());
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  return q.Int(0);
}

ErrorCode Store::RevokeToken(std::string_view token) {
  if (!WellFormed(token)) return MakeError(Errc::kNotFound);
  std::string hash = TokenHash(token);
  return writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    auto& q = txn.Stmt("DELETE FROM access_tokens WHERE hash = ? AND expires_at > ?");
    q.BindBlob(1, hash).Bind(2, UnixNow());
    if (auto ec = q.Run()) return ec;
    return txn.db().Changes() == 0 ? MakeError(Errc::kNotFound) : ErrorCode();
  });
}

}  // namespace pushmail::store
