// The QPACK static table (RFC 9204 §3.1, Appendix A).
#ifndef KITE_HTTP3_QPACK_STATIC_TABLE_H_
#define KITE_HTTP3_QPACK_STATIC_TABLE_H_

#include <cstdint>
#include <optional>
#include <string_view>

namespace kite::http3::qpack {

struct StaticEntry {
  std::string_view name;
  std::string_view value;
};

inline constexpr uint64_t kStaticTableSize = 99;

// The entry at `index` (0-based), or nullptr past the end.
const StaticEntry* GetStaticEntry(uint64_t index);

struct StaticMatch {
  std::optional<uint64_t> exact;  // an entry with this name and value
  std::optional<uint64_t> name;   // an entry with this name
};
StaticMatch FindInStaticTable(std::string_view name, std::string_view value);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_STATIC_TABLE_H_
