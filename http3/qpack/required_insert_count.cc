#include "http3/qpack/required_insert_count.h"

namespace kite::http3::qpack {

uint64_t EncodeRequiredInsertCount(uint64_t required_insert_count, uint64_t max_entries) {
  if (required_insert_count == 0) return 0;
  return required_insert_count % (2 * max_entries) + 1;
}

std::optional<uint64_t> DecodeRequiredInsertCount(uint64_t encoded, uint64_t max_entries,
                                                  uint64_t total_inserts) {
  if (encoded == 0) return 0;
  const uint64_t full_range = 2 * max_entries;
  if (encoded > full_range) return std::nullopt;
  const uint64_t max_value = total_inserts + max_entries;
  const uint64_t max_wrapped = (max_value / full_range) * full_range;
  uint64_t required = max_wrapped + encoded - 1;
  if (required > max_value) {
    if (required <= full_range) return std::nullopt;
    required -= full_range;
  }
  if (required == 0) return std::nullopt;
  return required;
}

}  // namespace kite::http3::qpack
