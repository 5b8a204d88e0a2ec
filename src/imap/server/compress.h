#pragma once
// COMPRESS=DEFLATE (RFC 4978): raw deflate both ways, each write flushed with Z_SYNC_FLUSH so
// the peer can decode every response as soon as it arrives. Costs zlib's state (~300 KiB with
// a 32 KiB window) only on connections that ask for it.

#include <zlib.h>

#include <string>
#include <string_view>

#include "base/result.h"

namespace pushmail::imap {

class Deflate {
 public:
  Deflate();
  ~Deflate();
  Deflate(const Deflate&) = delete;
  Deflate& operator=(const Deflate&) = delete;

  bool ok() const { return ok_; }
  // Compresses `plain` and flushes; the result is whole for the peer to decode.
  std::string Compress(std::string_view plain);
  // Decompresses `compressed` onto `out`; false for a corrupt stream.
  bool Decompress(std::string_view compressed, std::string& out);

 private:
  z_stream deflate_{};
  z_stream inflate_{};
  bool ok_ = false;
};

}  // namespace pushmail::imap
