#pragma once
// The Email object (RFC 8621 4.1) as Email/get and Email/parse return it: properties from the
// store's rows and summary, and headers, body structure and body values from the message
// itself, parsed with src/mime.

#include <boost/json/object.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "jmap/api.h"
#include "mime/headers.h"

namespace pushmail::jmap {

// "header:{name}[:as{Form}][:all]" (RFC 8621 4.1.3).
struct HeaderProperty {
  enum class Form { kRaw, kText, kAddresses, kGroupedAddresses, kMessageIds, kDate, kUrls };
  std::string name;
  Form form = Form::kRaw;
  bool all = false;
};
// nullopt for a malformed property, or a form RFC 8621 4.1.2 does not allow for that header.
std::optional<HeaderProperty> ParseHeaderProperty(std::string_view property);
// The value of `h` among `fields`: the last such field, or with `all` every one.
boost::json::value HeaderValue(const std::vector<mime::HeaderField>& fields,
                               const HeaderProperty& h);

// What one call asks for.
struct EmailProperties {
  std::vector<std::string> names;
  std::vector<std::string> body_names;  // bodyProperties
  bool fetch_text = false, fetch_html = false, fetch_all = false;
  size_t max_body_value_bytes = 0;  // 0: whole values
  // Whether anything asked for needs the message's octets (the rest is in the store's rows).
  bool NeedsMessage() const;
};

inline const std::vector<std::string> kDefaultBodyProperties = {
    "partId",  "blobId",      "size", "name",     "type",
    "charset", "disposition", "cid",  "language", "location"};

// Reads "properties" (`defaults` when null), "bodyProperties", "fetch*BodyValues" and
// "maxBodyValueBytes".
std::optional<MethodError> ReadEmailProperties(const boost::json::object& args,
                                               const std::vector<std::string>& defaults,
                                               EmailProperties& out);

// One email (or, for Email/parse, a message without one).
struct EmailData {
  std::optional<store::EmailRecord> record;
  std::vector<store::EmailPlacement> placements;
  std::string blob_id;  // of the message
  int64_t size = 0;
  mime::Summary summary;
  std::string_view message;  // the octets, when NeedsMessage()
};

boost::json::object RenderEmail(const EmailData& e, const EmailProperties& p);

// The email with JMAP id `id` when it belongs to `account` and sits in a mailbox (email.cc);
// `message` is left empty. nullopt for anything else; `failed` is the store's error when it
// failed.
std::optional<EmailData> ReadEmail(store::Store& store, store::AccountId account,
                                   std::string_view id, ErrorCode& failed);

// The text/plain and text/html parts of a message's textBody, decoded, for search snippets.
std::string BodyText(std::string_view message, const mime::Summary& summary);

}  // namespace pushmail::jmap
