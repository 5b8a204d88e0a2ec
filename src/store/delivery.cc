// Delivery: one blob, and per recipient an email in the chosen mailbox with a fresh UID.
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <algorithm>
#include <atomic>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <future>
#include <optional>
#include <set>

#include "base/assert.h"
#include "base/strings.h"
#include "store/blob_file.h"
#include "store/keywords.h"
#include "store/ops.h"
#include "store/store.h"
#include "store/upstream_first.h"
#include "store/writer.h"

namespace pushmail::store {

namespace {

// The SHA-256 of `bytes`, its 32 octets in a string; the algorithm is fetched once (SHA256()
// fetches it at every call).
std::string Sha256(std::string_view bytes) {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  std::string digest(SHA256_DIGEST_LENGTH, '\0');
  PM_RELEASE_ASSERT(md != nullptr && EVP_Digest(bytes.data(), bytes.size(),
                                                reinterpret_cast<unsigned char*>(digest.data()),
                                                nullptr, md, nullptr) == 1,
                    "SHA-256 failed");
  return digest;
}

// Microseconds since the epoch, each call later than the one before in this process.
uint64_t UniqueMicros() {
  static std::atomic<uint64_t> last{0};
  auto now = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count());
  uint64_t seen = last.load();
  uint64_t next = 0;
  do {
    next = std::max(now, seen + 1);
  } while (!last.compare_exchange_weak(seen, next));
  return next;
}

}  // namespace

std::string ContentBlobId(std::string_view bytes) {
  std::string id = "G";
  AppendHex(id, Sha256(bytes));
  return id;
}

std::string DeliveryBlobId(std::string_view bytes) {
  uint64_t micros = UniqueMicros();
  std::string stamp(8, '\0');  // big-endian, so that the hex sorts as the number does
  for (int i = 0; i < 8; ++i) stamp[i] = static_cast<char>(micros >> (56 - 8 * i));
  std::string id = "G";
  AppendHex(id, stamp);
  AppendHex(id, Sha256(bytes).substr(0, SHA256_DIGEST_LENGTH - stamp.size()));
  return id;
}

// When the id is stored already (an upload of the same bytes, see ContentBlobId), the earlier
// copy wins and the new one is left unreferenced.
ErrorCode PutBlob(Txn& txn, const std::string& id, const BlobLocation& where) {
  auto& q = txn.Stmt("INSERT OR IGNORE INTO blobs (id, size, segment, offset) VALUES (?, ?, ?, ?)");
  q.Bind(1, id).Bind(2, static_cast<int64_t>(where.length));
  q.Bind(3, static_cast<int64_t>(where.segment)).Bind(4, static_cast<int64_t>(where.offset));
  return q.Run();
}

