#include "jmap/server_fail.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <string>

#include "jmap/api.h"
#include "jmap/standard_methods.h"

namespace pushmail::jmap {

namespace {

std::atomic<uint64_t> server_errors{0};

// Logs and counts one error answered.
void Record(std::string_view method, std::string_view what, std::string_view cause) {
  server_errors.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("jmap: {}: {}: {}", method.empty() ? "?" : method, what, cause);
}

void Record(std::string_view method, std::string_view what, ErrorCode cause) {
  Record(
      method, what,
      cause.message() + " (" + cause.category().name() + ":" + std::to_string(cause.value()) + ")");
}

}  // namespace

MethodError ServerFail(std::string_view method, ErrorCode cause, std::string_view what) {
  Record(method, what, cause);
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
  return SetError("serverFail", what);
}

boost::json::object ServerFailSetError(const MethodContext& c, ErrorCode cause,
                                       std::string_view what) {
  return ServerFailSetError(c.method, cause, what);
}

uint64_t ServerErrorCount() { return server_errors.load(std::memory_order_relaxed); }

}  // namespace pushmail::jmap
