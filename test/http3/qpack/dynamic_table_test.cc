#include "http3/qpack/dynamic_table.h"

#include <catch2/catch.hpp>
#include <string>

namespace kite::http3::qpack {
namespace {

// Entry size = name + value + 32 (RFC 9204 §3.2.1).
TEST_CASE("capacity, insertion, eviction and absolute indices") {
  DynamicTable t(220);
  CHECK(t.capacity() == 0);  // §3.2.3: starts at zero
  CHECK_FALSE(t.Insert("a", "b"));
  CHECK_FALSE(t.SetCapacity(221));
  REQUIRE(t.SetCapacity(220));
  REQUIRE(t.Insert(":authority", "www.example.com"));  // 10 + 15 + 32 = 57
  REQUIRE(t.Insert(":path", "/sample/path"));          // 5 + 12 + 32 = 49
  CHECK(t.size() == 106);
  CHECK(t.insert_count() == 2);
  CHECK(t.first_index() == 0);
  CHECK(t.Get(0)->value == "www.example.com");
  CHECK(t.Get(1)->name == ":path");
  CHECK(t.Get(2) == nullptr);
  REQUIRE(t.Insert("custom-key", "custom-value"));  // 54 -> 160
  // 60 more bytes fit exactly in 220; 61 evict the oldest entry.
  CHECK(t.SurvivorsAfterInsert(60) == 0u);
  CHECK(t.SurvivorsAfterInsert(61) == 1u);
  CHECK(t.SurvivorsAfterInsert(221) == std::nullopt);
  REQUIRE(t.Insert(":authority", "www.example.com1234"));  // 61
  CHECK(t.first_index() == 1);
  CHECK(t.Get(0) == nullptr);
  CHECK(t.size() == 49 + 54 + 61);
  // An entry larger than the capacity is refused and changes nothing.
  CHECK_FALSE(t.Insert(std::string(200, 'x'), ""));
  CHECK(t.insert_count() == 4);
  // Shrinking evicts from the old end; zero empties the table.
  REQUIRE(t.SetCapacity(111));
  CHECK(t.first_index() == 3);
  CHECK(t.size() == 61);
  REQUIRE(t.SetCapacity(0));
  CHECK(t.size() == 0);
  CHECK(t.first_index() == 4);
  CHECK(t.Get(3) == nullptr);
}

TEST_CASE("lookups follow the newest entry and forget evicted ones") {
  DynamicTable t(4096);
  REQUIRE(t.SetCapacity(200));
  REQUIRE(t.Insert("x", "1"));  // 34 bytes each
  REQUIRE(t.Insert("x", "2"));
  REQUIRE(t.Insert("x", "1"));
  CHECK(t.FindExact("x", "1") == 2u);
  CHECK(t.FindExact("x", "2") == 1u);
  CHECK(t.FindName("x") == 2u);
  CHECK_FALSE(t.FindExact("x", "3").has_value());
  for (int i = 0; i < 5; ++i) REQUIRE(t.Insert("y", std::to_string(i)));
  // 200 / 34 = 5 entries: all the x entries are gone.
  CHECK_FALSE(t.FindName("x").has_value());
  CHECK_FALSE(t.FindExact("x", "1").has_value());
  CHECK(t.FindName("y") == 7u);
}

TEST_CASE("draining boundary keeps a target of free or evictable space") {
  DynamicTable t(4096);
  REQUIRE(t.SetCapacity(340));
  for (int i = 0; i < 10; ++i) REQUIRE(t.Insert("k", std::to_string(i)));  // 34 each, full
  CHECK(t.size() == 340);
  CHECK(t.DrainingBoundary(0) == 0u);
  CHECK(t.DrainingBoundary(34) == 1u);
  CHECK(t.DrainingBoundary(85) == 3u);  // needs three entries to cover 85 bytes
  REQUIRE(t.SetCapacity(340));
  DynamicTable half(4096);
  REQUIRE(half.SetCapacity(340));
  for (int i = 0; i < 5; ++i) REQUIRE(half.Insert("k", std::to_string(i)));
  CHECK(half.DrainingBoundary(170) == 0u);  // free space covers it
  CHECK(half.DrainingBoundary(171) == 1u);
}

}  // namespace
}  // namespace kite::http3::qpack
