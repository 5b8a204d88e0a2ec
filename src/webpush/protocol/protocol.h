#pragma once
// The door to webpush/protocol: the pure rules of Web Push, below JMAP (PushSubscription/set
// checks keys and URLs with them) and below the sender. Message encryption (RFC 8291), VAPID
// (RFC 8292) and which push URLs are allowed (RFC 8030). No I/O.

#include "webpush/protocol/crypto.h"
#include "webpush/protocol/push_url.h"
#include "webpush/protocol/vapid.h"
