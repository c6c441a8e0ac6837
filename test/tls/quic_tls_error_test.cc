#include "tls/quic_tls_error.h"

#include <catch2/catch.hpp>

namespace kite::tls {
namespace {

TEST_CASE("TLS error statuses carry their RFC 9000 codes", "[tls]") {
  absl::Status alert = TlsAlertError(kAlertNoApplicationProtocol, "no overlap");
  CHECK_FALSE(alert.ok());
  CHECK(GetTlsErrorKind(alert) == TlsErrorKind::kAlert);
  CHECK(GetTlsAlert(alert) == std::optional<uint8_t>(120));
  CHECK(TlsErrorTransportCode(alert) == 0x178);

  absl::Status exceeded = CryptoBufferExceededError("too much");
  CHECK(GetTlsErrorKind(exceeded) == TlsErrorKind::kCryptoBufferExceeded);
  CHECK_FALSE(GetTlsAlert(exceeded).has_value());
  CHECK(TlsErrorTransportCode(exceeded) == 0x0d);

  CHECK(TlsErrorTransportCode(TlsProtocolViolationError("x")) == 0x0a);
  CHECK(TlsErrorTransportCode(TlsInternalError("x")) == 0x01);
  CHECK(TlsErrorTransportCode(absl::OkStatus()) == 0);
  CHECK_FALSE(GetTlsErrorKind(absl::OkStatus()).has_value());
  // A status from elsewhere maps to INTERNAL_ERROR.
  absl::Status foreign = absl::InternalError("x");
  CHECK_FALSE(GetTlsErrorKind(foreign).has_value());
  CHECK(TlsErrorTransportCode(foreign) == 0x01);
  // Alert 255 stays within the CRYPTO_ERROR range.
  CHECK(TlsErrorTransportCode(TlsAlertError(255, "x")) == 0x1ff);
}

}  // namespace
}  // namespace kite::tls
