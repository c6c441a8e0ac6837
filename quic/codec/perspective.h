// Which end of a connection this endpoint is (RFC 9000 uses "client" and "server" throughout).
#ifndef KITE_QUIC_CODEC_PERSPECTIVE_H_
#define KITE_QUIC_CODEC_PERSPECTIVE_H_

#include <cstdint>

namespace kite::quic {

enum class Perspective : uint8_t { kClient, kServer };

constexpr Perspective OtherPerspective(Perspective p) {
  return p == Perspective::kClient ? Perspective::kServer : Perspective::kClient;
}

// RFC 9000 §19.11, §19.14: stream counts cannot exceed 2^60, since stream IDs are 62-bit and
// the low two bits carry the stream type.
inline constexpr uint64_t kMaxStreamCount = uint64_t{1} << 60;

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_PERSPECTIVE_H_
