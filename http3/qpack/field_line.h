// Encoded field sections (RFC 9204 §4.5): the prefix (§4.5.1) and the five field line
// representations (§4.5.2-§4.5.6).
#ifndef KITE_HTTP3_QPACK_FIELD_LINE_H_
#define KITE_HTTP3_QPACK_FIELD_LINE_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http3/qpack/prefix_int.h"

namespace kite::http3::qpack {

// §4.5.1, as on the wire: Encoded Required Insert Count (8+), Sign bit, Delta Base (7+).
struct FieldSectionPrefix {
  uint64_t encoded_required_insert_count = 0;
  bool sign = false;
  uint64_t delta_base = 0;
};

// §4.5.1.2: the prefix for a section with this Required Insert Count and Base.
FieldSectionPrefix MakeFieldSectionPrefix(uint64_t required_insert_count, uint64_t base,
                                          uint64_t max_entries);
void AppendFieldSectionPrefix(const FieldSectionPrefix& prefix, std::string* out);
ParseStatus ParseFieldSectionPrefix(std::string_view in, size_t* pos, FieldSectionPrefix* out);

struct FieldLine {
  enum class Kind {
    kIndexed,                 // §4.5.2: 1 T index(6+)
    kIndexedPostBase,         // §4.5.3: 0001 index(4+)
    kLiteralNameRef,          // §4.5.4: 01 N T index(4+) value
    kLiteralPostBaseNameRef,  // §4.5.5: 0000 N index(3+) value
    kLiteralName,             // §4.5.6: 001 N H name(3+) value
  };
  Kind kind = Kind::kIndexed;
  bool is_static = false;    // kIndexed, kLiteralNameRef
  bool never_index = false;  // the N bit of literals (§4.5.4)
  uint64_t index = 0;        // relative or post-base for dynamic references
  std::string name;          // kLiteralName
  std::string value;         // literals
};

void AppendFieldLine(const FieldLine& line, std::string* out);

// Parses one representation; strings longer than `max_string_length` are kError.
ParseStatus ParseFieldLine(std::string_view in, size_t* pos, size_t max_string_length,
                           FieldLine* out);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_FIELD_LINE_H_
