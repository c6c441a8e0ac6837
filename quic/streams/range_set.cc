#include "quic/streams/range_set.h"

#include <algorithm>
#include <iterator>

namespace kite::quic {

RangeSet::const_iterator RangeSet::FirstEndingAfter(uint64_t value) const {
  // Ranges are disjoint and sorted, so only the range before upper_bound(value) can contain
  // `value`; every later range starts after it.
  auto it = ranges_.upper_bound(value);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > value) return prev;
  }
  return it;
}

void RangeSet::Add(uint64_t start, uint64_t end) {
  if (start >= end) return;
  // Merge with a predecessor that touches or overlaps [start, end).
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second >= start) {
      if (prev->second >= end) return;  // already covered
      start = prev->first;
      it = prev;
    }
  }
  // Swallow every range starting within [start, end].
  while (it != ranges_.end() && it->first <= end) {
    end = std::max(end, it->second);
    it = ranges_.erase(it);
  }
  ranges_.insert_or_assign(start, end);
}

void RangeSet::Remove(uint64_t start, uint64_t end) {
  if (start >= end) return;
  auto it = ranges_.upper_bound(start);
  if (it != ranges_.begin()) {
    auto prev = std::prev(it);
    if (prev->second > start) {
      const uint64_t prev_end = prev->second;
      if (prev->first < start) {
        prev->second = start;  // keep the part before `start`
      } else {
        ranges_.erase(prev);
      }
      if (prev_end > end) {
        ranges_.insert_or_assign(end, prev_end);  // the part after `end`
        return;
      }
      it = ranges_.upper_bound(start);
    }
  }
  while (it != ranges_.end() && it->first < end) {
    if (it->second > end) {
      const uint64_t tail_end = it->second;
      ranges_.erase(it);
      ranges_.insert_or_assign(end, tail_end);
      return;
    }
    it = ranges_.erase(it);
  }
}

bool RangeSet::Contains(uint64_t value) const {
  auto it = FirstEndingAfter(value);
  return it != ranges_.end() && it->first <= value;
}

bool RangeSet::ContainsRange(uint64_t start, uint64_t end) const {
  if (start >= end) return true;
  auto it = FirstEndingAfter(start);
  return it != ranges_.end() && it->first <= start && it->second >= end;
}

bool RangeSet::Overlaps(uint64_t start, uint64_t end) const {
  if (start >= end) return false;
  auto it = FirstEndingAfter(start);
  return it != ranges_.end() && it->first < end;
}

void RangeSet::ForEachGap(uint64_t start, uint64_t end,
                          absl::FunctionRef<void(Range)> fn) const {
  uint64_t cursor = start;
  for (auto it = FirstEndingAfter(start); it != ranges_.end() && cursor < end; ++it) {
    if (it->first >= end) break;
    if (it->first > cursor) fn(Range{cursor, it->first});
    cursor = std::max(cursor, it->second);
  }
  if (cursor < end) fn(Range{cursor, end});
}

void RangeSet::ForEachOverlap(uint64_t start, uint64_t end,
                              absl::FunctionRef<void(Range)> fn) const {
  for (auto it = FirstEndingAfter(start); it != ranges_.end() && it->first < end; ++it) {
    fn(Range{std::max(start, it->first), std::min(end, it->second)});
  }
}

uint64_t RangeSet::ContiguousEnd(uint64_t value) const {
  auto it = FirstEndingAfter(value);
  if (it != ranges_.end() && it->first <= value) return it->second;
  return value;
}

std::optional<Range> RangeSet::First() const {
  if (ranges_.empty()) return std::nullopt;
  return Range{ranges_.begin()->first, ranges_.begin()->second};
}

std::optional<Range> RangeSet::Last() const {
  if (ranges_.empty()) return std::nullopt;
  auto it = std::prev(ranges_.end());
  return Range{it->first, it->second};
}

uint64_t RangeSet::TotalLength() const {
  uint64_t total = 0;
  for (const auto& [s, e] : ranges_) total += e - s;
  return total;
}

}  // namespace kite::quic
