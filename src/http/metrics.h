#pragma once
// Counters for /metrics, in the Prometheus text format. Thread-safe: every worker updates
// them with relaxed atomics, and rendering reads a slightly blurred snapshot.

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace pushmail::http {

// A value from outside the HTTP server (hub, store, other protocols), rendered as given.
struct Sample {
  std::string name;  // e.g. "pushmail_store_commits_total"
  std::string type;  // "counter" or "gauge"
  std::string help;
  std::string labels;  // e.g. "kind=\"imap\"" or empty
  double value = 0;
};

class Metrics {
 public:
  enum class Kind { kHttp = 0, kEventSource = 1, kWebSocket = 2 };

  void Opened(Kind kind) { open_[Index(kind)].fetch_add(1, std::memory_order_relaxed); }
  void Closed(Kind kind) { open_[Index(kind)].fetch_sub(1, std::memory_order_relaxed); }
  void Responded(unsigned status);
  // `events` StateChanges written in one write that took `latency` from the hub's delivery to
  // the worker until the write completed.
  void Pushed(unsigned events, std::chrono::steady_clock::duration latency);

  // WebSocket: StateChanges pushed, messages received, connections failed for a bad frame.
  void WebSocketPushed(unsigned events) { ws_pushes_.fetch_add(events, std::memory_order_relaxed); }
  void WebSocketMessage() { ws_messages_.fetch_add(1, std::memory_order_relaxed); }
  void WebSocketFailed() { ws_failures_.fetch_add(1, std::memory_order_relaxed); }

  std::string Render(const std::vector<Sample>& extra) const;

  // Upper bounds of the push latency buckets, in microseconds.
  static constexpr std::array<uint64_t, 12> kBucketsUs = {
      50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000, 250000, 1000000};

 private:
  static size_t Index(Kind kind) { return static_cast<size_t>(kind); }

  std::array<std::atomic<int64_t>, 3> open_{};
  std::array<std::atomic<uint64_t>, 6> responses_{};  // by status class: 1xx .. 5xx, other
  std::atomic<uint64_t> pushes_{0};
  std::atomic<uint64_t> ws_pushes_{0};
  std::atomic<uint64_t> ws_messages_{0};
  std::atomic<uint64_t> ws_failures_{0};
  std::array<std::atomic<uint64_t>, kBucketsUs.size()> buckets_{};  // not cumulative
  std::atomic<uint64_t> latency_count_{0};
  std::atomic<uint64_t> latency_sum_us_{0};
};

}  // namespace pushmail::http
