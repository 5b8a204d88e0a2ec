#pragma once
// The door to src/client: the commands of the `pushmail` binary (login, watch, ls, read, send,
// sync, rules...) and the Failure they throw. Below it: the JMAP client, the offline cache (on
// src/sqlite, not the server's store) and the pure rules and HTML-to-text pieces.
#include "client/commands.h"
#include "client/error.h"
