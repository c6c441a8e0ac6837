#include "http3/qpack/decoder_instructions.h"

namespace kite::http3::qpack {

void AppendDecoderInstruction(const DecoderInstruction& instruction, std::string* out) {
  if (auto* i = std::get_if<SectionAcknowledgment>(&instruction)) {
    AppendPrefixInt(0x80, 7, i->stream_id, out);
  } else if (auto* i = std::get_if<StreamCancellation>(&instruction)) {
    AppendPrefixInt(0x40, 6, i->stream_id, out);
  } else if (auto* i = std::get_if<InsertCountIncrement>(&instruction)) {
    AppendPrefixInt(0x00, 6, i->increment, out);
  }
}

ParseStatus ParseDecoderInstruction(std::string_view in, size_t* pos, DecoderInstruction* out) {
  if (*pos >= in.size()) return ParseStatus::kIncomplete;
  const uint8_t first = static_cast<uint8_t>(in[*pos]);
  size_t p = *pos;
  uint64_t v = 0;
  const int prefix_bits = (first & 0x80) ? 7 : 6;
  const ParseStatus s = ParsePrefixInt(in, &p, prefix_bits, &v);
  if (s != ParseStatus::kOk) return s;
  if (first & 0x80) {
    *out = SectionAcknowledgment{v};
  } else if (first & 0x40) {
    *out = StreamCancellation{v};
  } else {
    *out = InsertCountIncrement{v};
  }
  *pos = p;
  return ParseStatus::kOk;
}

}  // namespace kite::http3::qpack
