// Encoder-stream instructions (RFC 9204 §4.3).
#ifndef KITE_HTTP3_QPACK_ENCODER_INSTRUCTIONS_H_
#define KITE_HTTP3_QPACK_ENCODER_INSTRUCTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "http3/qpack/prefix_int.h"

namespace kite::http3::qpack {

// §4.3.1: 001 + capacity (5+).
struct SetDynamicTableCapacity {
  uint64_t capacity = 0;
  bool operator==(const SetDynamicTableCapacity& o) const { return capacity == o.capacity; }
};

// §4.3.2: 1 T + name index (6+), value literal (7+). A dynamic index is relative (§3.2.5).
struct InsertWithNameReference {
  bool is_static = false;
  uint64_t name_index = 0;
  std::string value;
  bool operator==(const InsertWithNameReference& o) const {
    return is_static == o.is_static && name_index == o.name_index && value == o.value;
  }
};

// §4.3.3: 01 H + name literal (5+), value literal (7+).
struct InsertWithLiteralName {
  std::string name;
  std::string value;
  bool operator==(const InsertWithLiteralName& o) const {
    return name == o.name && value == o.value;
  }
};

// §4.3.4: 000 + relative index (5+).
struct Duplicate {
  uint64_t relative_index = 0;
  bool operator==(const Duplicate& o) const { return relative_index == o.relative_index; }
};

using EncoderInstruction = std::variant<SetDynamicTableCapacity, InsertWithNameReference,
                                        InsertWithLiteralName, Duplicate>;

void AppendEncoderInstruction(const EncoderInstruction& instruction, std::string* out);

// Parses one instruction at in[*pos], advancing *pos on kOk. Strings longer than
// `max_string_length` are kError.
ParseStatus ParseEncoderInstruction(std::string_view in, size_t* pos, size_t max_string_length,
                                    EncoderInstruction* out);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_ENCODER_INSTRUCTIONS_H_
