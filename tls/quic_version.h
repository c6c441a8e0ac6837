// The QUIC versions whose packet protection tls/ implements (RFC 9001 §5, RFC 9369 §3.3).
// tls/ sits below quic/codec, so the wire values are restated here; test/tls checks that they
// agree with quic/codec/packet_type.h.
#ifndef KITE_TLS_QUIC_VERSION_H_
#define KITE_TLS_QUIC_VERSION_H_

#include <cstdint>
#include <optional>

namespace kite::tls {

enum class QuicVersion : uint32_t {
  kV1 = 0x00000001,  // RFC 9000
  kV2 = 0x6b3343cf,  // RFC 9369 §3.1
};

constexpr uint32_t WireVersion(QuicVersion v) { return static_cast<uint32_t>(v); }

// Maps a wire version to the protection scheme, or nullopt for a version kite does not speak.
constexpr std::optional<QuicVersion> QuicVersionFromWire(uint32_t wire) {
  switch (wire) {
    case static_cast<uint32_t>(QuicVersion::kV1): return QuicVersion::kV1;
    case static_cast<uint32_t>(QuicVersion::kV2): return QuicVersion::kV2;
    default: return std::nullopt;
  }
}

constexpr const char* QuicVersionName(QuicVersion v) {
  return v == QuicVersion::kV1 ? "v1" : "v2";
}

}  // namespace kite::tls

#endif  // KITE_TLS_QUIC_VERSION_H_
