// The HPACK Huffman code (RFC 7541 §5.2, Appendix B), used by QPACK string literals
// (RFC 9204 §4.1.2).
#ifndef KITE_HTTP3_QPACK_HUFFMAN_H_
#define KITE_HTTP3_QPACK_HUFFMAN_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace kite::http3::qpack {

// Bytes HuffmanEncode would append for `in`.
size_t HuffmanEncodedLength(std::string_view in);

// Appends the Huffman coding of `in`, padded with the most significant bits of EOS.
void HuffmanEncode(std::string_view in, std::string* out);

// Appends the decoding of `in` to *out. False (out unspecified) if the input decodes to EOS,
// has padding longer than 7 bits or not all ones (RFC 7541 §5.2), or would make *out grow
// by more than `max_decoded_length` bytes.
bool HuffmanDecode(std::string_view in, size_t max_decoded_length, std::string* out);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_HUFFMAN_H_
