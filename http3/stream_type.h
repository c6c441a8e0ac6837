// Unidirectional stream types (RFC 9114 §6.2, §11.2.4; RFC 9204 §4.2).
#ifndef KITE_HTTP3_STREAM_TYPE_H_
#define KITE_HTTP3_STREAM_TYPE_H_

#include <cstdint>

namespace kite::http3 {

inline constexpr uint64_t kStreamTypeControl = 0x00;
inline constexpr uint64_t kStreamTypePush = 0x01;
inline constexpr uint64_t kStreamTypeQpackEncoder = 0x02;
inline constexpr uint64_t kStreamTypeQpackDecoder = 0x03;

// RFC 9114 §6.2.3: 0x1f * N + 0x21 are reserved stream types.
constexpr bool IsReservedStreamType(uint64_t type) {
  return type >= 0x21 && (type - 0x21) % 0x1f == 0;
}

// RFC 9000 §2.1: bit 0x2 marks a unidirectional stream, bit 0x1 a server-initiated one.
constexpr bool IsUnidirectionalStream(uint64_t id) { return (id & 0x2) != 0; }
constexpr bool IsClientBidiStream(uint64_t id) { return (id & 0x3) == 0; }

}  // namespace kite::http3

#endif  // KITE_HTTP3_STREAM_TYPE_H_
