#pragma once
// The per-command argument parsers behind ParseRequest. Private to imap/protocol. Each reads
// all of a command's arguments and refuses leftovers.

#include "imap/protocol/args.h"
#include "imap/protocol/command.h"

namespace pushmail::imap::detail {

Parsed<Select> ParseSelect(args::Cursor& in, const ParseOptions& options);
Parsed<Create> ParseCreate(args::Cursor& in, const ParseOptions& options);
Parsed<List> ParseList(args::Cursor& in, const ParseOptions& options, bool lsub);
Parsed<Status> ParseStatus(args::Cursor& in, const ParseOptions& options);
Parsed<Notify> ParseNotify(args::Cursor& in, const ParseOptions& options);
Parsed<Append> ParseAppend(args::Cursor& in, const ParseOptions& options);
Parsed<Store> ParseStore(args::Cursor& in, const ParseOptions& options);
Parsed<Copy> ParseCopy(args::Cursor& in, const ParseOptions& options);
Parsed<Fetch> ParseFetch(args::Cursor& in, const ParseOptions& options, bool uid);

// A sequence-set atom.
Parsed<SequenceSet> SetArgument(const Token* t, const Limits& limits, bool allow_saved = true);

// The error for arguments left over.
Error Leftover();

}  // namespace pushmail::imap::detail
