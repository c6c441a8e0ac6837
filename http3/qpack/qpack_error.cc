#include "http3/qpack/qpack_error.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace kite::http3::qpack {
namespace {

constexpr absl::string_view kCodePayload = "type.kite.dev/http3.application_error.code";
constexpr uint64_t kH3InternalError = 0x0102;  // RFC 9114 §8.1

}  // namespace

std::string_view QpackErrorCodeName(QpackErrorCode code) {
  switch (code) {
    case QpackErrorCode::kNoError:
      return "H3_NO_ERROR";
    case QpackErrorCode::kExcessiveLoad:
      return "H3_EXCESSIVE_LOAD";
    case QpackErrorCode::kDecompressionFailed:
      return "QPACK_DECOMPRESSION_FAILED";
    case QpackErrorCode::kEncoderStreamError:
      return "QPACK_ENCODER_STREAM_ERROR";
    case QpackErrorCode::kDecoderStreamError:
      return "QPACK_DECODER_STREAM_ERROR";
  }
  return "UNKNOWN";
}

absl::Status QpackErrorStatus(QpackErrorCode code, std::string_view reason) {
  std::string_view name = QpackErrorCodeName(code);
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat(std::string(name), ": ", std::string(reason)));
  std::string bytes(8, '\0');
  uint64_t v = static_cast<uint64_t>(code);
  for (int i = 7; i >= 0; --i, v >>= 8) bytes[i] = static_cast<char>(v & 0xff);
  status.SetPayload(kCodePayload, absl::Cord(bytes));
  return status;
}

uint64_t GetQpackErrorCode(const absl::Status& status) {
  if (status.ok()) return static_cast<uint64_t>(QpackErrorCode::kNoError);
  absl::optional<absl::Cord> payload = status.GetPayload(kCodePayload);
  if (!payload.has_value() || payload->size() != 8) return kH3InternalError;
  std::string bytes(*payload);
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return v;
}

}  // namespace kite::http3::qpack
