#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushmail {

std::string EncodeBase64(std::string_view bytes);
// Strict RFC 4648 base64 with padding; nullopt for anything else (bad characters, bad length,
// bad padding).
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace pushmail
