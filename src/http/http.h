#pragma once
// The door to src/http: the HTTPS server for JMAP and push.
#include "http/metrics.h"
#include "http/server.h"
