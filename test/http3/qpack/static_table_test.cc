#include "http3/qpack/static_table.h"

#include <catch2/catch.hpp>

namespace kite::http3::qpack {
namespace {

// RFC 9204 Appendix A.
TEST_CASE("static table entries and lookups") {
  REQUIRE(GetStaticEntry(0) != nullptr);
  CHECK(GetStaticEntry(0)->name == ":authority");
  CHECK(GetStaticEntry(0)->value.empty());
  CHECK(GetStaticEntry(17)->name == ":method");
  CHECK(GetStaticEntry(17)->value == "GET");
  CHECK(GetStaticEntry(29)->value == "*/*");
  CHECK(GetStaticEntry(85)->value == "script-src 'none'; object-src 'none'; base-uri 'none'");
  CHECK(GetStaticEntry(98)->name == "x-frame-options");
  CHECK(GetStaticEntry(98)->value == "sameorigin");
  CHECK(GetStaticEntry(99) == nullptr);

  StaticMatch m = FindInStaticTable(":method", "POST");
  CHECK(m.exact == 20u);
  CHECK(m.name == 15u);  // the first :method entry (CONNECT)
  m = FindInStaticTable(":method", "PATCH");
  CHECK_FALSE(m.exact.has_value());
  CHECK(m.name == 15u);
  m = FindInStaticTable("x-custom", "1");
  CHECK_FALSE(m.name.has_value());
  CHECK_FALSE(m.exact.has_value());
  for (uint64_t i = 0; i < kStaticTableSize; ++i) {
    const StaticEntry* e = GetStaticEntry(i);
    m = FindInStaticTable(e->name, e->value);
    REQUIRE(m.exact == i);  // no duplicate entries
  }
}

}  // namespace
}  // namespace kite::http3::qpack
