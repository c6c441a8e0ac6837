#include "congestion/windowed_filter.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <random>
#include <utility>

namespace kite::congestion {
namespace {

TEST_CASE("max filter keeps the best sample of the window", "[congestion][windowed_filter]") {
  WindowedMaxFilter<uint64_t> f(/*window_length=*/2, 0);
  CHECK(f.Best() == 0);
  CHECK(f.Update(100, 0) == 100);
  CHECK(f.Update(50, 0) == 100);
  // Time 1: the sample of time 0 is still in a 2-unit window (current and previous).
  CHECK(f.Update(60, 1) == 100);
  CHECK(f.Best(1) == 100);
  // Time 2: time 0 expired; 60 (time 1) is the best left.
  CHECK(f.Update(10, 2) == 60);
  CHECK(f.Best(3) == 10);
  CHECK(f.Best(4) == 0);
  // A new maximum replaces everything older.
  CHECK(f.Update(500, 4) == 500);
  CHECK(f.size() == 1);
}

TEST_CASE("min filter mirrors the max filter", "[congestion][windowed_filter]") {
  WindowedMinFilter<int64_t> f(3, INT64_MAX);
  CHECK(f.Update(30, 0) == 30);
  CHECK(f.Update(40, 1) == 30);
  CHECK(f.Update(35, 2) == 30);
  CHECK(f.Update(50, 3) == 35);  // 30 (time 0) left the 3-unit window
  CHECK(f.Update(60, 5) == 50);
  CHECK(f.Update(70, 6) == 60);
}

TEST_CASE("windowed filter matches a brute-force window on random input",
          "[congestion][windowed_filter]") {
  std::mt19937_64 rng(7);
  for (uint64_t window : {1u, 2u, 3u, 10u}) {
    WindowedMaxFilter<uint64_t> f(window, 0);
    std::deque<std::pair<uint64_t, uint64_t>> all;  // (time, value)
    uint64_t t = 0;
    for (int i = 0; i < 2000; ++i) {
      t += rng() % 3;  // several samples per time unit, and gaps
      uint64_t v = rng() % 1000;
      all.emplace_back(t, v);
      uint64_t got = f.Update(v, t);
      uint64_t want = 0;
      for (const auto& s : all) {
        if (t - s.first < window) want = std::max(want, s.second);
      }
      REQUIRE(got == want);
      REQUIRE(f.size() <= window);
    }
  }
}

}  // namespace
}  // namespace kite::congestion
