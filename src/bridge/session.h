#pragma once
// Internal to the bridge: the upstream session of one bridged account. It lives on one worker:
// every member below is touched only there, except `stopping_` and `running_`.
//
// One connection does everything: login, LIST, then a sync of every mailbox (SELECT, the
// upstream UIDs, the new messages, the changed flags), then it watches: NOTIFY SET for every
// personal mailbox when upstream offers NOTIFY, else IDLE on INBOX with a STATUS round over the
// other mailboxes every `[bridge] status_round_s`. Any change it hears of makes it sync that
// mailbox again, which is incremental (CONDSTORE's HIGHESTMODSEQ and CHANGEDSINCE when offered;
// else the UID range past the last mirrored UID, and the UIDs that are gone).

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <vector>

#include "bridge/bridge.h"
#include "bridge/connection.h"
#include "net/blocking.h"

namespace pushmail::bridge {

// True on a thread while the bridge mirrors upstream into the store: those writes must not be
// sent upstream again (Bridges::Intercepts).
bool Mirroring();
class MirrorScope {
 public:
  MirrorScope();
  ~MirrorScope();
  MirrorScope(const MirrorScope&) = delete;
  MirrorScope& operator=(const MirrorScope&) = delete;

 private:
  bool outer_;
};

// A local client's write to a bridged account, to be done upstream first (writes.cc). The
// client's thread keeps a reference and reads the results once `done` is set.
struct Write {
  enum class Kind {
    kKeywords,
    kRemove,
    kCopy,
    kAppend,
    kCreateMailbox,
    kRenameMailbox,
    kDeleteMailbox
  };
  Kind kind = Kind::kKeywords;
  store::MailboxId mailbox = 0;  // kAppend: the target; kCopy: the source
  std::vector<store::Uid> uids;  // local
  store::KeywordOp op = store::KeywordOp::kReplace;
  store::Keywords keywords;  // kKeywords; kAppend: the flags
  store::MailboxId to = 0;   // kCopy
  bool move = false;         // kCopy
  std::string message;       // kAppend
  int64_t received_at = 0;   // kAppend
  std::string name;          // kCreateMailbox, kRenameMailbox: the local name ("/" between levels)
  // Results, set before `done`: kCopy: the source and mirrored destination UIDs, paired
  // (empty without COPYUID); kAppend: the mirrored message's UID in `destination`.
  std::vector<store::Uid> source, destination;
  std::promise<ErrorCode> done;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(Context& context, BridgeEntry entry, store::AccountId account,
          const boost::asio::any_io_executor& executor);
  void Start();
  void Stop();   // thread-safe: log out at the next chance
  void Abort();  // thread-safe: close the connection now
  // Thread-safe: wakes the session if it hibernates in an IDLE that is due to be renewed (or
  // a STATUS round that is due). Bridges' ticker calls it, so that an idle session keeps no
  // timer of its own.
  void Poke();
  bool running() const { return running_.load(); }
  store::AccountId account() const { return account_; }
  const BridgeEntry& entry() const { return entry_; }  // immutable: any thread
  // What it reported last; guarded by the Bridges' states mutex (Bridges::Report).
  std::string& state() { return state_; }
  // Hands `write` to the session's worker; thread-safe. Its future gets kUnavailable at once
  // when upstream is not connected and in sync, or when the connection ends before it is done.
  std::future<ErrorCode> Submit(const std::shared_ptr<Write>& write);

 private:
  // An upstream mailbox and the local one that mirrors it.
  struct Mailbox {
    std::string name;  // as upstream spells it on the wire (modified UTF-7)
    store::MailboxId local = 0;
    bool dirty = true;     // a change was heard of: sync it
    bool renamed = false;  // `name` is new (NOTIFY's OLDNAME): rename the local one at the relist
    // What the last SELECT or STATUS said, to tell a change in the STATUS round.
    uint32_t uidvalidity = 0, uidnext = 0, messages = 0;
    int64_t modseq = 0;
  };
  struct Selected {
    uint32_t uidvalidity = 0, uidnext = 0, exists = 0;
    int64_t modseq = 0;  // 0: NOMODSEQ or no CONDSTORE
  };

  void Report(const std::string& state);  // to Context::report
  // "alice@example.test <- imap://host:port" for the log; made when logged, not kept.
  std::string Who() const { return entry_.account + " <- " + entry_.upstream; }
  void Spawn(bool resume);  // a coroutine running Run(resume)
  void Hibernate();
  bool Prepare();  // checks the URL, makes the TLS context; false: the bridge cannot work
  boost::asio::awaitable<void> Run(bool resume);
  // One connection's life; returns why it ended.
  boost::asio::awaitable<ErrorCode> Serve();
  boost::asio::awaitable<ErrorCode> Login();
  // LIST, and the local mailboxes made to match: a new upstream mailbox gets a local one (by
  // role or name, created when missing), a renamed one has its local one renamed, and the local
  // mirror of one gone upstream is deleted. A no-op when nothing changed.
  boost::asio::awaitable<ErrorCode> ListMailboxes();
  boost::asio::awaitable<ErrorCode> Watch();
  // Enters IDLE and sets hibernating_ (the coroutines end; Hibernate waits), or leaves it at
  // once when something is to be done already.
  boost::asio::awaitable<ErrorCode> Idle();
  // After the wait ended: reads what upstream sent, then hibernates again or leaves IDLE.
  boost::asio::awaitable<ErrorCode> ContinueIdle();
  boost::asio::awaitable<ErrorCode> LeaveIdle();
  bool MustLeaveIdle() const;
  boost::asio::awaitable<ErrorCode> StatusRound();
  boost::asio::awaitable<ErrorCode> Logout();

