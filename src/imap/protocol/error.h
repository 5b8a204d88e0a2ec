#pragma once
// Parse results of the IMAP codec. Network input never throws: a parse yields either the value or
// an Error that says which response the server owes the client.

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace pushmail::imap {

// A refusal. The session answers "<tag> BAD [<code>] <text>" (or NO when `no` is set), and
// "* BAD ..." when `tag` is empty because no valid tag could be read.
struct Error {
  std::string tag;  // empty: untagged
  std::string
      code;  // response code without brackets ("TOOBIG", "BADCHARSET (UTF-8)"); may be empty
  std::string text;  // human-readable, one line, no CR/LF
  bool no = false;   // the response is NO rather than BAD (e.g. an unsupported SEARCH charset)

  // The response line as it goes on the wire, CRLF included.
  std::string Format() const;
};

inline Error Bad(std::string text) { return Error{{}, {}, std::move(text), false}; }
inline Error Bad(std::string code, std::string text) {
  return Error{{}, std::move(code), std::move(text), false};
}

// The value of a successful parse, or the Error refusing the input.
template <class T>
class [[nodiscard]] Parsed {
 public:
  Parsed(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Parsed(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  explicit operator bool() const { return v_.index() == 0; }
  T& operator*() { return std::get<0>(v_); }
  const T& operator*() const { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  const Error& error() const { return std::get<1>(v_); }
  Error& error() { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace pushmail::imap
