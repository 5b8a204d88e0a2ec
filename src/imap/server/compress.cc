#include "imap/server/compress.h"

namespace pushmail::imap {
namespace {

constexpr int kRawWindow = -15;  // negative: raw deflate, no zlib header (RFC 4978 3)
constexpr size_t kChunk = size_t{16} * 1024;

}  // namespace

Deflate::Deflate() {
  ok_ = deflateInit2(&deflate_, Z_DEFAULT_COMPRESSION, Z_DEFLATED, kRawWindow, 8,
                     Z_DEFAULT_STRATEGY) == Z_OK;
  ok_ = inflateInit2(&inflate_, kRawWindow) == Z_OK && ok_;
}

Deflate::~Deflate() {
  deflateEnd(&deflate_);
  inflateEnd(&inflate_);
}

std::string Deflate::Compress(std::string_view plain) {
  std::string out;
  deflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  deflate_.avail_in = static_cast<uInt>(plain.size());
  do {
    size_t old = out.size();
    out.resize(old + kChunk);
    deflate_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    deflate_.avail_out = static_cast<uInt>(kChunk);
    deflate(&deflate_, Z_SYNC_FLUSH);
    out.resize(old + kChunk - deflate_.avail_out);
  } while (deflate_.avail_out == 0);
  return out;
}

bool Deflate::Decompress(std::string_view compressed, std::string& out) {
  inflate_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  inflate_.avail_in = static_cast<uInt>(compressed.size());
  int rc = Z_OK;
  do {
    size_t old = out.size();
    out.resize(old + kChunk);
    inflate_.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    inflate_.avail_out = static_cast<uInt>(kChunk);
    rc = inflate(&inflate_, Z_SYNC_FLUSH);
    out.resize(old + kChunk - inflate_.avail_out);
    if (rc == Z_BUF_ERROR) return true;  // everything given is decoded; wait for more
    if (rc != Z_OK) return false;        // corrupt, or the peer ended the stream
  } while (inflate_.avail_out == 0 || inflate_.avail_in > 0);
  return true;
}

}  // namespace pushmail::imap
