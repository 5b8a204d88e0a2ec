#pragma once
// The door to imap/protocol: the pure IMAP codec (RFC 9051 IMAP4rev2 and RFC 3501 IMAP4rev1
// grammar, with the extensions pushmail serves), shared by the server and the bridge. No I/O,
// no store, no clock; nothing here throws on network input.
//
//   reader.h    CommandReader: frames commands and literals out of a byte stream
//   parser.h    ParseCommand: tag, command name, token tree
//   command.h   ParseRequest: typed arguments of every command
//   fetch.h     FETCH items and their response names
//   search.h    SEARCH programs
//   sequence.h  sequence sets: parse, test, expand, format
//   mailbox.h   mailbox names: modified UTF-7, UTF-8, INBOX
//   datetime.h  date and date-time
//   format.h    response primitives: strings, flag lists, status lines
//   limits.h    Limits;  error.h  Error and Parsed<T>

#include "imap/protocol/command.h"
#include "imap/protocol/datetime.h"
#include "imap/protocol/error.h"
#include "imap/protocol/fetch.h"
#include "imap/protocol/flags.h"
#include "imap/protocol/format.h"
#include "imap/protocol/limits.h"
#include "imap/protocol/mailbox.h"
#include "imap/protocol/parser.h"
#include "imap/protocol/reader.h"
#include "imap/protocol/search.h"
#include "imap/protocol/sequence.h"
