#pragma once
// Everything pushmail knows about a message's structure comes from here; this is the only
// place GMime appears. Thread-safe: any thread may call Parse.

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pushmail::mime {

struct Address {
  std::string name;   // display name, decoded to UTF-8; may be empty
  std::string email;  // addr-spec
};

// One node of the MIME tree, numbered as IMAP numbers sections ("1", "1.2", ...; the
// top-level part of a single-part message is "1").
struct Part {
  std::string part_id;
  std::string type = "text";  // lower case
  std::string subtype = "plain";
  std::vector<std::pair<std::string, std::string>> params;  // Content-Type parameters
  std::string id;                                           // Content-ID
  std::string description;                                  // Content-Description
  std::string encoding;     // Content-Transfer-Encoding, lower case; empty when absent
  std::string disposition;  // "inline", "attachment" or empty
  std::string filename;
  std::string charset;
  std::string language;
  std::string location;
  int64_t size = 0;   // octets of the body as transferred (still encoded)
  int64_t lines = 0;  // lines of the body as transferred
  std::vector<Part> children;
};

struct Summary {
  std::string message_id;  // without angle brackets
  std::vector<std::string> in_reply_to;
  std::vector<std::string> references;
  std::string subject;  // decoded to UTF-8
  std::vector<Address> from, sender, reply_to, to, cc, bcc;
  std::optional<int64_t> sent_at;  // the Date: header, Unix seconds
  std::string preview;             // up to kPreviewLength characters of text, whitespace folded
  bool has_attachment = false;
  Part body;
};

inline constexpr size_t kPreviewLength = 256;

// Parses `message` (RFC 5322 + MIME). Never fails: what GMime cannot make sense of is left
// empty, and the caller still stores the raw bytes.
Summary Parse(std::string_view message);

boost::json::value ToJson(const Summary& summary);
// The inverse of ToJson; fields missing from `json` are left at their defaults.
Summary FromJson(const boost::json::value& json);

}  // namespace pushmail::mime
