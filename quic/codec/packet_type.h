// QUIC packet types, independent of version-specific wire bits (RFC 9000 §17, RFC 9369 §3.2).
#ifndef KITE_QUIC_CODEC_PACKET_TYPE_H_
#define KITE_QUIC_CODEC_PACKET_TYPE_H_

#include <cstdint>

namespace kite::quic {

enum class PacketType : uint8_t {
  kInitial,
  kZeroRtt,
  kHandshake,
  kRetry,
  kOneRtt,  // short header
  kVersionNegotiation,
};

// QUIC versions kite speaks.
inline constexpr uint32_t kQuicVersion1 = 0x00000001;  // RFC 9000
inline constexpr uint32_t kQuicVersion2 = 0x6b3343cf;  // RFC 9369 §3.1

constexpr bool IsSupportedVersion(uint32_t v) { return v == kQuicVersion1 || v == kQuicVersion2; }

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_PACKET_TYPE_H_
