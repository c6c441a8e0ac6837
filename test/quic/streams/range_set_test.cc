#include "quic/streams/range_set.h"

#include <cstdint>
#include <limits>
#include <random>
#include <set>
#include <vector>

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

std::vector<Range> Ranges(const RangeSet& set) {
  std::vector<Range> out;
  for (const auto& [s, e] : set) out.push_back(Range{s, e});
  return out;
}

TEST_CASE("RangeSet merges overlapping and adjacent ranges", "[streams]") {
  RangeSet set;
  set.Add(10, 20);
  set.Add(30, 40);
  CHECK(set.size() == 2);
  set.Add(20, 30);  // touches both: one range
  CHECK(Ranges(set) == std::vector<Range>{{10, 40}});
  set.Add(5, 12);
  set.Add(35, 50);
  CHECK(Ranges(set) == std::vector<Range>{{5, 50}});
  set.Add(60, 70);
  set.Add(0, 100);  // swallows everything
  CHECK(Ranges(set) == std::vector<Range>{{0, 100}});
  set.Add(7, 7);  // empty
  set.Add(9, 3);  // inverted
  CHECK(set.size() == 1);
  CHECK(set.TotalLength() == 100);
}

TEST_CASE("RangeSet remove splits and trims", "[streams]") {
  RangeSet set;
  set.Add(0, 100);
  set.Remove(40, 60);
  CHECK(Ranges(set) == std::vector<Range>{{0, 40}, {60, 100}});
  set.Remove(30, 70);
  CHECK(Ranges(set) == std::vector<Range>{{0, 30}, {70, 100}});
  set.Remove(0, 10);
  set.Remove(95, 200);
  CHECK(Ranges(set) == std::vector<Range>{{10, 30}, {70, 95}});
  set.Add(200, 300);
  set.Remove(20, 250);  // spans several ranges
  CHECK(Ranges(set) == std::vector<Range>{{10, 20}, {250, 300}});
  set.RemoveBelow(260);
  CHECK(Ranges(set) == std::vector<Range>{{260, 300}});
  set.Remove(260, 300);
  CHECK(set.empty());
}

TEST_CASE("RangeSet queries: contains, gaps, overlaps, contiguous end", "[streams]") {
  RangeSet set;
  set.Add(10, 20);
  set.Add(30, 40);
  CHECK_FALSE(set.Contains(9));
  CHECK(set.Contains(10));
  CHECK(set.Contains(19));
  CHECK_FALSE(set.Contains(20));
  CHECK(set.ContainsRange(12, 20));
  CHECK_FALSE(set.ContainsRange(12, 21));
  CHECK_FALSE(set.ContainsRange(15, 35));
  CHECK(set.Overlaps(19, 30));
  CHECK_FALSE(set.Overlaps(20, 30));
  CHECK(set.ContiguousEnd(10) == 20);
  CHECK(set.ContiguousEnd(25) == 25);
  std::vector<Range> gaps;
  set.ForEachGap(0, 50, [&](Range r) { gaps.push_back(r); });
  CHECK(gaps == std::vector<Range>{{0, 10}, {20, 30}, {40, 50}});
  gaps.clear();
  set.ForEachGap(12, 35, [&](Range r) { gaps.push_back(r); });
  CHECK(gaps == std::vector<Range>{{20, 30}});
  std::vector<Range> overlaps;
  set.ForEachOverlap(15, 35, [&](Range r) { overlaps.push_back(r); });
  CHECK(overlaps == std::vector<Range>{{15, 20}, {30, 35}});
  CHECK(set.First() == Range{10, 20});
  CHECK(set.Last() == Range{30, 40});
}

TEST_CASE("RangeSet at the ends of the uint64 space", "[streams]") {
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  RangeSet set;
  set.Add(kMax - 10, kMax);
  set.Add(0, 1);
  CHECK(set.Contains(kMax - 1));
  CHECK_FALSE(set.Contains(kMax));
  set.Remove(kMax - 5, kMax);
  CHECK(Ranges(set) == std::vector<Range>{{0, 1}, {kMax - 10, kMax - 5}});
  std::vector<Range> gaps;
  set.ForEachGap(0, kMax, [&](Range r) { gaps.push_back(r); });
  CHECK(gaps == std::vector<Range>{{1, kMax - 10}, {kMax - 5, kMax}});
}

TEST_CASE("RangeSet matches a bitmap model under random operations", "[streams]") {
  std::mt19937 rng(7);
  constexpr uint64_t kSpace = 300;
  RangeSet set;
  std::vector<bool> model(kSpace, false);
  for (int i = 0; i < 3000; ++i) {
    const uint64_t a = rng() % kSpace;
    const uint64_t b = a + rng() % 20;
    const uint64_t end = std::min(b, kSpace);
    const bool add = rng() % 3 != 0;
    if (add) {
      set.Add(a, end);
    } else {
      set.Remove(a, end);
    }
    for (uint64_t v = a; v < end; ++v) model[v] = add;
    // Compare: ranges are disjoint, non-adjacent, and cover exactly the model.
    std::vector<bool> seen(kSpace, false);
    uint64_t prev_end = 0;
    bool first = true;
    for (const auto& [s, e] : set) {
      REQUIRE(s < e);
      if (!first) REQUIRE(s > prev_end);
      first = false;
      prev_end = e;
      for (uint64_t v = s; v < e; ++v) seen[v] = true;
    }
    REQUIRE(seen == model);
  }
}

}  // namespace
}  // namespace kite::quic
