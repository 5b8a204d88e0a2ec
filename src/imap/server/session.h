#pragma once
// One IMAP connection. Lives on one worker as a coroutine; every member is touched only there,
// except RequestStop and Abort, which post to it.
//
// Output goes through one queue and one writer at a time. During IDLE the session waits for
// the client's DONE while hub notifications, handled by a second coroutine on the same worker,
// bring the selected mailbox up to date and write the untagged responses.

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "hub/hub.h"
#include "imap/protocol/command.h"
#include "imap/protocol/reader.h"
#include "imap/server/change_reads.h"
#include "imap/server/compress.h"
#include "imap/server/selected.h"
#include "imap/server/server.h"
#include "net/blocking.h"
#include "net/listener.h"
#include "net/stream.h"

namespace pushmail::imap {

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(const Context& context, ChangeReads& reads, net::FailureCounter& auth_failures,
          boost::asio::ip::tcp::socket socket, size_t worker,
          std::optional<net::IpLimiter::Slot> slot, bool implicit_tls);
  ~Session();

  // Starts the session's coroutine on its worker.
  void Start();
  void RequestStop();  // thread-safe
  void Abort();        // thread-safe
  boost::asio::any_io_executor executor() { return stream_.executor(); }

 private:
  enum class State { kNotAuthenticated, kAuthenticated, kSelected, kLogout };

  // Greets, then serves commands.
  boost::asio::awaitable<void> Run();
  // The command loop, from the start or after IDLE; returns when the session hibernates or
  // ends (then it has closed the connection).
  boost::asio::awaitable<void> Serve();
  // Runs `work` as a coroutine of this session; an exception it throws is logged.
  void Spawn(boost::asio::awaitable<void> work);

  // I/O (session.cc).
  void Send(std::string_view text) { out_ += text; }
  void Tagged(const Request& r, std::string_view condition, std::string_view text);
  // The text of a NO for an internal failure of `what` ("Cannot store flags"), logged once with
  // its cause and counted. A full disk is [OVERQUOTA] (what Dovecot answers for ENOSPC: the
  // client keeps its data and may try again later); a read-only store or an upstream that did
  // not answer [UNAVAILABLE]; anything else [SERVERBUG] (RFC 5530).
  std::string Failure(const Request& r, std::string_view what, const ErrorCode& cause);
  boost::asio::awaitable<bool> Flush();
  // The next framed command, or nullopt when the connection is over.
  boost::asio::awaitable<std::optional<std::string>> NextCommand();
  boost::asio::awaitable<std::optional<std::string>> NextLine(net::Duration timeout);
  // Waits for input when none is in hand, then reads; false when the connection is over.
  boost::asio::awaitable<bool> Fill(net::Duration timeout);
  // Releases the input buffers and waits until the client sends something.
  boost::asio::awaitable<ErrorCode> WaitForInput(net::Duration timeout);
  // Reads what the client sent into in_ (inflating it under COMPRESS).
  boost::asio::awaitable<bool> ReadIn(net::Duration timeout);
  // Parses and runs one command; false when the session must end.
  boost::asio::awaitable<bool> Handle(const std::string& text);
  boost::asio::awaitable<void> Execute(const Request& r);
  bool Allowed(const Request& r);
  std::string Capabilities() const;
  // Runs store work (and password checks) on the blocking pool; resumes on this worker.
  template <class F>
  auto Blocking(F&& f) -> boost::asio::awaitable<std::invoke_result_t<F>> {
    co_return co_await net::OnPool(context_.blocking, std::forward<F>(f));
  }
  // Runs a store write of the logged-in account: on the upstream pool when the account is
  // bridged (its writes wait for the upstream server), else as Blocking.
  template <class F>
  auto Writing(F&& f) -> boost::asio::awaitable<std::invoke_result_t<F>> {
    boost::asio::thread_pool& pool =
        context_.store.WritesGoUpstream(account_) ? context_.upstream : context_.blocking;
    co_return co_await net::OnPool(pool, std::forward<F>(f));
  }

  // Hub: the subscription made at login.
  class HubLink : public hub::Subscriber {
   public:
    HubLink(Session& session, size_t worker, store::AccountId account)
        : Subscriber(worker, account), session_(session) {}

   private:
    void OnNotify() override { session_.OnNotify(); }
    void OnOverflow() override { session_.OnOverflow(); }
    Session& session_;
  };
  void OnNotify();
  void OnOverflow();
  // Takes the hub's pending events: marks the session dirty and remembers which mailboxes
  // changed (for NOTIFY) and whether the mailbox list may have.
  void Collect();
  // Whether changes may be written now, unasked: during IDLE, or with NOTIFY between commands.
  bool CanPushNow() const;
  // Waits until no push is being prepared or written.
  boost::asio::awaitable<void> WaitForPushes();
  // Brings the selected view up to date and queues what changed: when the hub said something
  // changed, or always with `force` (NOOP, CHECK, the start of IDLE).
  boost::asio::awaitable<void> Sync(bool force);

