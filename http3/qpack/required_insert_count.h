// Required Insert Count encoding (RFC 9204 §4.5.1.1).
#ifndef KITE_HTTP3_QPACK_REQUIRED_INSERT_COUNT_H_
#define KITE_HTTP3_QPACK_REQUIRED_INSERT_COUNT_H_

#include <cstdint>
#include <optional>

namespace kite::http3::qpack {

// §3.2.1/§4.5.1.1: MaxEntries = floor(MaxTableCapacity / 32).
inline constexpr uint64_t MaxEntries(uint64_t max_table_capacity) {
  return max_table_capacity / 32;
}

uint64_t EncodeRequiredInsertCount(uint64_t required_insert_count, uint64_t max_entries);

// nullopt when `encoded` could not have been produced by a conformant encoder (the caller
// raises QPACK_DECOMPRESSION_FAILED). `total_inserts` is the decoder's Insert Count.
std::optional<uint64_t> DecodeRequiredInsertCount(uint64_t encoded, uint64_t max_entries,
                                                  uint64_t total_inserts);

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_REQUIRED_INSERT_COUNT_H_
