#include "base/result.h"

#include <string>

namespace pushmail {
namespace {

class BaseCategoryImpl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pushmail"; }
  std::string message(int ev) const override {
    switch (static_cast<Errc>(ev)) {
      case Errc::kOk:
        return "ok";
      case Errc::kInvalidArgument:
        return "invalid argument";
      case Errc::kNotFound:
        return "not found";
      case Errc::kAlreadyExists:
        return "already exists";
      case Errc::kLimitExceeded:
        return "limit exceeded";
      case Errc::kIo:
        return "i/o error";
      case Errc::kUnavailable:
        return "unavailable";
    }
    return "unknown error";
  }
};

}  // namespace

const boost::system::error_category& BaseCategory() {
  static const BaseCategoryImpl category;
  return category;
}

}  // namespace pushmail