  // sync.cc
  boost::asio::awaitable<ErrorCode> Select(Mailbox& box, Selected& info);
  boost::asio::awaitable<ErrorCode> Sync(Mailbox& box);
  boost::asio::awaitable<Result<std::vector<store::Uid>>> SearchUids();
  boost::asio::awaitable<ErrorCode> FetchNew(Mailbox& box, uint32_t uidvalidity,
                                             const std::vector<store::Uid>& uids);
  // UID FETCH `set` with bodies, and delivers the messages with UIDs above `above` in one commit.
  boost::asio::awaitable<ErrorCode> FetchAndDeliver(Mailbox& box, uint32_t uidvalidity,
                                                    const std::string& set, store::Uid above);
  boost::asio::awaitable<ErrorCode> SyncFlags(Mailbox& box, const store::UpstreamMailbox& known,
                                              int64_t changed_since);
  // writes.cc: one write upstream, then the sync that mirrors it. Fulfils the write's promise;
  // returns an error only when the connection failed.
  boost::asio::awaitable<ErrorCode> Apply(Write& write);
  // Apply's halves: the commands for `write` sent upstream (`box` selected, `set` its upstream
  // UIDs), keeping a COPYUID or APPENDUID code; then the sync that mirrors the result and the
  // mirrored UIDs of what upstream made (`pairs`: the upstream UIDs of write.source; for an
  // append, the largest upstream UID mirrored before it).
  boost::asio::awaitable<Result<Tagged>> Send(Write& write, Mailbox& box, const std::string& set,
                                              std::string& uid_code);
  boost::asio::awaitable<Result<Tagged>> SendAppend(Write& write, Mailbox& box,
                                                    const Connection::Untagged& on_response);
  // CREATE, RENAME or DELETE upstream, then LIST (ListMailboxes makes the local ones match).
  boost::asio::awaitable<ErrorCode> ApplyMailbox(Write& write);
  boost::asio::awaitable<ErrorCode> Finish(Write& write, Mailbox& box, const std::string& code,
                                           const std::vector<store::Uid>& pairs);
  void FailWrites();
  // Marks what an unsolicited response says changed.
  void Unsolicited(const Response& r);
  Mailbox* FindByName(std::string_view name);
  // The local name of upstream mailbox `upstream` (modified UTF-7, `delimiter` between levels).
  std::string LocalName(std::string_view upstream, char delimiter) const;
  Mailbox* FindLocal(store::MailboxId local);

  // Store work of the mirror: on the bridge's pool, and not sent upstream again (MirrorScope).
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F>> Blocking(F f) {
    co_return co_await net::OnPool(context_.blocking, [&f] {
      MirrorScope scope;
      return f();
    });
  }

  Context& context_;
  BridgeEntry entry_;
  store::AccountId account_;
  boost::asio::any_io_executor executor_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
  std::unique_ptr<Connection> conn_;
  std::vector<Mailbox> mailboxes_;  // INBOX first
  Mailbox* selected_ = nullptr;
  bool notify_ = false;     // NOTIFY SET is in force on this connection
  bool condstore_ = false;  // CONDSTORE enabled on this connection
  bool esearch_ = false;
  bool relist_ = false;       // upstream's mailboxes changed (NOTIFY): LIST them again
  char delimiter_ = 0;        // upstream's hierarchy delimiter, from LIST
  bool waiting_ = false;      // in a wait that Stop may cancel
  bool hibernating_ = false;  // in IDLE with no coroutine: Hibernate's wait holds the session
  ErrorCode wake_;            // how that wait ended
  std::string idle_tag_;
  std::chrono::steady_clock::time_point idle_until_;  // when IDLE is to be renewed
  std::chrono::steady_clock::time_point next_round_;  // the next STATUS round (no NOTIFY)
  bool synced_ = false;                               // this connection got through its first sync
  boost::asio::steady_timer* backoff_ = nullptr;      // Run's timer while it waits to reconnect
  std::atomic<bool> stopping_{false};
  std::atomic<bool> running_{false};
  bool failed_ = false;  // upstream rejected the login: no retry
  // Waiting for Watch to send them; a vector, because an empty deque still holds a block.
  std::vector<std::shared_ptr<Write>> writes_;
  std::string state_;  // see state()
};

}  // namespace pushmail::bridge
