#pragma once
// The door to src/smtp: the SMTP server (inbound on --smtp, authenticated submission on
// --submission). The codec it speaks lives in smtp/protocol/protocol.h.
#include "smtp/server/server.h"
