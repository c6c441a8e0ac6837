#include "http3/qpack/string_literal.h"

#include "http3/qpack/huffman.h"

namespace kite::http3::qpack {
namespace {

size_t PrefixIntLength(int prefix_bits, uint64_t value) {
  const uint64_t max_prefix = (uint64_t{1} << prefix_bits) - 1;
  if (value < max_prefix) return 1;
  size_t n = 2;
  for (value -= max_prefix; value >= 0x80; value >>= 7) ++n;
  return n;
}

}  // namespace

void AppendStringLiteral(uint8_t first_byte_flags, int prefix_bits, std::string_view value,
                         std::string* out) {
  const size_t huffman_length = HuffmanEncodedLength(value);
  if (huffman_length < value.size()) {
    AppendPrefixInt(static_cast<uint8_t>(first_byte_flags | (1u << prefix_bits)), prefix_bits,
                    huffman_length, out);
    HuffmanEncode(value, out);
  } else {
    AppendPrefixInt(first_byte_flags, prefix_bits, value.size(), out);
    out->append(value.data(), value.size());
  }
}

size_t StringLiteralLength(int prefix_bits, std::string_view value) {
  const size_t huffman_length = HuffmanEncodedLength(value);
  const size_t length = huffman_length < value.size() ? huffman_length : value.size();
  return PrefixIntLength(prefix_bits, length) + length;
}

ParseStatus ParseStringLiteral(std::string_view in, size_t* pos, int prefix_bits, size_t max_length,
                               std::string* value) {
  if (*pos >= in.size()) return ParseStatus::kIncomplete;
  const bool huffman = (static_cast<uint8_t>(in[*pos]) >> prefix_bits) & 1;
  size_t p = *pos;
  uint64_t length = 0;
  const ParseStatus status = ParsePrefixInt(in, &p, prefix_bits, &length);
  if (status != ParseStatus::kOk) return status;
  // Checked before waiting for the bytes, so a huge declared length is refused at once.
  if (length > max_length) return ParseStatus::kError;
  if (in.size() - p < length) return ParseStatus::kIncomplete;
  const std::string_view bytes = in.substr(p, static_cast<size_t>(length));
  value->clear();
  if (huffman) {
    if (!HuffmanDecode(bytes, max_length, value)) return ParseStatus::kError;
  } else {
    value->assign(bytes.data(), bytes.size());
  }
  *pos = p + static_cast<size_t>(length);
  return ParseStatus::kOk;
}

}  // namespace kite::http3::qpack
