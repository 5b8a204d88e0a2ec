#pragma once
// JMAP blobs (RFC 8620 6): the upload and download endpoints' work, without HTTP, and blob ids.
//
// A blob id is "G" and 64 hex digits (store/ops.h: an upload's is the SHA-256 of its octets, a
// delivered message's starts with the time it was stored). A body part's blob is the blob of its
// message, "_", and the part's IMAP section path with "_" for "." ("G...e3_2_1"): its octets are
// the part's body with the Content-Transfer-Encoding undone (RFC 8621 4.1.4). An account reads only
// the blobs its own emails and uploads hold. Blocks on the store.

#include <optional>
#include <string>
#include <string_view>

#include "jmap/api.h"

namespace pushmail::jmap {

// The length of a blob id of a whole message or upload; a part's is longer.
inline constexpr size_t kMessageBlobIdSize = 65;

// The blob id of part `part_id` ("1.2") of the message in blob `message`.
std::string PartBlobId(std::string_view message, std::string_view part_id);

// The octets of `blob_id` when `account` may read them; nullopt when not (or no such blob).
// `failed` is set to the store's error when it failed.
std::optional<std::string> ReadBlob(store::Store& store, store::AccountId account,
                                    std::string_view blob_id, ErrorCode& failed);

// What the HTTP layer answers.
struct BlobReply {
  int status = 200;
  std::string content_type;
  std::string body;
  std::string problem_limit;  // for a JMAP limit problem
};

// POST {uploadUrl}: stores `bytes` for `account_id` (the URL's) as `who`.
BlobReply Upload(store::Store& store, const Principal& who, std::string_view account_id,
                 std::string_view content_type, std::string_view bytes);
// GET {downloadUrl}: the blob's octets, or 404 for anything `who` may not read.
BlobReply Download(store::Store& store, const Principal& who, std::string_view account_id,
                   std::string_view blob_id);

}  // namespace pushmail::jmap
