#include "imap/server/change_reads.h"

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "net/blocking.h"

namespace pushmail::imap {

namespace asio = boost::asio;

namespace {

// Finished reads kept for sessions still waking from the same commit; beyond this many
// mailboxes the finished ones are forgotten.
constexpr size_t kKeepMailboxes = 256;
// Accounts whose latest commit is remembered; forgetting only costs a read.
constexpr size_t kKeepAccounts = 4096;

}  // namespace

uint64_t ChangeReads::Heard(store::AccountId account, uint64_t push_seq) {
  auto found = heard_.find(account);
  // A later commit heard of implies this one: commits reach a worker in order.
  if (found != heard_.end() && found->second.push_seq >= push_seq) return found->second.tick;
  if (found == heard_.end() && heard_.size() >= kKeepAccounts) heard_.clear();
  HeardOf& h = heard_[account];
  h = {push_seq, Tick()};
  return h.tick;
}

std::shared_ptr<ChangeReads::Pending> ChangeReads::Start(store::MailboxId mailbox,
                                                         store::ModSeq since,
                                                         const asio::any_io_executor& executor) {
  if (latest_.size() >= kKeepMailboxes) {
    std::erase_if(latest_, [](const auto& entry) { return entry.second->done; });
  }
  auto read = std::make_shared<Pending>();
  read->since = since;
  read->began = Tick();
  read->finished =
      std::make_unique<asio::steady_timer>(executor, asio::steady_timer::time_point::max());
  latest_[mailbox] = read;
  ++store_reads_;
  return read;
}

asio::awaitable<Result<ChangeReads::Delta>> ChangeReads::Read(store::MailboxId mailbox,
                                                              store::ModSeq since, uint64_t heard) {
  auto found = latest_.find(mailbox);
  std::shared_ptr<Pending> read;
  if (found != latest_.end() && found->second->since == since && found->second->began > heard) {
    read = found->second;
  }
  if (read && !read->done) {
    // Another session of this worker is reading just this: wait for its answer.
    boost::system::error_code ignored;
    co_await read->finished->async_wait(asio::redirect_error(asio::use_awaitable, ignored));
  }
  if (read) co_return read->result;

  auto executor = co_await asio::this_coro::executor;
  read = Start(mailbox, since, executor);
  auto result = co_await net::OnPool(
      blocking_, [this, mailbox, since] { return store_.ReadMailboxChanges(mailbox, since); });
  if (result) {
    read->result = std::make_shared<const store::Store::MailboxDelta>(std::move(*result));
  } else {
    read->result = result.error();
  }
  read->done = true;
  read->finished->cancel();  // wakes the waiters: their handlers are queued already
  read->finished.reset();    // a finished read holds no timer (nor its executor)
  co_return read->result;
}

}  // namespace pushmail::imap
