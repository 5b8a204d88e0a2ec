#pragma once
// The door to src/net: workers, listeners, streams with deadlines and STARTTLS, TLS setup.
#include "net/blocking.h"
#include "net/endpoint.h"
#include "net/listener.h"
#include "net/sessions.h"
#include "net/stream.h"
#include "net/tls.h"
#include "net/tls_socket.h"
#include "net/workers.h"
