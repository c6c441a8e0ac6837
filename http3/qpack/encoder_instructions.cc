#include "http3/qpack/encoder_instructions.h"

#include "http3/qpack/string_literal.h"

namespace kite::http3::qpack {

void AppendEncoderInstruction(const EncoderInstruction& instruction, std::string* out) {
  if (auto* i = std::get_if<SetDynamicTableCapacity>(&instruction)) {
    AppendPrefixInt(0x20, 5, i->capacity, out);
  } else if (auto* i = std::get_if<InsertWithNameReference>(&instruction)) {
    AppendPrefixInt(i->is_static ? 0xc0 : 0x80, 6, i->name_index, out);
    AppendStringLiteral(0x00, 7, i->value, out);
  } else if (auto* i = std::get_if<InsertWithLiteralName>(&instruction)) {
    AppendStringLiteral(0x40, 5, i->name, out);
    AppendStringLiteral(0x00, 7, i->value, out);
  } else if (auto* i = std::get_if<Duplicate>(&instruction)) {
    AppendPrefixInt(0x00, 5, i->relative_index, out);
  }
}

ParseStatus ParseEncoderInstruction(std::string_view in, size_t* pos, size_t max_string_length,
                                    EncoderInstruction* out) {
  if (*pos >= in.size()) return ParseStatus::kIncomplete;
  const uint8_t first = static_cast<uint8_t>(in[*pos]);
  size_t p = *pos;
  ParseStatus s;
  if (first & 0x80) {
    InsertWithNameReference i;
    i.is_static = (first & 0x40) != 0;
    if ((s = ParsePrefixInt(in, &p, 6, &i.name_index)) != ParseStatus::kOk) return s;
    if ((s = ParseStringLiteral(in, &p, 7, max_string_length, &i.value)) != ParseStatus::kOk) {
      return s;
    }
    *out = std::move(i);
  } else if (first & 0x40) {
    InsertWithLiteralName i;
    if ((s = ParseStringLiteral(in, &p, 5, max_string_length, &i.name)) != ParseStatus::kOk) {
      return s;
    }
    if ((s = ParseStringLiteral(in, &p, 7, max_string_length, &i.value)) != ParseStatus::kOk) {
      return s;
    }
    *out = std::move(i);
  } else if (first & 0x20) {
    SetDynamicTableCapacity i;
    if ((s = ParsePrefixInt(in, &p, 5, &i.capacity)) != ParseStatus::kOk) return s;
    *out = i;
  } else {
    Duplicate i;
    if ((s = ParsePrefixInt(in, &p, 5, &i.relative_index)) != ParseStatus::kOk) return s;
    *out = i;
  }
  *pos = p;
  return ParseStatus::kOk;
}

}  // namespace kite::http3::qpack
