// The deterministic body the server sends for /bytes/N: byte i depends only on i, so a client
// (or a test) can check any received range without the server's help.
#ifndef KITE_HTTP3_ENDPOINT_BYTES_PATTERN_H_
#define KITE_HTTP3_ENDPOINT_BYTES_PATTERN_H_

#include <cstdint>

#include "absl/types/span.h"

namespace kite::http3 {

// Byte `offset` of the pattern.
inline uint8_t PatternByte(uint64_t offset) {
  // A prime modulus and a slowly moving second term keep runs from repeating on any power-of-two
  // boundary, so a misplaced chunk changes the digest.
  return static_cast<uint8_t>((offset % 251) ^ ((offset / 4093) * 37));
}

// Fills `out` with the pattern bytes starting at `offset`.
inline void FillPattern(uint64_t offset, absl::Span<uint8_t> out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = PatternByte(offset + i);
}

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_BYTES_PATTERN_H_