namespace {

// The thread of the first message this one refers to that the account has, else a new one.
Result<ThreadId> FindOrCreateThread(Txn& txn, AccountId account, const mime::Summary& s,
                                    bool& created) {
  created = false;
  auto& find =
      txn.Stmt("SELECT thread_id FROM message_ids WHERE account_id = ? AND message_id = ?");
  for (const auto* list : {&s.in_reply_to, &s.references}) {
    for (const auto& ref : *list) {
      find.Reset();
      find.Bind(1, account).Bind(2, ref);
      auto row = find.Step();
      if (!row) return row.error();
      if (*row) return find.Int(0);
    }
  }
  auto& insert = txn.Stmt("INSERT INTO threads (account_id) VALUES (?)");
  insert.Bind(1, account);
  if (auto ec = insert.Run()) return ec;
  created = true;
  return txn.db().LastInsertRowId();
}

ErrorCode RememberMessageId(Txn& txn, AccountId account, const std::string& message_id,
                            ThreadId thread) {
  if (message_id.empty()) return {};
  auto& q = txn.Stmt(
      "INSERT OR IGNORE INTO message_ids (account_id, message_id, thread_id) VALUES (?, ?, ?)");
  q.Bind(1, account).Bind(2, message_id).Bind(3, thread);
  return q.Run();
}

// The mailbox of `account` a delivery lands in: the one asked for, else the one with the role.
Result<MailboxId> TargetMailbox(Txn& txn, AccountId account, const Incoming& in) {
  if (in.mailbox) {
    if (auto ec = CheckMailbox(txn, account, *in.mailbox)) return ec;
    return *in.mailbox;
  }
  auto& q = txn.Stmt("SELECT id FROM mailboxes WHERE account_id = ? AND role = ?");
  q.Bind(1, account).Bind(2, in.mailbox_role);
  auto row = q.Step();
  if (!row) return row.error();
  if (!*row) return MakeError(Errc::kNotFound);
  return q.Int(0);
}

// A message made ready off the writer thread: its blob written (not yet synced) and its
// summary serialised.
struct Prepared {
  Incoming in;
  std::string blob;
  std::optional<BlobLocation> where;  // none for a blob stored before (Incoming::stored_blob)
  std::string summary_json;
  EmailSearchKeys keys;
};

ErrorCode InsertEmail(Txn& txn, const Prepared& p, Delivered& d) {
  const Incoming& in = p.in;
  auto& e = txn.Stmt(
      "INSERT INTO emails (account_id, blob_id, thread_id, size, received_at, message_id, "
      "summary, modseq, sent_at, has_attachment, from_sort, to_sort, subject_sort) "
      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  e.Bind(1, d.account).Bind(2, p.blob).Bind(3, d.thread);
  e.Bind(4, static_cast<int64_t>(in.message.size())).Bind(5, in.received_at);
  e.Bind(6, in.summary.message_id).Bind(7, p.summary_json).Bind(8, d.modseq);
  if (p.keys.sent_at) {
    e.Bind(9, *p.keys.sent_at);
  } else {
    e.BindNull(9);
  }
  e.Bind(10, int64_t{p.keys.has_attachment}).Bind(11, p.keys.from).Bind(12, p.keys.to);
  e.Bind(13, p.keys.subject);
  if (auto ec = e.Run()) return ec;
  d.email = txn.db().LastInsertRowId();
  std::string keywords = JoinKeywords(in.keywords);
  if (auto ec = AddMembership(txn, d.account, d.mailbox, d.uid, d.email, keywords, d.modseq)) {
    return ec;
  }
  for (MailboxId more : in.more_mailboxes) {
    if (more == d.mailbox) continue;
    if (auto ec = CheckMailbox(txn, d.account, more)) return ec;
    auto uid = NextUid(txn, more, d.modseq);
    if (!uid) return uid.error();
    if (auto ec = AddMembership(txn, d.account, more, *uid, d.email, keywords, d.modseq)) {
      return ec;
    }
  }
  return {};
}

ErrorCode DeliverOne(Txn& txn, const Prepared& p, Delivered& d) {
  const Incoming& in = p.in;
  auto modseq = BumpMessages(txn, d.account);
  if (!modseq) return modseq.error();
  d.modseq = *modseq;
  bool new_thread = false;
  auto thread = FindOrCreateThread(txn, d.account, in.summary, new_thread);
  if (!thread) return thread.error();
  d.thread = *thread;
  auto mailbox = TargetMailbox(txn, d.account, in);
  if (!mailbox) return mailbox.error();
  d.mailbox = *mailbox;
  auto uid = NextUid(txn, d.mailbox, d.modseq);
  if (!uid) return uid.error();
  d.uid = *uid;
  if (auto ec = InsertEmail(txn, p, d)) return ec;
  if (in.upstream) {
    if (auto ec = RecordUpstream(txn, d.mailbox, *in.upstream, d.uid)) return ec;
  }
  if (auto ec = RememberMessageId(txn, d.account, in.summary.message_id, d.thread)) return ec;
  auto thread_op = new_thread ? ChangeOp::kCreated : ChangeOp::kUpdated;
  if (auto ec = txn.Log(d.account, DataType::kEmail, d.email, ChangeOp::kCreated, d.modseq)) {
    return ec;
  }
  return txn.Log(d.account, DataType::kThread, d.thread, thread_op, d.modseq);
}

Result<Prepared> Prepare(BlobFile& blobs, Incoming incoming) {
  Prepared p;
  p.keys = SearchKeysOf(incoming.summary);
  if (!incoming.stored_blob.empty()) {
    p.blob = incoming.stored_blob;
  } else {
    p.blob = DeliveryBlobId(incoming.message);
    auto where = blobs.Append(incoming.message);
    if (!where) return where.error();
    p.where = *where;
  }
  p.summary_json = boost::json::serialize(mime::ToJson(incoming.summary));
  p.in = std::move(incoming);
  return p;
}

// On the writer: the blob row and one email per distinct recipient, appended to `delivered`.
ErrorCode Apply(Txn& txn, Prepared& p, std::vector<Delivered>& delivered) {
  if (p.where) {
    if (auto ec = PutBlob(txn, p.blob, *p.where)) return ec;
  }
  std::set<AccountId> seen;
  for (AccountId account : p.in.recipients) {
    if (!seen.insert(account).second) continue;
    Delivered& d = delivered.emplace_back();
    d.account = account;
    if (auto ec = DeliverOne(txn, p, d)) return ec;
  }
  return {};
}

}  // namespace

void Store::Deliver(Incoming incoming, std::function<void(Result<std::vector<Delivered>>)> done) {
  if (incoming.mailbox && incoming.recipients.size() == 1 &&
      Intercept(incoming.recipients.front()) != nullptr) {
    // No caller delivers into a mailbox asynchronously: DeliverAll does APPEND and creates,
    // and a bridged account's go upstream there (it blocks on upstream, which this must not).
    done(MakeError(Errc::kUnavailable));
    return;
  }
  // Hashing, serialising and writing the bytes happen here, on the caller's thread and in
  // parallel with other deliveries; the writer only syncs the blob file before it commits.
  auto prepared = Prepare(*blobs_, std::move(incoming));
  if (!prepared) {
    done(prepared.error());
    return;
  }
  struct State {
    Prepared p;
    std::vector<Delivered> delivered;
  };
  auto state = std::make_shared<State>(State{std::move(*prepared), {}});
  writer_->Submit(
      [state](Txn& txn) -> ErrorCode {
        state->delivered.clear();
        return Apply(txn, state->p, state->delivered);
      },
      [state, done = std::move(done)](ErrorCode ec) {
        if (ec) {
          done(ec);
        } else {
          done(std::move(state->delivered));
        }
      });
}

Result<std::vector<Delivered>> Store::DeliverAll(std::vector<Incoming> messages) {
  size_t upstream = 0;
  UpstreamWrites* up = nullptr;
  for (const auto& m : messages) {
    if (m.mailbox && m.recipients.size() == 1) {
      if (auto* u = Intercept(m.recipients.front())) {
        up = u;
        ++upstream;
      }
    }
  }
  if (up != nullptr) {
    // A bridged account's APPEND or create: upstream's APPEND, mirrored back by the bridge.
    if (upstream != messages.size()) return MakeError(Errc::kUnavailable);
    std::vector<Delivered> out;
    if (auto ec = AppendUpstream(out, *this, *up, messages)) return ec;
    return out;
  }
  std::vector<Prepared> prepared;
  prepared.reserve(messages.size());
  for (auto& m : messages) {
    auto p = Prepare(*blobs_, std::move(m));
    if (!p) return p.error();
    prepared.push_back(std::move(*p));
  }
  std::vector<Delivered> delivered;
  ErrorCode ec = writer_->SubmitAndWait([&](Txn& txn) -> ErrorCode {
    delivered.clear();
    for (auto& p : prepared) {
      if (auto ec = Apply(txn, p, delivered)) return ec;
    }
    return {};
  });
  if (ec) return ec;
  return delivered;
}

Result<std::vector<Delivered>> Store::DeliverSync(Incoming incoming) {
  std::promise<Result<std::vector<Delivered>>> promise;
  auto future = promise.get_future();
  Deliver(std::move(incoming),
          [&promise](Result<std::vector<Delivered>> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace pushmail::store
