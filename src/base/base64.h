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

// RFC 4648 5 (base64url) without padding, as JWTs and Web Push keys use it.
std::string EncodeBase64Url(std::string_view bytes);
// The octets of a base64url text with or without padding, canonical otherwise; nullopt for
// anything else (the standard alphabet's "+" and "/" too).
std::optional<std::string> DecodeBase64Url(std::string_view text);

}  // namespace pushmail
