// Field lines as the QPACK encoder takes and the decoder produces them.
#ifndef KITE_HTTP3_QPACK_HEADER_LIST_H_
#define KITE_HTTP3_QPACK_HEADER_LIST_H_

#include <cstdint>
#include <string>
#include <vector>

namespace kite::http3::qpack {

struct HeaderField {
  std::string name;
  std::string value;

  bool operator==(const HeaderField& o) const { return name == o.name && value == o.value; }
  bool operator!=(const HeaderField& o) const { return !(*this == o); }
};

// One field section, in order (RFC 9204 §2.1: order is preserved).
using HeaderList = std::vector<HeaderField>;

// RFC 9204 §3.2.1 / RFC 9114 §4.2.2: a field's size is name + value + 32 bytes.
inline constexpr uint64_t kFieldOverhead = 32;

inline uint64_t FieldSize(const HeaderField& f) {
  return f.name.size() + f.value.size() + kFieldOverhead;
}

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_HEADER_LIST_H_
