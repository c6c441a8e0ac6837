// The QPACK dynamic table (RFC 9204 §3.2): a FIFO of entries addressed by absolute index
// (§3.2.4), with a capacity set by the encoder up to the decoder's maximum (§3.2.3).
#ifndef KITE_HTTP3_QPACK_DYNAMIC_TABLE_H_
#define KITE_HTTP3_QPACK_DYNAMIC_TABLE_H_

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "http3/qpack/header_list.h"

namespace kite::http3::qpack {

class DynamicTable {
 public:
  // `max_capacity`: SETTINGS_QPACK_MAX_TABLE_CAPACITY (the decoder's limit).
  explicit DynamicTable(uint64_t max_capacity) : max_capacity_(max_capacity) {}

  uint64_t max_capacity() const { return max_capacity_; }
  uint64_t capacity() const { return capacity_; }
  uint64_t size() const { return size_; }
  // Total inserts so far; the next entry's absolute index.
  uint64_t insert_count() const { return insert_count_; }
  // Absolute index of the oldest entry still in the table (== insert_count() when empty).
  uint64_t first_index() const { return insert_count_ - entries_.size(); }

  // §3.2.3/§4.3.1: false if above the maximum. Shrinking evicts from the oldest end.
  bool SetCapacity(uint64_t capacity);

  // §3.2.2: evicts the oldest entries until the new one fits, then appends it. False (table
  // unchanged) if the entry alone is larger than the capacity.
  bool Insert(std::string name, std::string value);

  // The entry with this absolute index, or nullptr if evicted or not inserted yet.
  const HeaderField* Get(uint64_t absolute_index) const;

  // The lowest absolute index that survives inserting an entry of `entry_size` bytes: entries
  // below it would be evicted. nullopt if the entry cannot fit even in an empty table.
  std::optional<uint64_t> SurvivorsAfterInsert(uint64_t entry_size) const;

  // Absolute index of the lowest entry that must stay so that `free_target` bytes are free
  // or evictable below it: entries with a lower index are "draining" (§2.1.1.1).
  uint64_t DrainingBoundary(uint64_t free_target) const;

  // Newest entry with this name and value / with this name (for the encoder).
  std::optional<uint64_t> FindExact(std::string_view name, std::string_view value) const;
  std::optional<uint64_t> FindName(std::string_view name) const;

 private:
  void EvictOldest();
  static std::string Key(std::string_view name, std::string_view value);

  uint64_t max_capacity_;
  uint64_t capacity_ = 0;  // §3.2.3: the initial capacity is zero
  uint64_t size_ = 0;
  uint64_t insert_count_ = 0;
  std::deque<HeaderField> entries_;                  // front is the oldest
  std::unordered_map<std::string, uint64_t> exact_;  // name '\0' value -> newest index
  std::unordered_map<std::string, uint64_t> names_;  // name -> newest index
};

}  // namespace kite::http3::qpack

#endif  // KITE_HTTP3_QPACK_DYNAMIC_TABLE_H_
