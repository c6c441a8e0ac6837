// HTTP/3 application error codes carried inside absl::Status, for QPACK's errors (RFC 9204 §6)
// and the few HTTP/3 codes the QPACK layer raises itself.
#ifndef KITE_HTTP3_QPACK_QPACK_ERROR_H_
#define KITE_HTTP3_QPACK_QPACK_ERROR_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace kite::http3::qpack {

// RFC 9204 §6; H3_EXCESSIVE_LOAD is RFC 9114 §8.1, raised when a peer exceeds a size limit
// that QPACK itself has no code for (SETTINGS_MAX_FIELD_SECTION_SIZE).
enum class QpackErrorCode : uint64_t {
  kNoError = 0x0100,  // H3_NO_ERROR
  kExcessiveLoad = 0x0107,
  kDecompressionFailed = 0x0200,
  kEncoderStreamError = 0x0201,
  kDecoderStreamError = 0x0202,
};

std::string_view QpackErrorCodeName(QpackErrorCode code);

// A non-OK status carrying `code` as a payload (the connection closes with it as an HTTP/3
// application error); the message is for humans.
absl::Status QpackErrorStatus(QpackErrorCode code, std::string_view reason);

// The HTTP/3 error code carried by `status`: H3_NO_ERROR for OK, H3_INTERNAL_ERROR (0x0102)
// for a non-OK status that QpackErrorStatus did not build.
uint64_t GetQpackErrorCode(const absl::Status& status);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_QPACK_ERROR_H_
