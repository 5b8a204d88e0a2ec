// Content-Transfer-Encoding decoding for IMAP BINARY, by GMime's decoders.
#include <gmime/gmime.h>

#include <optional>
#include <string>

#include "mime/mime.h"

namespace pushmail::mime {
namespace {

class MimeCategoryImpl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "pushmail.mime"; }
  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::kUnknownEncoding:
        return "unknown content-transfer-encoding";
    }
    return "unknown error";
  }
};

// The encoding DecodeBody undoes for `name`; DEFAULT for the identity ones, nullopt for the
// encodings it does not know.
std::optional<GMimeContentEncoding> EncodingFor(std::string_view name) {
  if (name.find_first_not_of(" \t") == std::string_view::npos) {
    return GMIME_CONTENT_ENCODING_DEFAULT;  // no Content-Transfer-Encoding: 7bit
  }
  switch (g_mime_content_encoding_from_string(std::string(name).c_str())) {
    case GMIME_CONTENT_ENCODING_7BIT:
    case GMIME_CONTENT_ENCODING_8BIT:
    case GMIME_CONTENT_ENCODING_BINARY:
      return GMIME_CONTENT_ENCODING_DEFAULT;
    case GMIME_CONTENT_ENCODING_BASE64:
      return GMIME_CONTENT_ENCODING_BASE64;
    case GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE:
      return GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
    default:
      return std::nullopt;  // x-uuencode is no RFC 2045 encoding; others GMime does not know
  }
}

}  // namespace

const boost::system::error_category& MimeCategory() {
  static const MimeCategoryImpl category;
  return category;
}

Result<std::string> DecodeBody(std::string_view body, std::string_view encoding) {
  std::optional<GMimeContentEncoding> kind = EncodingFor(encoding);
  if (!kind) return make_error_code(Error::kUnknownEncoding);
  if (*kind == GMIME_CONTENT_ENCODING_DEFAULT) return std::string(body);
  GMimeEncoding state;
  g_mime_encoding_init_decode(&state, *kind);
  std::string out(g_mime_encoding_outlen(&state, body.size()), '\0');
  size_t n = g_mime_encoding_step(&state, body.data(), body.size(), out.data());
  out.resize(n);
  return out;
}

}  // namespace pushmail::mime
