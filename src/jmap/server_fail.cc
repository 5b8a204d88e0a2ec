#include "jmap/server_fail.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <string>

#include "base/internal_errors.h"
#include "jmap/api.h"
#include "jmap/standard_methods.h"
#include "store/error.h"

namespace pushmail::jmap {

namespace {

std::atomic<uint64_t> server_errors{0};

// Logs and counts one error answered.
void Record(std::string_view method, std::string_view what, std::string_view cause) {
  server_errors.fetch_add(1, std::memory_order_relaxed);
  CountInternalError(Surface::kJmap);
  spdlog::error("jmap: {}: {}: {}", method.empty() ? "?" : method, what, cause);
}

void Record(std::string_view method, std::string_view what, ErrorCode cause) {
  Record(
      method, what,
      cause.message() + " (" + cause.category().name() + ":" + std::to_string(cause.value()) + ")");
}

constexpr std::string_view kDiskFull = "the server's disk is full; try again later";
constexpr std::string_view kReadOnly =
    "the server stopped writing after a disk error; try again later";

}  // namespace

MethodError ServerFail(std::string_view method, ErrorCode cause, std::string_view what) {
  Record(method, what, cause);
  if (cause == store::StoreErrc::kDiskFull) return {"serverFail", std::string(kDiskFull)};
  if (cause == store::StoreErrc::kReadOnly) return {"serverFail", std::string(kReadOnly)};
  return {"serverFail", std::string(what)};
}

MethodError ServerFail(std::string_view method, const std::exception& cause) {
  Record(method, "internal error", cause.what());
  return {"serverFail", "internal error"};
}

MethodError ServerFail(const MethodContext& c, ErrorCode cause, std::string_view what) {
  return ServerFail(c.method, cause, what);
}

boost::json::object ServerFailSetError(std::string_view method, ErrorCode cause,
                                       std::string_view what) {
  Record(method, what, cause);
  // RFC 8620 5.3 overQuota: the write would pass a limit, here the disk's. The client keeps the
  // object and may try again, as an IMAP client does after NO [OVERQUOTA].
  if (cause == store::StoreErrc::kDiskFull) return SetError("overQuota", kDiskFull);
  if (cause == store::StoreErrc::kReadOnly) return SetError("serverFail", kReadOnly);
  return SetError("serverFail", what);
}

boost::json::object ServerFailSetError(const MethodContext& c, ErrorCode cause,
                                       std::string_view what) {
  return ServerFailSetError(c.method, cause, what);
}

uint64_t ServerErrorCount() { return server_errors.load(std::memory_order_relaxed); }

}  // namespace pushmail::jmap
