#include "quic/codec/transport_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace kite::quic {
namespace {

constexpr absl::string_view kCodePayload = "type.kite.dev/quic.transport_error.code";
constexpr absl::string_view kFramePayload = "type.kite.dev/quic.transport_error.frame_type";

absl::Cord EncodeU64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 7; i >= 0; --i) {
    s[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return absl::Cord(s);
}

std::optional<uint64_t> DecodeU64(const absl::optional<absl::Cord>& c) {
  if (!c.has_value() || c->size() != 8) return std::nullopt;
  std::string s(*c);
  uint64_t v = 0;
  for (char ch : s) v = (v << 8) | static_cast<uint8_t>(ch);
  return v;
}

}  // namespace

std::string_view TransportErrorCodeName(TransportErrorCode code) {
  switch (code) {
    case TransportErrorCode::kNoError: return "NO_ERROR";
    case TransportErrorCode::kInternalError: return "INTERNAL_ERROR";
    case TransportErrorCode::kConnectionRefused: return "CONNECTION_REFUSED";
    case TransportErrorCode::kFlowControlError: return "FLOW_CONTROL_ERROR";
    case TransportErrorCode::kStreamLimitError: return "STREAM_LIMIT_ERROR";
    case TransportErrorCode::kStreamStateError: return "STREAM_STATE_ERROR";
    case TransportErrorCode::kFinalSizeError: return "FINAL_SIZE_ERROR";
    case TransportErrorCode::kFrameEncodingError: return "FRAME_ENCODING_ERROR";
    case TransportErrorCode::kTransportParameterError: return "TRANSPORT_PARAMETER_ERROR";
    case TransportErrorCode::kConnectionIdLimitError: return "CONNECTION_ID_LIMIT_ERROR";
    case TransportErrorCode::kProtocolViolation: return "PROTOCOL_VIOLATION";
    case TransportErrorCode::kInvalidToken: return "INVALID_TOKEN";
    case TransportErrorCode::kApplicationError: return "APPLICATION_ERROR";
    case TransportErrorCode::kCryptoBufferExceeded: return "CRYPTO_BUFFER_EXCEEDED";
    case TransportErrorCode::kKeyUpdateError: return "KEY_UPDATE_ERROR";
    case TransportErrorCode::kAeadLimitReached: return "AEAD_LIMIT_REACHED";
    case TransportErrorCode::kNoViablePath: return "NO_VIABLE_PATH";
    case TransportErrorCode::kVersionNegotiationError: return "VERSION_NEGOTIATION_ERROR";
    default: break;
  }
  uint64_t v = static_cast<uint64_t>(code);
  if (v >= 0x100 && v <= 0x1ff) return "CRYPTO_ERROR";
  return "UNKNOWN_ERROR";
}

absl::Status TransportErrorStatus(TransportErrorCode code, std::string_view reason,
                                  std::optional<uint64_t> frame_type) {
  std::string_view name = TransportErrorCodeName(code);
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(absl::string_view(name.data(), name.size()), ": ",
                                   absl::string_view(reason.data(), reason.size())));
  status.SetPayload(kCodePayload, EncodeU64(static_cast<uint64_t>(code)));
  if (frame_type.has_value()) status.SetPayload(kFramePayload, EncodeU64(*frame_type));
  return status;
}

TransportErrorCode GetTransportErrorCode(const absl::Status& status) {
  if (status.ok()) return TransportErrorCode::kNoError;
  std::optional<uint64_t> v = DecodeU64(status.GetPayload(kCodePayload));
  if (!v.has_value()) return TransportErrorCode::kInternalError;
  return static_cast<TransportErrorCode>(*v);
}

std::optional<uint64_t> GetTransportErrorFrameType(const absl::Status& status) {
  return DecodeU64(status.GetPayload(kFramePayload));
}

}  // namespace kite::quic
