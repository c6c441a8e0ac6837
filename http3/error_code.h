// HTTP/3 error codes (RFC 9114 §8.1) and QPACK's (RFC 9204 §6) carried as values inside
// absl::Status, the same way quic/codec/transport_error.h carries transport errors.
#ifndef KITE_HTTP3_ERROR_CODE_H_
#define KITE_HTTP3_ERROR_CODE_H_

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"

namespace kite::http3 {

// RFC 9114 §8.1.
enum class Http3ErrorCode : uint64_t {
  kNoError = 0x0100,
  kGeneralProtocolError = 0x0101,
  kInternalError = 0x0102,
  kStreamCreationError = 0x0103,
  kClosedCriticalStream = 0x0104,
  kFrameUnexpected = 0x0105,
  kFrameError = 0x0106,
  kExcessiveLoad = 0x0107,
  kIdError = 0x0108,
  kSettingsError = 0x0109,
  kMissingSettings = 0x010a,
  kRequestRejected = 0x010b,
  kRequestCancelled = 0x010c,
  kRequestIncomplete = 0x010d,
  kMessageError = 0x010e,
  kConnectError = 0x010f,
  kVersionFallback = 0x0110,
  // RFC 9204 §6.
  kQpackDecompressionFailed = 0x0200,
  kQpackEncoderStreamError = 0x0201,
  kQpackDecoderStreamError = 0x0202,
};

std::string_view Http3ErrorCodeName(Http3ErrorCode code);

// A non-OK status carrying `code`; the message is for humans.
absl::Status Http3ErrorStatus(Http3ErrorCode code, std::string_view reason);

// The code carried by `status`: kNoError for OK, kInternalError for a status that was not built
// by Http3ErrorStatus.
Http3ErrorCode GetHttp3ErrorCode(const absl::Status& status);

// RFC 9114 §8: errors that concern one request stream (stream errors: the stream is reset, the
// connection lives on) as opposed to connection errors.
bool IsStreamErrorCode(Http3ErrorCode code);

constexpr uint64_t ToWire(Http3ErrorCode code) { return static_cast<uint64_t>(code); }

}  // namespace kite::http3

#endif  // KITE_HTTP3_ERROR_CODE_H_
