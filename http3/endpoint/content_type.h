// The Content-Type a file server sends for a path, by extension (browsers refuse to render an
// HTML page served as application/octet-stream).
#ifndef KITE_HTTP3_ENDPOINT_CONTENT_TYPE_H_
#define KITE_HTTP3_ENDPOINT_CONTENT_TYPE_H_

#include <string_view>

namespace kite::http3 {

// "text/html; charset=utf-8" for .html, ...; "application/octet-stream" when unknown.
const char* ContentTypeForPath(std::string_view path);

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_CONTENT_TYPE_H_
