#include "net/workers.h"

#include <pthread.h>

#include <boost/asio/executor_work_guard.hpp>

#include "base/log.h"

namespace pushmail::net {

Workers::Workers(unsigned count) {
  if (count == 0) count = std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) {
    // Hint 1: each context is run by exactly one thread, so Asio can skip its locking.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
  }
}

Workers::~Workers() {
  Stop();
  Join();
}

std::vector<boost::asio::any_io_executor> Workers::Executors() {
  std::vector<boost::asio::any_io_executor> out;
  out.reserve(contexts_.size());
  for (auto& c : contexts_) out.emplace_back(c->get_executor());
  return out;
}

size_t Workers::Next() { return next_.fetch_add(1, std::memory_order_relaxed) % size(); }

void Workers::Start() {
  for (auto& c : contexts_) {
    threads_.emplace_back([ctx = c.get(), n = threads_.size()] {
      pthread_setname_np(pthread_self(), ("worker-" + std::to_string(n)).c_str());
      auto guard = boost::asio::make_work_guard(*ctx);
      for (;;) {
        try {
          ctx->run();
          return;
        } catch (const std::exception& e) {
          // Sessions catch their own exceptions; reaching here is a bug, but one bad
          // handler must not take every connection on this worker down with it.
          spdlog::error("worker: uncaught exception: {}", e.what());
        }
      }
    });
  }
}

void Workers::Stop() {
  for (auto& c : contexts_) c->stop();
}

void Workers::Join() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

}  // namespace pushmail::net
