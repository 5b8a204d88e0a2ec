#pragma once
// Typed arguments of every command pushmail serves, parsed from a Command's tokens.
//
// Mailbox names come back in pushmail's internal form (UTF-8, "INBOX" upper case; mailbox.h).
// APPEND message data are views into the command text: keep the text alive while using them.
// A parse either yields the Request or the Error to answer (tagged with the command's tag).
// Session-state checks (authenticated? selected? QRESYNC enabled?) are the server's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "imap/protocol/datetime.h"
#include "imap/protocol/error.h"
#include "imap/protocol/fetch.h"
#include "imap/protocol/limits.h"
#include "imap/protocol/parser.h"
#include "imap/protocol/search.h"
#include "imap/protocol/sequence.h"

namespace pushmail::imap {

struct ParseOptions {
  Limits limits;
  // UTF8=ACCEPT or IMAP4rev2 is enabled: mailbox names are UTF-8 rather than modified UTF-7.
  bool utf8 = false;
};

// CAPABILITY NOOP LOGOUT STARTTLS IDLE NAMESPACE CHECK CLOSE UNSELECT, and EXPUNGE without UID.
struct NoArguments {};

struct Login {
  std::string user;
  std::string password;
};

struct Authenticate {
  std::string mechanism;  // upper case
  // SASL-IR (RFC 4959): the initial response, still base64 (canonical); "" for "=" (empty).
  std::optional<std::string> initial_response;
};

struct Enable {
  std::vector<std::string> capabilities;  // upper case, as listed
};

struct Id {
  // nullopt for "ID NIL". Values may be NIL (nullopt). RFC 2971 bounds: 30 pairs, field names
  // 30 octets, values 1024 octets; more is BAD.
  std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> params;
};

struct Compress {
  std::string mechanism;  // upper case ("DEFLATE")
};

// SELECT / EXAMINE (Request::verb tells which).
struct Select {
  std::string mailbox;
  bool condstore = false;  // (CONDSTORE), RFC 7162 3.1.8
  struct Qresync {
    uint32_t uidvalidity = 0;
    uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    std::optional<SequenceSet> known_seqs;      // seq-match-data: message numbers ...
    std::optional<SequenceSet> known_seq_uids;  // ... and their UIDs, same count
  };
  std::optional<Qresync> qresync;  // (QRESYNC (...)), RFC 7162 3.2.5
};

// CREATE mailbox [(USE (\Drafts ...))] (RFC 6154 special-use, may be ignored).
struct Create {
  std::string mailbox;
  std::vector<std::string> special_use;  // as sent ("\Drafts")
};

// DELETE, SUBSCRIBE, UNSUBSCRIBE.
struct MailboxArgument {
  std::string mailbox;
};

struct Rename {
  std::string from;
  std::string to;
};

// LIST (basic and LIST-EXTENDED, RFC 5258/5819/6154) and LSUB.
struct List {
  std::string reference;              // decoded like a mailbox name; may be empty
  std::vector<std::string> patterns;  // decoded; at least one; "" asks for the delimiter
  bool extended = false;              // selection options or several patterns or RETURN
  // Selection options.
  bool subscribed = false;
  bool remote = false;
  bool recursive_match = false;
  bool special_use = false;
  // Return options.
  bool return_subscribed = false;
  bool return_children = false;
  bool return_special_use = false;
  std::vector<std::string> return_status;  // STATUS items (RFC 5819), upper case; empty: none
  bool return_status_requested = false;
};

// STATUS items: MESSAGES UIDNEXT UIDVALIDITY UNSEEN DELETED SIZE RECENT HIGHESTMODSEQ
// APPENDLIMIT MAILBOXID, upper case, as listed.
struct Status {
  std::string mailbox;
  std::vector<std::string> items;
};

struct AppendMessage {
  std::vector<std::string> flags;
  std::optional<DateTime> internal_date;
  std::string_view data;  // the literal's octets, a view into the command text
  bool binary = false;    // sent as literal8 ("~{n}"), RFC 3516: may hold NUL
};

// APPEND, with several messages for MULTIAPPEND (RFC 3502).
struct Append {
  std::string mailbox;
  std::vector<AppendMessage> messages;  // at least one
};

struct Store {
  SequenceSet set;
  enum class Mode { kReplace, kAdd, kRemove } mode = Mode::kReplace;  // FLAGS, +FLAGS, -FLAGS
  bool silent = false;                                                // .SILENT
  std::vector<std::string> flags;
  std::optional<uint64_t> unchanged_since;  // (UNCHANGEDSINCE n), RFC 7162 3.1.3
};

// COPY / MOVE (Request::verb tells which).
struct Copy {
  SequenceSet set;
  std::string mailbox;
};

// UID EXPUNGE set (RFC 4315 / 9051).
struct UidExpunge {
  SequenceSet set;
};

struct Fetch {
  SequenceSet set;
  std::vector<FetchItem> items;  // the server adds UID for UID FETCH, MODSEQ with CHANGEDSINCE
  std::optional<uint64_t> changed_since;  // (CHANGEDSINCE n), RFC 7162 3.1.4
  bool vanished = false;                  // (VANISHED), RFC 7162 3.2.6; UID FETCH only
};

// NOTIFY (RFC 5465).
struct Notify {
  enum Event : uint32_t {
    kMessageNew = 1 << 0,
    kMessageExpunge = 1 << 1,
    kFlagChange = 1 << 2,
    kAnnotationChange = 1 << 3,
    kMailboxName = 1 << 4,
    kSubscriptionChange = 1 << 5,
    kMailboxMetadataChange = 1 << 6,
    kServerMetadataChange = 1 << 7,
  };
  enum class Filter {
    kSelected,
    kSelectedDelayed,
    kInboxes,
    kPersonal,
    kSubscribed,
    kSubtree,
    kMailboxes
  };
  struct Group {
    Filter filter = Filter::kSelected;
    std::vector<std::string> mailboxes;        // kSubtree, kMailboxes: decoded names
    uint32_t events = 0;                       // Event bits; 0 for NONE
    std::vector<FetchItem> message_new_items;  // MessageNew (fetch-att ...)
  };
  bool none = false;    // NOTIFY NONE
  bool status = false;  // SET (STATUS)
  std::vector<Group> groups;
};

using Arguments = std::variant<NoArguments, Login, Authenticate, Enable, Id, Compress, Select,
                               Create, MailboxArgument, Rename, List, Status, Append, Store, Copy,
                               UidExpunge, Fetch, Search, Notify>;

struct Request {
  std::string tag;
  Verb verb = Verb::kNoop;
  bool uid = false;
  Arguments args;  // the alternative `verb` implies (see each struct)
};

// Reads the arguments of `command`. Errors are tagged with the command's tag; BAD for wrong
// arity, syntax and limits; NO [BADCHARSET] for an unsupported SEARCH charset.
Parsed<Request> ParseRequest(const Command& command, const ParseOptions& options);

// ParseCommand then ParseRequest.
Parsed<Request> ParseRequest(std::string_view text, const ParseOptions& options);

// A line sent in answer to an AUTHENTICATE "+" (read in raw line mode): nullopt when the client
// cancels with "*", else the decoded octets. BAD (untagged; the server tags it) for a line
// that is not canonical base64.
Parsed<std::optional<std::string>> ParseSaslResponse(std::string_view line);

// Whether a line read in raw mode during IDLE is "DONE" (any case).
bool IsIdleDone(std::string_view line);

}  // namespace pushmail::imap
