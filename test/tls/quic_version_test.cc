#include "tls/quic_version.h"

#include <catch2/catch.hpp>

#include "quic/codec/packet_type.h"

namespace kite::tls {
namespace {

// tls/ cannot include quic/codec, so the wire values are restated; keep them in step.
static_assert(WireVersion(QuicVersion::kV1) == quic::kQuicVersion1);
static_assert(WireVersion(QuicVersion::kV2) == quic::kQuicVersion2);

TEST_CASE("QUIC versions map from their wire values", "[tls][version]") {
  CHECK(QuicVersionFromWire(0x00000001) == QuicVersion::kV1);
  CHECK(QuicVersionFromWire(0x6b3343cf) == QuicVersion::kV2);
  CHECK(!QuicVersionFromWire(0x00000000).has_value());
  CHECK(!QuicVersionFromWire(0xff00001d).has_value());  // draft-29
  CHECK(std::string(QuicVersionName(QuicVersion::kV2)) == "v2");
}

}  // namespace
}  // namespace kite::tls