  // Commands: one file each.
  boost::asio::awaitable<void> Login(const Request& r);         // cmd_login.cc
  boost::asio::awaitable<void> Authenticate(const Request& r);  // cmd_authenticate.cc
  boost::asio::awaitable<void> LoggedIn(const Request& r, Result<store::AccountId> account,
                                        std::string login);       // cmd_login.cc
  boost::asio::awaitable<void> StartTls(const Request& r);        // cmd_starttls.cc
  void Enable(const Request& r);                                  // cmd_starttls.cc
  void Id(const Request& r);                                      // cmd_starttls.cc
  boost::asio::awaitable<void> Compress(const Request& r);        // cmd_starttls.cc
  boost::asio::awaitable<void> Select(const Request& r);          // cmd_select.cc
  boost::asio::awaitable<void> Unselect(const Request& r);        // cmd_select.cc (CLOSE too)
  boost::asio::awaitable<void> List(const Request& r);            // cmd_list.cc (LSUB too)
  boost::asio::awaitable<void> Status(const Request& r);          // cmd_status.cc
  boost::asio::awaitable<void> MailboxCommand(const Request& r);  // cmd_create.cc and others
  boost::asio::awaitable<void> Append(const Request& r);          // cmd_append.cc
  boost::asio::awaitable<void> Fetch(const Request& r);           // cmd_fetch.cc
  boost::asio::awaitable<void> Store(const Request& r);           // cmd_store.cc
  boost::asio::awaitable<void> Search(const Request& r);          // cmd_search.cc
  boost::asio::awaitable<void> Copy(const Request& r);            // cmd_copy.cc (MOVE too)
  boost::asio::awaitable<void> Expunge(const Request& r);         // cmd_expunge.cc
  // IDLE (cmd_idle.cc), started by Serve with idle_tag_ set (`woke` empty) or continued
  // after hibernation with what woke the session. True when it hibernated again: then no
  // coroutine of the session is left, and a wake-up (input, keepalive time, stop) continues.
  boost::asio::awaitable<bool> Idle(std::optional<ErrorCode> woke);
  void Hibernate(net::Duration wait);
  boost::asio::awaitable<void> Resume(ErrorCode woke);    // Idle, then Serve
  boost::asio::awaitable<void> Notify(const Request& r);  // cmd_notify.cc
  // NOTIFY's events for mailboxes other than the selected one (cmd_notify.cc).
  boost::asio::awaitable<void> NotifyOthers();

  // Helpers shared by commands.
  Result<store::MailboxId> FindMailboxId(std::string_view name);  // blocking
  bool utf8() const { return utf8_; }
  ParseOptions parse_options() const { return {limits_, utf8_}; }

  const Context& context_;
  ChangeReads& reads_;  // this worker's
  net::FailureCounter& auth_failures_;
  net::Stream stream_;
  std::optional<net::IpLimiter::Slot> slot_;
  bool implicit_tls_;
  Limits limits_;
  CommandReader reader_;
  boost::asio::steady_timer wakeup_;  // cancelled to wake a coroutine waiting on it

  std::string in_;   // received, not yet framed
  std::string out_;  // responses not yet written
  unsigned bad_commands_ = 0;
  unsigned commands_before_login_ = 0;
  bool stop_requested_ = false;
  bool reading_ = false;  // waiting for a command: safe to stop at once
  bool writing_ = false;  // a Flush is writing; others leave their output to it

  State state_ = State::kNotAuthenticated;
  store::AccountId account_ = 0;
  std::string login_;
  size_t worker_;
  std::unique_ptr<HubLink> link_;  // from login on
  bool utf8_ = false;              // UTF8=ACCEPT or IMAP4rev2 enabled
  bool condstore_ = false;         // CONDSTORE enabled (ENABLE, SELECT (CONDSTORE), or implied)
  bool qresync_ = false;           // QRESYNC enabled
  std::optional<SelectedView> selected_;
  std::unique_ptr<Deflate> deflate_;  // COMPRESS=DEFLATE is on

  // IDLE and NOTIFY.
  std::string idle_tag_;  // set by the IDLE command; Serve then idles until DONE
  std::chrono::steady_clock::time_point idle_give_up_;  // autologout time of this IDLE
  bool idling_ = false;
  bool executing_ = false;              // a command is running: NOTIFY pushes wait for its end
  bool notifying_ = false;              // a push coroutine is running
  std::optional<imap::Notify> notify_;  // NOTIFY SET in force
  bool notify_selected_ = false;        // it has a SELECTED group: push the selected mailbox
  std::set<store::MailboxId> changed_boxes_;  // since the last NotifyOthers
  bool mailbox_list_changed_ = false;
  std::vector<store::Mailbox> known_boxes_;  // for MailboxName / SubscriptionChange
  bool syncing_ = false;         // a Sync is running; Idle waits for it before answering DONE
  bool dirty_ = false;           // the hub said something changed since the last Sync
  uint64_t heard_push_seq_ = 0;  // of the latest hub event taken
};

}  // namespace pushmail::imap
