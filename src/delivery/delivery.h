#pragma once
// The door to src/delivery: local delivery from inside the server (JMAP submission, vacation
// replies) and what follows any delivery, the vacation responder (RFC 3834, RFC 8621 8). SMTP
// intake and the JMAP API both use it; it knows the store and MIME, no sockets.
#include "delivery/local.h"
#include "delivery/vacation.h"
