#pragma once
// Counts the failures that came from inside the server (a store or system error, not the
// client's input) by the protocol that answered them, for /metrics
// (`pushmail_internal_errors_total{protocol=...}`). Whoever counts one also logs it, once, with
// its cause. Thread-safe and lock-free: any thread may count.

#include <array>
#include <atomic>
#include <cstdint>
#include <string_view>

namespace pushmail {

enum class Surface { kSmtp, kImap, kJmap, kBridge, kCount };

inline constexpr std::array<std::string_view, static_cast<size_t>(Surface::kCount)> kSurfaceNames =
    {"smtp", "imap", "jmap", "bridge"};

namespace internal {
inline std::array<std::atomic<uint64_t>, static_cast<size_t>(Surface::kCount)> internal_errors{};
}  // namespace internal

inline void CountInternalError(Surface surface) {
  internal::internal_errors[static_cast<size_t>(surface)].fetch_add(1, std::memory_order_relaxed);
}

inline uint64_t InternalErrors(Surface surface) {
  return internal::internal_errors[static_cast<size_t>(surface)].load(std::memory_order_relaxed);
}

}  // namespace pushmail
