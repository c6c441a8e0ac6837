#include "http3/error_code.h"

#include <optional>
#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"

namespace kite::http3 {
namespace {

constexpr absl::string_view kCodePayload = "type.kite.dev/http3.error.code";

}  // namespace

std::string_view Http3ErrorCodeName(Http3ErrorCode code) {
  switch (code) {
    case Http3ErrorCode::kNoError: return "H3_NO_ERROR";
    case Http3ErrorCode::kGeneralProtocolError: return "H3_GENERAL_PROTOCOL_ERROR";
    case Http3ErrorCode::kInternalError: return "H3_INTERNAL_ERROR";
    case Http3ErrorCode::kStreamCreationError: return "H3_STREAM_CREATION_ERROR";
    case Http3ErrorCode::kClosedCriticalStream: return "H3_CLOSED_CRITICAL_STREAM";
    case Http3ErrorCode::kFrameUnexpected: return "H3_FRAME_UNEXPECTED";
    case Http3ErrorCode::kFrameError: return "H3_FRAME_ERROR";
    case Http3ErrorCode::kExcessiveLoad: return "H3_EXCESSIVE_LOAD";
    case Http3ErrorCode::kIdError: return "H3_ID_ERROR";
    case Http3ErrorCode::kSettingsError: return "H3_SETTINGS_ERROR";
    case Http3ErrorCode::kMissingSettings: return "H3_MISSING_SETTINGS";
    case Http3ErrorCode::kRequestRejected: return "H3_REQUEST_REJECTED";
    case Http3ErrorCode::kRequestCancelled: return "H3_REQUEST_CANCELLED";
    case Http3ErrorCode::kRequestIncomplete: return "H3_REQUEST_INCOMPLETE";
    case Http3ErrorCode::kMessageError: return "H3_MESSAGE_ERROR";
    case Http3ErrorCode::kConnectError: return "H3_CONNECT_ERROR";
    case Http3ErrorCode::kVersionFallback: return "H3_VERSION_FALLBACK";
    case Http3ErrorCode::kQpackDecompressionFailed: return "QPACK_DECOMPRESSION_FAILED";
    case Http3ErrorCode::kQpackEncoderStreamError: return "QPACK_ENCODER_STREAM_ERROR";
    case Http3ErrorCode::kQpackDecoderStreamError: return "QPACK_DECODER_STREAM_ERROR";
  }
  return "H3_UNKNOWN_ERROR";
}

absl::Status Http3ErrorStatus(Http3ErrorCode code, std::string_view reason) {
  std::string_view name = Http3ErrorCodeName(code);
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(std::string(name), ": ", std::string(reason)));
  std::string payload(8, '\0');
  uint64_t v = static_cast<uint64_t>(code);
  for (int i = 7; i >= 0; --i) {
    payload[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  status.SetPayload(kCodePayload, absl::Cord(payload));
  return status;
}

Http3ErrorCode GetHttp3ErrorCode(const absl::Status& status) {
  if (status.ok()) return Http3ErrorCode::kNoError;
  absl::optional<absl::Cord> c = status.GetPayload(kCodePayload);
  if (!c.has_value() || c->size() != 8) return Http3ErrorCode::kInternalError;
  std::string s(*c);
  uint64_t v = 0;
  for (char ch : s) v = (v << 8) | static_cast<uint8_t>(ch);
  return static_cast<Http3ErrorCode>(v);
}

bool IsStreamErrorCode(Http3ErrorCode code) {
  switch (code) {
    case Http3ErrorCode::kMessageError:
    case Http3ErrorCode::kRequestIncomplete:
    case Http3ErrorCode::kRequestRejected:
    case Http3ErrorCode::kRequestCancelled:
    case Http3ErrorCode::kConnectError:
      return true;
    default:
      return false;
  }
}

}  // namespace kite::http3
