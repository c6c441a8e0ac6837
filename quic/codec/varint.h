// Variable-length integer encoding, RFC 9000 §16.
#ifndef KITE_QUIC_CODEC_VARINT_H_
#define KITE_QUIC_CODEC_VARINT_H_

#include <cstddef>
#include <cstdint>

namespace kite::quic {

inline constexpr uint64_t kMaxVarInt = (uint64_t{1} << 62) - 1;

// Bytes needed for the shortest encoding of `v` (1, 2, 4 or 8); 0 if v > kMaxVarInt.
constexpr size_t VarIntLength(uint64_t v) {
  if (v < (uint64_t{1} << 6)) return 1;
  if (v < (uint64_t{1} << 14)) return 2;
  if (v < (uint64_t{1} << 30)) return 4;
  if (v <= kMaxVarInt) return 8;
  return 0;
}

// Length of the varint whose first byte is `first` (the two most significant bits).
constexpr size_t VarIntLengthFromFirstByte(uint8_t first) { return size_t{1} << (first >> 6); }

// Largest value representable in `length` bytes (1, 2, 4 or 8).
constexpr uint64_t MaxVarIntForLength(size_t length) {
  return length >= 8 ? kMaxVarInt : (uint64_t{1} << (length * 8 - 2)) - 1;
}

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_VARINT_H_
