#pragma once
// Runs blocking work (store reads, MIME parsing, password hashing) on the blocking pool and
// resumes the calling coroutine on its own worker with the result.

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <type_traits>

namespace pushmail::net {

template <class F>
auto OnPool(boost::asio::thread_pool& pool, F&& f)
    -> boost::asio::awaitable<std::invoke_result_t<F>> {
  co_return co_await boost::asio::co_spawn(
      pool, [&f]() -> boost::asio::awaitable<std::invoke_result_t<F>> { co_return f(); },
      boost::asio::use_awaitable);
}

}  // namespace pushmail::net
