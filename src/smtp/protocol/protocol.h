#pragma once
// The SMTP codec (RFC 5321, 1870 SIZE, 2920 PIPELINING, 3030 CHUNKING, 3207 STARTTLS, 4954 AUTH,
// 6152 8BITMIME, 6531 SMTPUTF8, 2034 ENHANCEDSTATUSCODES). Pure: no I/O, no store, no clock.
// Everything here takes bytes from the network, so nothing throws: a parse either yields a
// value or the reply the server should send.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace pushmail::smtp {

// One SMTP reply. `lines` has one entry per line; a multi-line reply is written with "code-"
// on all but the last line. `enhanced` (RFC 3463, e.g. "5.5.2") is prefixed to each line's
// text when not empty.
struct Reply {
  int code = 0;
  std::string enhanced;
  std::vector<std::string> lines;

  static Reply Make(int code, std::string_view enhanced, std::string_view text);
  // The reply as it goes on the wire, CRLF after every line.
  std::string Format() const;
  bool ok() const { return code >= 200 && code < 400; }
};

// A parse result: the value or the reply that refuses the input.
template <class T>
struct Parsed {
  std::variant<T, Reply> v;
  Parsed(T value) : v(std::move(value)) {}      // NOLINT: implicit by design
  Parsed(Reply reply) : v(std::move(reply)) {}  // NOLINT
  explicit operator bool() const { return v.index() == 0; }
  T& operator*() { return std::get<0>(v); }
  T* operator->() { return &std::get<0>(v); }
  const Reply& error() const { return std::get<1>(v); }
};

enum class Verb {
  kHelo,
  kEhlo,
  kMail,
  kRcpt,
  kData,
  kBdat,
  kRset,
  kNoop,
  kQuit,
  kVrfy,
  kExpn,
  kHelp,
  kStartTls,
  kAuth,
  kUnknown,
};

// A command line split into its verb and the rest. `argument` views into the parsed line.
struct Command {
  Verb verb = Verb::kUnknown;
  std::string_view argument;  // after the verb and one space; may be empty
};

// Parses one command line given without its line ending. Refuses NUL, CR or other control
// characters (500 5.5.2), an empty line (500 5.5.2). An unknown verb yields kUnknown, not an
// error, so the session can count it. Verbs are case-insensitive.
Parsed<Command> ParseCommand(std::string_view line);

// A mailbox address. The null reverse-path "<>" has both parts empty.
struct Address {
  std::string local;   // as sent, quotes removed, quoted-pairs unescaped
  std::string domain;  // as sent; an address literal keeps its brackets ("[127.0.0.1]")
  bool IsNull() const { return local.empty() && domain.empty(); }
  bool IsUtf8() const;  // any octet >= 0x80
  // "local@domain", with the local part quoted again when it needs quoting; "" for null.
  std::string ToString() const;
};

enum class BodyType { k7Bit, k8BitMime, kBinaryMime };

struct MailFrom {
  Address path;  // may be null
  std::optional<uint64_t> size;
  BodyType body = BodyType::k7Bit;
  bool smtputf8 = false;
};

struct RcptTo {
  Address path;  // never null; "<postmaster>" gives local "postmaster", domain ""
};

// Argument of MAIL: "FROM:<path> [params]". Accepts the RFC 5321 grammar (source routes are
// parsed and dropped), SIZE=, BODY=7BIT|8BITMIME|BINARYMIME, SMTPUTF8, AUTH=. A space after
// the colon is tolerated. Errors: 501 5.5.4 syntax, 501 5.1.7 bad sender address, 555 5.5.4
// unknown parameter, 553 5.6.7 UTF-8 address without SMTPUTF8. Limits: local part 64 octets,
// domain 255, path 256 (RFC 5321 4.5.3.1).
Parsed<MailFrom> ParseMailFrom(std::string_view argument);

// Argument of RCPT: "TO:<path> [params]". Errors as MAIL with 501 5.1.3 for a bad address.
// `smtputf8` says whether the transaction's MAIL had SMTPUTF8.
Parsed<RcptTo> ParseRcptTo(std::string_view argument, bool smtputf8);

// Argument of HELO/EHLO: a domain or address literal. 501 5.5.4 when missing or malformed.
Parsed<std::string> ParseHelo(std::string_view argument);

struct Bdat {
  uint64_t size = 0;
  bool last = false;
};
// Argument of BDAT: "<size> [LAST]". 501 5.5.4 otherwise.
Parsed<Bdat> ParseBdat(std::string_view argument);

struct Auth {
  std::string mechanism;                        // upper-cased
  std::optional<std::string> initial_response;  // still base64; "=" means empty
};
// Argument of AUTH: "<mechanism> [initial-response]". 501 5.5.4 when malformed.
Parsed<Auth> ParseAuth(std::string_view argument);

struct PlainCredentials {
  std::string authzid;
  std::string authcid;
  std::string password;
};
// Decodes a SASL PLAIN response (RFC 4616) from base64. 501 5.5.2 when not valid base64 or not
// "authzid NUL authcid NUL passwd".
Parsed<PlainCredentials> DecodePlain(std::string_view base64);

// Splits a byte stream into command lines. A line ends at LF; a CR right before it is dropped.
// Lines longer than `max_line` octets (line ending included) are skipped to their end and
// reported once as kTooLong.
class LineSplitter {
 public:
  explicit LineSplitter(size_t max_line) : max_line_(max_line) {}

  enum class Status { kNeedMore, kLine, kTooLong };
  struct Result {
    Status status = Status::kNeedMore;
    std::string_view line;  // with kLine: the line without its ending, a view into `input`
    size_t consumed = 0;    // octets of `input` used up; the caller drops them
  };
  // Looks for the next line in `input`, which holds everything not yet consumed.
  Result Next(std::string_view input);

 private:
  size_t max_line_;
  bool skipping_ = false;  // inside an over-long line, dropping octets until its LF
};

// Decodes the body of DATA. Only CRLF "." CRLF ends it (after a line that itself ended in
// CRLF, or at the very start): a "." line delimited by a bare LF or a bare CR does not, so no
// SMTP smuggling. Dot-stuffing is undone. A bare LF is stored as CRLF. Past a limit the reader
// keeps consuming to the end marker but stores nothing more, and Verdict() says why.
class DataReader {
 public:
  DataReader(size_t max_size, size_t max_line);

  // Consumes octets up to and including the end marker; returns how many were used. Once
  // done(), consumes nothing.
  size_t Consume(std::string_view input);
  bool done() const { return done_; }

  // After done(): nullopt when the message is acceptable, else the reply refusing it:
  // 552 5.3.4 over max_size, 554 5.6.0 a NUL octet, 552 5.6.0 a line over max_line.
  std::optional<Reply> Verdict() const;

  std::string& message() { return message_; }  // the decoded message, CRLF line ends

 private:
  void FinishLine(std::string_view line, bool crlf);

  size_t max_size_;
  size_t max_line_;
  std::string message_;
  std::string line_;        // the current, unfinished line (its first max_line_+3 octets)
  size_t line_length_ = 0;  // the current line's real length
  size_t size_ = 0;         // the decoded size so far, stored or not (stops past max_size_)
  char last_octet_ = '\n';  // the last octet consumed
  bool done_ = false;
  bool prev_crlf_ = true;  // the line before the current one ended in CRLF (or none yet)
  bool too_big_ = false;
  bool too_long_ = false;
  bool has_nul_ = false;
};

}  // namespace pushmail::smtp
