#include <catch2/catch.hpp>

#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

TEST_CASE("transport error status carries code and frame type", "[transport_error]") {
  absl::Status s = TransportErrorStatus(TransportErrorCode::kFrameEncodingError, "bad ack", 0x02);
  CHECK_FALSE(s.ok());
  CHECK(GetTransportErrorCode(s) == TransportErrorCode::kFrameEncodingError);
  REQUIRE(GetTransportErrorFrameType(s).has_value());
  CHECK(*GetTransportErrorFrameType(s) == 0x02);
  CHECK(s.message() == "FRAME_ENCODING_ERROR: bad ack");
  CHECK(GetTransportErrorCode(absl::OkStatus()) == TransportErrorCode::kNoError);
  CHECK(GetTransportErrorCode(absl::InternalError("x")) == TransportErrorCode::kInternalError);
  CHECK(TransportErrorCodeName(CryptoError(120)) == "CRYPTO_ERROR");
  CHECK(static_cast<uint64_t>(CryptoError(120)) == 0x178);
}

}  // namespace
}  // namespace kite::quic
