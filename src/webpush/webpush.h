#pragma once
// The door to webpush: the Web Push sender (a hub subscriber that pushes each StateChange to
// the verified PushSubscriptions) and its HTTP client. It sits above jmap, whose PushObserver
// it implements; the pure rules below jmap are in webpush/protocol.

#include "webpush/client.h"
#include "webpush/protocol/protocol.h"
#include "webpush/sender.h"
