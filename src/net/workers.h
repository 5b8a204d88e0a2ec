#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace pushmail::net {

// N event loops, each on its own thread. A connection is placed on one and stays there.
class Workers {
 public:
  explicit Workers(unsigned count);  // 0: one per core
  ~Workers();                        // Stop() and Join()
  Workers(const Workers&) = delete;
  Workers& operator=(const Workers&) = delete;

  size_t size() const { return contexts_.size(); }
  boost::asio::io_context& context(size_t i) { return *contexts_[i]; }
  std::vector<boost::asio::any_io_executor> Executors();
  // Round-robin choice for a new connection. Thread-safe.
  size_t Next();

  void Start();
  void Stop();  // every loop returns as soon as it can
  void Join();

 private:
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

}  // namespace pushmail::net
