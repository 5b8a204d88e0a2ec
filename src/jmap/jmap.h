#pragma once
// The door to src/jmap: JMAP core and mail methods (RFC 8620, 8621) and push formats. Nothing
// here does network I/O; Api::Handle reads the store and so blocks (run it on the pool).
#include "jmap/api.h"
#include "jmap/blobs.h"
#include "jmap/ids.h"
#include "jmap/push.h"
#include "jmap/request.h"
#include "jmap/result_reference.h"
#include "jmap/server_fail.h"
#include "jmap/session_resource.h"
#include "jmap/websocket.h"
