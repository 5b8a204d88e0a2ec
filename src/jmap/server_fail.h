#pragma once
// The one way an internal failure (the store, the disk, randomness) becomes a JMAP error. Each
// is logged once, with the method and the cause, and counted for /metrics. Mapping a cause to
// something more telling than serverFail (a full disk to overQuota, say) belongs here and
// nowhere else.

#include <boost/json/object.hpp>
#include <cstdint>
#include <exception>
#include <string_view>

#include "base/result.h"
#include "jmap/result_reference.h"

namespace pushmail::jmap {

struct MethodContext;

// The method-level error for `cause`, met while `method` was doing `what` ("cannot read the
// account"). The client sees `what`, never the cause. Any thread.
MethodError ServerFail(std::string_view method, ErrorCode cause, std::string_view what);
MethodError ServerFail(const MethodContext& c, ErrorCode cause, std::string_view what);
// For an exception that reached Api (a bug of ours): "internal error".
MethodError ServerFail(std::string_view method, const std::exception& cause);

// The same for one object of a /set (RFC 8620 5.3): the SetError to put in notCreated,
// notUpdated or notDestroyed.
boost::json::object ServerFailSetError(std::string_view method, ErrorCode cause,
                                       std::string_view what);
boost::json::object ServerFailSetError(const MethodContext& c, ErrorCode cause,
                                       std::string_view what);

// How many internal failures ServerFail* have answered since the process started (the
// pushmail_jmap_server_errors_total counter). Any thread.
uint64_t ServerErrorCount();

}  // namespace pushmail::jmap
