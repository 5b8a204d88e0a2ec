#pragma once
// An allocator for Asio operations that is not Asio's recycling one. Asio keeps a freed
// operation's block in a per-thread cache and lends it to the next operation that fits, so a
// small wait that lasts (an idle connection's) may hold a block a larger operation left, such
// as a connect's. An operation bound to OwnAllocator (boost::asio::bind_allocator) gets a
// block of its own size from the heap instead. For waits that last, not for hot paths.

#include <cstddef>
#include <memory>

namespace pushmail::net {

template <class T>
struct OwnAllocator {
  using value_type = T;
  OwnAllocator() noexcept = default;
  template <class U>
  OwnAllocator(const OwnAllocator<U>& /*other*/) noexcept {}  // NOLINT(google-explicit-constructor)
  T* allocate(std::size_t n) { return std::allocator<T>().allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
  template <class U>
  bool operator==(const OwnAllocator<U>& /*other*/) const noexcept {
    return true;
  }
};

}  // namespace pushmail::net
