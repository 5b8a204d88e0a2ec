// Core/echo (RFC 8620 4): answers with its arguments unchanged.
#include "jmap/api.h"

namespace pushmail::jmap {

MethodResult CoreEcho(MethodContext&, const boost::json::object& args) { return {args, {}}; }

}  // namespace pushmail::jmap
