#include "client/error.h"

namespace pushmail::client {

int ExitStatus(FailureKind kind) {
  switch (kind) {
    case FailureKind::kUsage:
      return 2;
    case FailureKind::kUnreachable:
      return 3;
    case FailureKind::kCertificate:
      return 4;
    case FailureKind::kAuth:
      return 5;
    case FailureKind::kNotFound:
      return 6;
    case FailureKind::kServer:
    case FailureKind::kLocal:
      return 1;
  }
  return 1;
}

}  // namespace pushmail::client
