// Prefixed integers (RFC 7541 §5.1, used by RFC 9204 §4.1.1).
#ifndef KITE_HTTP3_QPACK_PREFIX_INT_H_
#define KITE_HTTP3_QPACK_PREFIX_INT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace kite::http3::qpack {

// Outcome of parsing from a buffer that may end mid-item.
enum class ParseStatus {
  kOk,
  kIncomplete,  // the input ends before the item does; nothing consumed
  kError,       // the bytes cannot be a valid item
};

// RFC 9204 §4.1.1: implementations must decode integers up to 62 bits; larger is an error.
inline constexpr uint64_t kMaxPrefixIntValue = (uint64_t{1} << 62) - 1;

// Appends `value` with an N-bit prefix (1 <= prefix_bits <= 8); `first_byte_flags` holds the
// bits above the prefix in the first byte.
void AppendPrefixInt(uint8_t first_byte_flags, int prefix_bits, uint64_t value, std::string* out);

// Parses an N-bit prefixed integer at in[*pos]; on kOk advances *pos past it. The bits above
// the prefix in the first byte are ignored (the caller has looked at them already).
ParseStatus ParsePrefixInt(std::string_view in, size_t* pos, int prefix_bits, uint64_t* value);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_PREFIX_INT_H_
