#include "http3/qpack/prefix_int.h"

namespace kite::http3::qpack {

void AppendPrefixInt(uint8_t first_byte_flags, int prefix_bits, uint64_t value, std::string* out) {
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  if (value < max_prefix) {
    out->push_back(static_cast<char>(first_byte_flags | value));
    return;
  }
  out->push_back(static_cast<char>(first_byte_flags | max_prefix));
  value -= max_prefix;
  while (value >= 0x80) {
    out->push_back(static_cast<char>(0x80 | (value & 0x7f)));
    value >>= 7;
  }
  out->push_back(static_cast<char>(value));
}

ParseStatus ParsePrefixInt(std::string_view in, size_t* pos, int prefix_bits, uint64_t* value) {
  size_t p = *pos;
  if (p >= in.size()) return ParseStatus::kIncomplete;
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  uint64_t v = static_cast<uint8_t>(in[p++]) & max_prefix;
  if (v == max_prefix) {
    int shift = 0;
    while (true) {
      if (p >= in.size()) return ParseStatus::kIncomplete;
      const uint8_t b = static_cast<uint8_t>(in[p++]);
      // 62 bits need at most 9 continuation bytes; reject before the shift can overflow.
      if (shift > 56) return ParseStatus::kError;
      const uint64_t add = static_cast<uint64_t>(b & 0x7f) << shift;
      if (add > kMaxPrefixIntValue - v) return ParseStatus::kError;
      v += add;
      shift += 7;
      if ((b & 0x80) == 0) break;
    }
  }
  *value = v;
  *pos = p;
  return ParseStatus::kOk;
}

}  // namespace kite::http3::qpack
