#pragma once

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace pushmail {

using ErrorCode = boost::system::error_code;

// A value or an error. Code that handles network input returns these instead of throwing.
template <class T>
using Result = boost::system::result<T, ErrorCode>;

// Errors shared by every component. Components with errors of their own define their own enum
// and category next to their code (see store/error.h).
enum class Errc {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kLimitExceeded,
  kIo,
  kUnavailable,
};

const boost::system::error_category& BaseCategory();

inline ErrorCode MakeError(Errc e) { return {static_cast<int>(e), BaseCategory()}; }

}  // namespace pushmail

template <>
struct boost::system::is_error_code_enum<pushmail::Errc> : std::true_type {};

namespace pushmail {
inline ErrorCode make_error_code(Errc e) { return MakeError(e); }  // NOLINT: ADL hook
}  // namespace pushmail
