// Well-formedness of HTTP/3 header and trailer sections (RFC 9114 §4.1.2, §4.2, §4.3, §4.4;
// extended CONNECT per RFC 9220 §3). A malformed message is a stream error of type
// H3_MESSAGE_ERROR, which is the code every failure here carries.
#ifndef KITE_HTTP3_MESSAGE_VALIDATOR_H_
#define KITE_HTTP3_MESSAGE_VALIDATOR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "http3/header_field.h"

namespace kite::http3 {

// The control data of a valid request.
struct RequestHead {
  std::string method;
  std::string scheme;     // empty for CONNECT
  std::string authority;  // :authority, else the Host field
  std::string path;       // empty for CONNECT
  std::string protocol;   // extended CONNECT (:protocol), else empty
  std::optional<uint64_t> content_length;
  HeaderList fields;      // every field, pseudo-headers included, as received
};

struct ResponseHead {
  int status = 0;
  std::optional<uint64_t> content_length;
  HeaderList fields;
};

struct ValidationOptions {
  // We sent SETTINGS_ENABLE_CONNECT_PROTOCOL=1, so :protocol is allowed (RFC 9220 §3).
  bool allow_extended_connect = false;
};

absl::StatusOr<RequestHead> ValidateRequestHeaders(const HeaderList& fields,
                                                   const ValidationOptions& options = {});
// Interim (1xx) and final responses alike; 101 is malformed in HTTP/3 (§4.5 of RFC 9114 has
// no Upgrade; RFC 9110 §15.2.2 101 needs it).
absl::StatusOr<ResponseHead> ValidateResponseHeaders(const HeaderList& fields);
// RFC 9114 §4.3: no pseudo-header fields in trailers; the field rules of §4.2 apply.
absl::Status ValidateTrailers(const HeaderList& fields);

// RFC 9110 §9.2.1: methods whose requests are safe to replay in 0-RTT (RFC 8470 §3).
bool IsSafeMethod(std::string_view method);

}  // namespace kite::http3

#endif  // KITE_HTTP3_MESSAGE_VALIDATOR_H_
