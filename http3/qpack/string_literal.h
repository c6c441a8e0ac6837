// String literals (RFC 9204 §4.1.2): an H bit, an N-bit prefixed length, then the bytes,
// Huffman-coded when H is set.
#ifndef KITE_HTTP3_QPACK_STRING_LITERAL_H_
#define KITE_HTTP3_QPACK_STRING_LITERAL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http3/qpack/prefix_int.h"

namespace kite::http3::qpack {

// Appends `value` as a literal whose length has a `prefix_bits`-bit prefix; the H flag is the
// bit just above the prefix and `first_byte_flags` carries the bits above that. Huffman is
// used when it is shorter.
void AppendStringLiteral(uint8_t first_byte_flags, int prefix_bits, std::string_view value,
                         std::string* out);

// Bytes AppendStringLiteral appends for `value` (same choice of coding).
size_t StringLiteralLength(int prefix_bits, std::string_view value);

// Parses a literal at in[*pos] into *value. Both the encoded length and the decoded length
// are limited to `max_length`: beyond it, or on a bad Huffman coding, kError.
ParseStatus ParseStringLiteral(std::string_view in, size_t* pos, int prefix_bits, size_t max_length,
                               std::string* value);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_STRING_LITERAL_H_
