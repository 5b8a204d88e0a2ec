#include "jmap/blobs.h"

#include <boost/json.hpp>
#include <ctime>

#include "base/clock.h"
#include "jmap/ids.h"
#include "jmap/server_fail.h"
#include "mime/mime.h"

namespace pushmail::jmap {

namespace {

bool IsMessageBlobId(std::string_view id) {
  if (id.size() != kMessageBlobIdSize || id[0] != 'G') return false;
  for (char c : id.substr(1)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::string PartBlobId(std::string_view message, std::string_view part_id) {
  std::string id(message);
  id += '_';
  for (char c : part_id) id += c == '.' ? '_' : c;
  return id;
}

std::optional<std::string> ReadBlob(store::Store& store, store::AccountId account,
                                    std::string_view blob_id, ErrorCode& failed) {
  std::string_view base = blob_id.substr(0, kMessageBlobIdSize);
  if (!IsMessageBlobId(base)) return std::nullopt;
  std::string_view rest = blob_id.substr(base.size());
  std::string path;
  if (!rest.empty()) {
    // "_n_n...": the section path; FindSection checks the numbers.
    if (rest.size() > 256 || rest[0] != '_') return std::nullopt;
    for (char c : rest.substr(1)) path += c == '_' ? '.' : c;
  }
  auto bytes = store.ReadBlob(account, base, UnixNow());
  if (!bytes) {
    if (bytes.error() != MakeError(Errc::kNotFound)) failed = bytes.error();
    return std::nullopt;
  }
  if (path.empty()) return std::move(*bytes);
  mime::Summary summary = mime::Parse(*bytes);
  auto section = mime::FindSection(summary, path);
  if (!section || !section->part || section->part->type == "multipart") return std::nullopt;
  auto body = mime::Slice(*bytes, section->body);
  auto decoded = mime::DecodeBody(body, section->part->encoding);
  return decoded ? std::move(*decoded) : std::string(body);
}

BlobReply Upload(store::Store& store, const Principal& who, std::string_view account_id,
                 std::string_view content_type, std::string_view bytes) {
  if (account_id != AccountJmapId(who.account)) {
    return {404, "application/problem+json",
            boost::json::serialize(boost::json::object{
                {"type", "about:blank"}, {"status", 404}, {"detail", "no such account"}})};
  }
  std::string type = content_type.empty() ? "application/octet-stream" : std::string(content_type);
  auto up = store.PutUpload(who.account, bytes, type, UnixNow());
  if (!up) return {500, "text/plain; charset=utf-8", "cannot store the upload\n"};
  boost::json::object reply{{"accountId", std::string(account_id)},
                            {"blobId", up->blob_id},
                            {"type", type},
                            {"size", up->size}};
  return {201, "application/json", boost::json::serialize(reply)};
}

BlobReply Download(store::Store& store, const Principal& who, std::string_view account_id,
                   std::string_view blob_id) {
  BlobReply not_found{404, "text/plain; charset=utf-8", "Not Found\n"};
  if (account_id != AccountJmapId(who.account)) return not_found;
  ErrorCode failed;
  auto bytes = ReadBlob(store, who.account, blob_id, failed);
  if (failed) {
    ServerFail("download", failed, "cannot read the blob");  // logged and counted
    return {500, "text/plain; charset=utf-8", "cannot read the blob\n"};
  }
  if (!bytes) return not_found;
  return {200, "application/octet-stream", std::move(*bytes)};
}

}  // namespace pushmail::jmap
