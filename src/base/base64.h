#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace pushmail {

std::string EncodeBase64(std::string_view bytes);

// RFC 4648 4 with padding, canonical (3.5): whole 4-octet groups, "=" only as the last one or two
// octets, and the bits the padding leaves over at zero, so that each text has exactly one meaning.
// The empty text is canonical (it encodes nothing).
bool IsCanonicalBase64(std::string_view text);

// The octets of a canonical base64 text; nullopt for anything else.
std::optional<std::string> DecodeBase64(std::string_view text);

}  // namespace pushmail
