// An HTTP field line as HTTP/3 carries it (RFC 9114 §4.2): lowercase name and value, in order.
// The same type QPACK takes and produces, so field sections cross that boundary uncopied.
#ifndef KITE_HTTP3_HEADER_FIELD_H_
#define KITE_HTTP3_HEADER_FIELD_H_

#include <cstddef>
#include <optional>
#include <string_view>

#include "http3/qpack/header_list.h"

namespace kite::http3 {

using HeaderField = qpack::HeaderField;
using HeaderList = qpack::HeaderList;

// RFC 9114 §4.2.2: a field section's size is the sum of name and value lengths plus 32 per
// field (the RFC 9204 §3.2.1 entry overhead).
inline size_t FieldSectionSize(const HeaderList& fields) {
  size_t n = 0;
  for (const HeaderField& f : fields) n += f.name.size() + f.value.size() + 32;
  return n;
}

// The first field named `name`, if any.
inline std::optional<std::string_view> FindField(const HeaderList& fields,
                                                 std::string_view name) {
  for (const HeaderField& f : fields) {
    if (f.name == name) return std::string_view(f.value);
  }
  return std::nullopt;
}

}  // namespace kite::http3

#endif  // KITE_HTTP3_HEADER_FIELD_H_
