#pragma once
// The bridge: a bridged account is a local account whose source of truth is an upstream IMAP
// server. One upstream session per bridged account watches upstream (NOTIFY when offered, else
// IDLE on INBOX and a slow STATUS round for the other mailboxes) and mirrors it into the store,
// so every local client (JMAP, EventSource, WebSocket, IMAP IDLE) is pushed its changes.
// docs/bridge.md has the design.
//
// Bridges are configured in DATA/bridges.json (mode 0600: it holds upstream passwords), written
// by `pushmaild bridge add|del` and read by `pushmaild serve` at start and whenever it is
// replaced (inotify on DATA). The server writes each bridge's state to DATA/bridges.state.

#include <array>
#include <atomic>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <vector>

#include "base/config.h"
#include "base/result.h"
#include "bridge/url.h"
#include "net/workers.h"
#include "store/store.h"

namespace pushmail::bridge {

class Session;

struct BridgeEntry {
  std::string account;   // the local account's login
  std::string upstream;  // imap://HOST:PORT or imaps://HOST:PORT
  std::string user;      // upstream login
  std::string password;  // upstream password
  std::string ca_file;   // imaps: PEM file of trusted CAs; empty: the system's
};

// The bridges of the data folder `data`; empty when it has none. Errors: the file exists but
// cannot be read or parsed.
Result<std::vector<BridgeEntry>> LoadBridges(const std::string& data);
// Replaces them, atomically (a temporary file renamed over the old), with mode 0600.
ErrorCode SaveBridges(const std::string& data, const std::vector<BridgeEntry>& entries);

// The state of each bridged account (by local login) as the server last wrote it in
// DATA/bridges.state: "connecting", "running", "reconnecting: WHY", "failed: WHY" or "stopped".
// Empty when no server wrote it yet. Errors: the file exists but cannot be read or parsed.
Result<std::map<std::string, std::string>> LoadBridgeStates(const std::string& data);
// Replaces them, atomically (not fsynced: the server writes them again when it starts).
ErrorCode SaveBridgeStates(const std::string& data,
                           const std::map<std::string, std::string>& states);

struct Context {
  const Config& config;
  store::Store& store;
  net::Workers& workers;
  boost::asio::thread_pool& blocking;  // store calls and MIME parsing run here
  // Hears each session's state (see LoadBridgeStates); any thread. May be empty.
  std::function<void(Session& session, const std::string& state)> report{};
};

class Session;

// The running bridges of one server process. It is also the store's UpstreamWrites: a local
// client's write to a bridged account is handed to that account's session, which does it
// upstream, mirrors the result, and only then lets the store's write go on.
class Bridges : public store::UpstreamWrites {
 public:
  // `context.blocking` is not used: the sessions' store work runs on a pool of the bridge's
  // own, so that clients' writes blocking the shared pool while they wait for upstream can
  // never starve the sync that completes them.
  explicit Bridges(Context context);
  ~Bridges() override;  // Stop() must have ended every session first (see Active)
  Bridges(const Bridges&) = delete;
  Bridges& operator=(const Bridges&) = delete;

  // Starts one session per entry of DATA/bridges.json, each on its own worker, and watches
  // DATA for a new bridges.json (Reload). Entries whose local account is gone are logged and
  // skipped. Returns how many started.
  size_t Start();
  // Reads DATA/bridges.json again: sessions of entries that are gone or changed are stopped,
  // new or changed ones started. Thread-safe; blocks on the store (FindAccount).
  void Reload();
  // Asks every session to log out and end, and stops watching DATA; thread-safe.
  void Stop();
  // Closes every session's connection now (after Stop, when they did not end in time).
  void Abort();
  // Sessions still running.
  size_t Active() const;

  // store::UpstreamWrites; any thread. Waits for upstream at most [bridge] write_timeout_s;
  // callers run them on a pool of their own (Store::WritesGoUpstream).
  bool Intercepts(store::AccountId account) override;
  ErrorCode StoreKeywords(store::AccountId account, store::MailboxId mailbox,
                          const std::vector<store::Uid>& uids, store::KeywordOp op,
                          const store::Keywords& keywords) override;
  ErrorCode RemoveMessages(store::AccountId account, store::MailboxId mailbox,
                           const std::vector<store::Uid>& uids) override;
  ErrorCode CopyMessages(store::AccountId account, store::MailboxId from,
                         const std::vector<store::Uid>& uids, store::MailboxId to, bool move,
                         store::CopyResult& out) override;
  ErrorCode AppendMessage(store::AccountId account, store::MailboxId mailbox,
                          const store::Incoming& message, store::Delivered& out) override;
  ErrorCode CreateMailbox(store::AccountId account, std::string_view name) override;
  ErrorCode RenameMailbox(store::AccountId account, store::MailboxId mailbox,
                          std::string_view new_name) override;
  ErrorCode DeleteMailbox(store::AccountId account, store::MailboxId mailbox) override;

 private:
  Session* Find(store::AccountId account);
  void StartOne(BridgeEntry entry);  // mutex_ held
  void WatchData();                  // re-arms the inotify read; on watcher_'s executor
  // Records a session's state (kept by the session); the file is written on pool_, changes
  // that come while a write is queued going with it (1,000 sessions starting write it a few
  // times, not 2,000). It lists the sessions of by_account_ and the entries in unstarted_.
  void Report(Session& session, const std::string& state);
  void ScheduleStates();  // states_mutex_ held
  void WriteStates();
  // Every few seconds, pokes every session (Session::Poke): one timer for all of them.
  void Tick();

  boost::asio::thread_pool pool_{2};
  Context context_;
  mutable std::shared_mutex mutex_;                  // guards the two below
  std::vector<std::shared_ptr<Session>> sessions_;   // stopped ones too, until destruction
  std::map<store::AccountId, Session*> by_account_;  // the current ones
  std::mutex states_mutex_;                       // guards the sessions' states and the two below
  std::map<std::string, std::string> unstarted_;  // entries with no session, and why
  bool states_pending_ = false;                   // a WriteStates is queued on pool_
  std::mutex states_file_mutex_;                  // held by WriteStates
  std::unique_ptr<boost::asio::posix::stream_descriptor> watcher_;  // inotify on DATA
  std::array<char, 4096> events_{};                                 // watcher_'s reads
  std::unique_ptr<boost::asio::steady_timer> ticker_;               // see Tick
  std::atomic<bool> stopped_{false};
};

}  // namespace pushmail::bridge
