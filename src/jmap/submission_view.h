#pragma once
// Internal to src/jmap: EmailSubmission objects as JMAP shows them (RFC 8621 7).

#include <boost/json/object.hpp>

#include "store/types.h"

namespace pushmail::jmap {

boost::json::object SubmissionJson(const store::EmailSubmission& s);

}  // namespace pushmail::jmap
