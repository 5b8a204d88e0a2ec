#pragma once
// A raw message (RFC 5322 + MIME) as `pushmail read` shows it, through src/mime: the main
// header fields, the text (text/plain as it is; text/html rendered by HtmlToReadableText; of a
// multipart/alternative the plain part when there is one), and the attachments. Never fails:
// what GMime cannot read is shown as text. Thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mime/mime.h"

namespace pushmail::client {

struct Attachment {
  std::string part_id;   // IMAP section ("2", "1.3")
  std::string filename;  // as the message names it; may be empty
  std::string type;      // "application/pdf"
  int64_t size = 0;      // octets as transferred (still encoded)
};

struct MessageText {
  std::vector<std::pair<std::string, std::string>> headers;  // From, To, Cc, Date, Subject
  std::string text;
  std::vector<Attachment> attachments;
  mime::Summary summary;
};

MessageText RenderMessage(std::string_view raw);

// The decoded octets of one attachment of `raw`; empty when the part is gone.
std::string AttachmentContent(std::string_view raw, const MessageText& message,
                              const Attachment& attachment);

// A file name safe to create in a folder: no path, no leading dot, no control characters;
// "attachment-N" when nothing is left.
std::string SafeFilename(std::string_view name, size_t n);

}  // namespace pushmail::client
