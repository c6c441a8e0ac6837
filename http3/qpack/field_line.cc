#include "http3/qpack/field_line.h"

#include "http3/qpack/required_insert_count.h"
#include "http3/qpack/string_literal.h"

namespace kite::http3::qpack {

FieldSectionPrefix MakeFieldSectionPrefix(uint64_t required_insert_count, uint64_t base,
                                          uint64_t max_entries) {
  FieldSectionPrefix prefix;
  prefix.encoded_required_insert_count =
      EncodeRequiredInsertCount(required_insert_count, max_entries);
  if (base >= required_insert_count) {
    prefix.delta_base = base - required_insert_count;
  } else {
    prefix.sign = true;
    prefix.delta_base = required_insert_count - base - 1;
  }
  return prefix;
}

void AppendFieldSectionPrefix(const FieldSectionPrefix& prefix, std::string* out) {
  AppendPrefixInt(0x00, 8, prefix.encoded_required_insert_count, out);
  AppendPrefixInt(prefix.sign ? 0x80 : 0x00, 7, prefix.delta_base, out);
}

ParseStatus ParseFieldSectionPrefix(std::string_view in, size_t* pos, FieldSectionPrefix* out) {
  size_t p = *pos;
  FieldSectionPrefix prefix;
  ParseStatus s = ParsePrefixInt(in, &p, 8, &prefix.encoded_required_insert_count);
  if (s != ParseStatus::kOk) return s;
  if (p >= in.size()) return ParseStatus::kIncomplete;
  prefix.sign = (static_cast<uint8_t>(in[p]) & 0x80) != 0;
  s = ParsePrefixInt(in, &p, 7, &prefix.delta_base);
  if (s != ParseStatus::kOk) return s;
  *out = prefix;
  *pos = p;
  return ParseStatus::kOk;
}

void AppendFieldLine(const FieldLine& line, std::string* out) {
  const uint8_t n = line.never_index ? 1 : 0;
  switch (line.kind) {
    case FieldLine::Kind::kIndexed:
      AppendPrefixInt(line.is_static ? 0xc0 : 0x80, 6, line.index, out);
      break;
    case FieldLine::Kind::kIndexedPostBase:
      AppendPrefixInt(0x10, 4, line.index, out);
      break;
    case FieldLine::Kind::kLiteralNameRef:
      AppendPrefixInt(static_cast<uint8_t>(0x40 | (n << 5) | (line.is_static ? 0x10 : 0)), 4,
                      line.index, out);
      AppendStringLiteral(0x00, 7, line.value, out);
      break;
    case FieldLine::Kind::kLiteralPostBaseNameRef:
      AppendPrefixInt(static_cast<uint8_t>(n << 3), 3, line.index, out);
      AppendStringLiteral(0x00, 7, line.value, out);
      break;
    case FieldLine::Kind::kLiteralName:
      AppendStringLiteral(static_cast<uint8_t>(0x20 | (n << 4)), 3, line.name, out);
      AppendStringLiteral(0x00, 7, line.value, out);
      break;
  }
}

ParseStatus ParseFieldLine(std::string_view in, size_t* pos, size_t max_string_length,
                           FieldLine* out) {
  if (*pos >= in.size()) return ParseStatus::kIncomplete;
  const uint8_t first = static_cast<uint8_t>(in[*pos]);
  size_t p = *pos;
  FieldLine line;
  ParseStatus s;
  bool has_value = true;
  if (first & 0x80) {
    line.kind = FieldLine::Kind::kIndexed;
    line.is_static = (first & 0x40) != 0;
    s = ParsePrefixInt(in, &p, 6, &line.index);
    has_value = false;
  } else if (first & 0x40) {
    line.kind = FieldLine::Kind::kLiteralNameRef;
    line.never_index = (first & 0x20) != 0;
    line.is_static = (first & 0x10) != 0;
    s = ParsePrefixInt(in, &p, 4, &line.index);
  } else if (first & 0x20) {
    line.kind = FieldLine::Kind::kLiteralName;
    line.never_index = (first & 0x10) != 0;
    s = ParseStringLiteral(in, &p, 3, max_string_length, &line.name);
  } else if (first & 0x10) {
    line.kind = FieldLine::Kind::kIndexedPostBase;
    s = ParsePrefixInt(in, &p, 4, &line.index);
    has_value = false;
  } else {
    line.kind = FieldLine::Kind::kLiteralPostBaseNameRef;
    line.never_index = (first & 0x08) != 0;
    s = ParsePrefixInt(in, &p, 3, &line.index);
  }
  if (s != ParseStatus::kOk) return s;
  if (has_value) {
    s = ParseStringLiteral(in, &p, 7, max_string_length, &line.value);
    if (s != ParseStatus::kOk) return s;
  }
  *out = std::move(line);
  *pos = p;
  return ParseStatus::kOk;
}

}  // namespace kite::http3::qpack
