#pragma once
// Responses: building them, the headers every response gets (CORS, compression), and
// serializing them with Beast's serializer for net::Stream::Write. Pure.

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <string>
#include <string_view>

#include "http/request_reader.h"

namespace pushmail::http {

using Response = beast_http::response<beast_http::string_body>;

enum class Coding { kIdentity, kGzip, kDeflate };

// The coding to answer with for an Accept-Encoding value: gzip, else deflate, else identity;
// a coding with q=0 is refused.
Coding ChooseCoding(std::string_view accept_encoding);

// `data` in gzip (RFC 1952) or zlib "deflate" (RFC 1950) format.
std::string Compress(std::string_view data, Coding coding);

// A response to `request` with a body of `content_type`.
Response MakeResponse(const Request& request, beast_http::status status,
                      std::string_view content_type, std::string body);
// A plain-text error with the status's reason as its body.
Response ErrorResponse(const Request& request, beast_http::status status);

// Adds what every response carries (CORS for a request with Origin, Vary), compresses the body
// when the client accepts it and it is worth it (unless it has a Content-Encoding already), and
// serializes the whole response. The
// response keeps alive only when `keep_alive` and the request allow it.
std::string Finish(Response& response, const Request& request, bool keep_alive);

// The header of a streamed response (EventSource): no length, so the body ends when the
// connection closes.
std::string StreamHeader(const Request& request, std::string_view content_type);

// RFC 7807 problem details.
Response Problem(const Request& request, beast_http::status status, std::string_view type,
                 std::string detail, std::string_view limit = {});

// The answer to a CORS preflight (OPTIONS with Access-Control-Request-Method) or a plain
// OPTIONS: 204 with what the endpoints allow.
Response Preflight(const Request& request);

}  // namespace pushmail::http
