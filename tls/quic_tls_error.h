// Errors raised by the TLS handshake bridge, as absl::Status values that carry the RFC 9000 §20.1
// transport error code the connection must put in CONNECTION_CLOSE.
//
// tls/ sits below quic/ and cannot use quic::TransportErrorStatus, so the bridge records a small
// payload of its own; the connection turns it into a transport error with
// `TransportErrorStatus(static_cast<TransportErrorCode>(TlsErrorTransportCode(s)), ...)`.
#ifndef KITE_TLS_QUIC_TLS_ERROR_H_
#define KITE_TLS_QUIC_TLS_ERROR_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"

namespace kite::tls {

enum class TlsErrorKind : uint8_t {
  // TLS failed and sent (or would send) a fatal alert: CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8).
  kAlert = 1,
  // More CRYPTO data buffered than allowed: CRYPTO_BUFFER_EXCEEDED (RFC 9000 §7.5).
  kCryptoBufferExceeded = 2,
  // CRYPTO data where the handshake cannot take it (RFC 9001 §4.1.3): PROTOCOL_VIOLATION.
  kProtocolViolation = 3,
  // A local failure (allocation, misuse of the bridge): INTERNAL_ERROR.
  kInternal = 4,
};

// RFC 9000 §20.1 codes for the kinds above (numbers only; quic/ owns the enum).
inline constexpr uint64_t kInternalErrorCode = 0x01;
inline constexpr uint64_t kProtocolViolationCode = 0x0a;
inline constexpr uint64_t kCryptoBufferExceededCode = 0x0d;
inline constexpr uint64_t kCryptoErrorBaseCode = 0x100;

// TLS alert descriptions used by the bridge (RFC 8446 §6).
inline constexpr uint8_t kAlertUnexpectedMessage = 10;
inline constexpr uint8_t kAlertBadCertificate = 42;
inline constexpr uint8_t kAlertUnknownCa = 48;
inline constexpr uint8_t kAlertInternalError = 80;
inline constexpr uint8_t kAlertNoApplicationProtocol = 120;

absl::Status TlsAlertError(uint8_t alert, const std::string& reason);
absl::Status CryptoBufferExceededError(const std::string& reason);
absl::Status TlsProtocolViolationError(const std::string& reason);
absl::Status TlsInternalError(const std::string& reason);

// The kind recorded by one of the builders above; nullopt for OK or a foreign status.
std::optional<TlsErrorKind> GetTlsErrorKind(const absl::Status& status);

// The alert carried by a kAlert status.
std::optional<uint8_t> GetTlsAlert(const absl::Status& status);

// The RFC 9000 transport error code for `status`: 0 for OK, 0x100 + alert for an alert,
// 0x0d/0x0a for the buffer and level errors, 0x01 for anything else.
uint64_t TlsErrorTransportCode(const absl::Status& status);

}  // namespace kite::tls

#endif  // KITE_TLS_QUIC_TLS_ERROR_H_
