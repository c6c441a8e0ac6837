// A set of disjoint half-open uint64 ranges [start, end), kept merged: adjacent or overlapping
// ranges become one. Used for acked and lost send ranges and for received stream bytes.
#ifndef KITE_QUIC_STREAMS_RANGE_SET_H_
#define KITE_QUIC_STREAMS_RANGE_SET_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/functional/function_ref.h"

namespace kite::quic {

struct Range {
  uint64_t start = 0;
  uint64_t end = 0;  // exclusive
  uint64_t length() const { return end - start; }
  bool operator==(const Range& o) const { return start == o.start && end == o.end; }
};

class RangeSet {
 public:
  using Map = absl::btree_map<uint64_t, uint64_t>;  // start -> end
  using const_iterator = Map::const_iterator;

  // Adds [start, end); empty ranges (start >= end) are ignored.
  void Add(uint64_t start, uint64_t end);
  // Removes [start, end), splitting a range that straddles it.
  void Remove(uint64_t start, uint64_t end);
  // Removes everything below `bound`.
  void RemoveBelow(uint64_t bound) { Remove(0, bound); }
  void Clear() { ranges_.clear(); }

  bool Contains(uint64_t value) const;
  // Whether every value of [start, end) is in the set (true for an empty range).
  bool ContainsRange(uint64_t start, uint64_t end) const;
  // Whether any value of [start, end) is in the set.
  bool Overlaps(uint64_t start, uint64_t end) const;
  // Calls `fn` for each maximal sub-range of [start, end) that is NOT in the set, in order.
  void ForEachGap(uint64_t start, uint64_t end, absl::FunctionRef<void(Range)> fn) const;
  // Calls `fn` for each maximal sub-range of [start, end) that IS in the set, in order.
  void ForEachOverlap(uint64_t start, uint64_t end, absl::FunctionRef<void(Range)> fn) const;

  // The end of the range containing `value`, or `value` if it is not in the set.
  uint64_t ContiguousEnd(uint64_t value) const;

  std::optional<Range> First() const;
  std::optional<Range> Last() const;
  bool empty() const { return ranges_.empty(); }
  // Number of disjoint ranges.
  size_t size() const { return ranges_.size(); }
  // Sum of the lengths of all ranges.
  uint64_t TotalLength() const;

  const_iterator begin() const { return ranges_.begin(); }
  const_iterator end() const { return ranges_.end(); }

 private:
  // The range containing or starting after `value`'s predecessor: the first range whose end
  // is > value, or end().
  const_iterator FirstEndingAfter(uint64_t value) const;

  Map ranges_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_RANGE_SET_H_
