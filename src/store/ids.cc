#include <charconv>

#include "store/types.h"

namespace pushmail::store {
namespace {

std::string WithPrefix(char prefix, int64_t id) { return prefix + std::to_string(id); }

}  // namespace

std::string MailboxJmapId(MailboxId id) { return WithPrefix('M', id); }
std::string EmailJmapId(EmailId id) { return WithPrefix('E', id); }
std::string ThreadJmapId(ThreadId id) { return WithPrefix('T', id); }

std::optional<int64_t> ParseJmapId(std::string_view id, char prefix) {
  if (id.size() < 2 || id.size() > 20 || id[0] != prefix || id[1] == '0') return std::nullopt;
  int64_t value = 0;
  auto [end, ec] = std::from_chars(id.data() + 1, id.data() + id.size(), value);
  if (ec != std::errc() || end != id.data() + id.size() || value <= 0) return std::nullopt;
  return value;
}

}  // namespace pushmail::store
