#pragma once
// The client's one failure type. A command runs to its end or throws a Failure, which
// `pushmail`'s main prints as "pushmail: MESSAGE" and turns into the exit status; `watch` catches
// the kinds a reconnect can cure. The message is written for the user and says what to do.

#include <stdexcept>
#include <string>

namespace pushmail::client {

enum class FailureKind {
  kUsage,        // the command line or a file the user gave is wrong
  kUnreachable,  // no TCP connection, or it broke
  kCertificate,  // the server's certificate did not verify
  kAuth,         // the server refused the stored token or the password
  kNotFound,     // an id or mailbox that does not exist
  kServer,       // the server answered with an error
  kLocal,        // a local file, the cache, a command run for --exec
};

class Failure : public std::runtime_error {
 public:
  Failure(FailureKind kind, const std::string& message)
      : std::runtime_error(message), kind_(kind) {}
  FailureKind kind() const { return kind_; }

 private:
  FailureKind kind_;
};

// Exit statuses: 1 for most failures, distinct ones for the kinds scripts want to tell apart.
int ExitStatus(FailureKind kind);

}  // namespace pushmail::client
