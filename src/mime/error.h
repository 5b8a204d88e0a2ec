#pragma once
// Errors of the mime component.

#include <boost/system/error_code.hpp>

#include "base/result.h"

namespace pushmail::mime {

enum class Error {
  kUnknownEncoding = 1,  // a Content-Transfer-Encoding that DecodeBody cannot undo
};

const boost::system::error_category& MimeCategory();

}  // namespace pushmail::mime

template <>
struct boost::system::is_error_code_enum<pushmail::mime::Error> : std::true_type {};

namespace pushmail::mime {
inline ErrorCode make_error_code(Error e) {  // NOLINT: ADL hook
  return {static_cast<int>(e), MimeCategory()};
}
}  // namespace pushmail::mime
