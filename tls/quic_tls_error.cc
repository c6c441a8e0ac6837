#include "tls/quic_tls_error.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace kite::tls {
namespace {

// Two bytes: the kind, then the alert (0 unless kind is kAlert).
constexpr absl::string_view kPayloadUrl = "type.kite.dev/tls.error";

absl::Status Make(absl::StatusCode code, TlsErrorKind kind, uint8_t alert,
                  const std::string& message) {
  absl::Status status(code, message);
  std::string payload;
  payload.push_back(static_cast<char>(kind));
  payload.push_back(static_cast<char>(alert));
  status.SetPayload(kPayloadUrl, absl::Cord(payload));
  return status;
}

std::optional<std::string> Payload(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  absl::optional<absl::Cord> payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value() || payload->size() != 2) return std::nullopt;
  return std::string(*payload);
}

}  // namespace

absl::Status TlsAlertError(uint8_t alert, const std::string& reason) {
  return Make(absl::StatusCode::kPermissionDenied, TlsErrorKind::kAlert, alert,
              absl::StrCat("TLS alert ", static_cast<int>(alert), ": ", reason));
}

absl::Status CryptoBufferExceededError(const std::string& reason) {
  return Make(absl::StatusCode::kResourceExhausted, TlsErrorKind::kCryptoBufferExceeded, 0,
              absl::StrCat("CRYPTO_BUFFER_EXCEEDED: ", reason));
}

absl::Status TlsProtocolViolationError(const std::string& reason) {
  return Make(absl::StatusCode::kFailedPrecondition, TlsErrorKind::kProtocolViolation, 0,
              absl::StrCat("PROTOCOL_VIOLATION: ", reason));
}

absl::Status TlsInternalError(const std::string& reason) {
  return Make(absl::StatusCode::kInternal, TlsErrorKind::kInternal, 0,
              absl::StrCat("INTERNAL_ERROR: ", reason));
}

std::optional<TlsErrorKind> GetTlsErrorKind(const absl::Status& status) {
  std::optional<std::string> payload = Payload(status);
  if (!payload.has_value()) return std::nullopt;
  uint8_t kind = static_cast<uint8_t>((*payload)[0]);
  if (kind < static_cast<uint8_t>(TlsErrorKind::kAlert) ||
      kind > static_cast<uint8_t>(TlsErrorKind::kInternal)) {
    return std::nullopt;
  }
  return static_cast<TlsErrorKind>(kind);
}

std::optional<uint8_t> GetTlsAlert(const absl::Status& status) {
  if (GetTlsErrorKind(status) != TlsErrorKind::kAlert) return std::nullopt;
  return static_cast<uint8_t>((*Payload(status))[1]);
}

uint64_t TlsErrorTransportCode(const absl::Status& status) {
  if (status.ok()) return 0;
  std::optional<TlsErrorKind> kind = GetTlsErrorKind(status);
  if (!kind.has_value()) return kInternalErrorCode;
  switch (*kind) {
    case TlsErrorKind::kAlert: return kCryptoErrorBaseCode + *GetTlsAlert(status);
    case TlsErrorKind::kCryptoBufferExceeded: return kCryptoBufferExceededCode;
    case TlsErrorKind::kProtocolViolation: return kProtocolViolationCode;
    case TlsErrorKind::kInternal: return kInternalErrorCode;
  }
  return kInternalErrorCode;
}

}  // namespace kite::tls
