// Transport error codes (RFC 9000 §20.1) carried as values inside absl::Status.
#ifndef KITE_QUIC_CODEC_TRANSPORT_ERROR_H_
#define KITE_QUIC_CODEC_TRANSPORT_ERROR_H_

#include <cstdint>
#include <optional>
#include <string_view>

#include "absl/status/status.h"

namespace kite::quic {

// RFC 9000 §20.1.
enum class TransportErrorCode : uint64_t {
  kNoError = 0x00,
  kInternalError = 0x01,
  kConnectionRefused = 0x02,
  kFlowControlError = 0x03,
  kStreamLimitError = 0x04,
  kStreamStateError = 0x05,
  kFinalSizeError = 0x06,
  kFrameEncodingError = 0x07,
  kTransportParameterError = 0x08,
  kConnectionIdLimitError = 0x09,
  kProtocolViolation = 0x0a,
  kInvalidToken = 0x0b,
  kApplicationError = 0x0c,
  kCryptoBufferExceeded = 0x0d,
  kKeyUpdateError = 0x0e,
  kAeadLimitReached = 0x0f,
  kNoViablePath = 0x10,
  // RFC 9368 §10.2.
  kVersionNegotiationError = 0x11,
  // 0x0100-0x01ff: CRYPTO_ERROR, 0x100 + TLS alert (RFC 9001 §4.8).
  kCryptoErrorBase = 0x100,
};

constexpr TransportErrorCode CryptoError(uint8_t tls_alert) {
  return static_cast<TransportErrorCode>(0x100 + tls_alert);
}

std::string_view TransportErrorCodeName(TransportErrorCode code);

// Builds a non-OK status that carries `code` (and the offending frame type, if any) as a
// payload; the message is for humans and logs. CONNECTION_CLOSE is built from the payload.
absl::Status TransportErrorStatus(TransportErrorCode code, std::string_view reason,
                                  std::optional<uint64_t> frame_type = std::nullopt);

// The transport error code carried by `status`; kNoError for OK, kInternalError for a status
// that did not come from TransportErrorStatus.
TransportErrorCode GetTransportErrorCode(const absl::Status& status);

// The frame type recorded by TransportErrorStatus, if any.
std::optional<uint64_t> GetTransportErrorFrameType(const absl::Status& status);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_TRANSPORT_ERROR_H_
