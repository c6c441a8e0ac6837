#include "http3/qpack/required_insert_count.h"

#include <catch2/catch.hpp>
#include <optional>

namespace kite::http3::qpack {
namespace {

TEST_CASE("RFC 9204 §4.5.1.1 wrap-around example") {
  // "if the dynamic table is 100 bytes, then the Required Insert Count will be encoded
  // modulo 6. If a decoder has received 10 inserts, then an encoded value of 4 indicates
  // that the Required Insert Count is 9".
  CHECK(MaxEntries(100) == 3);
  CHECK(EncodeRequiredInsertCount(9, 3) == 4);
  CHECK(DecodeRequiredInsertCount(4, 3, 10) == 9u);
  CHECK(EncodeRequiredInsertCount(0, 3) == 0);
  CHECK(DecodeRequiredInsertCount(0, 3, 10) == 0u);
}

TEST_CASE("decode inverts encode across every reachable window") {
  uint64_t checked = 0;
  for (uint64_t max_entries : {1, 2, 3, 7, 128}) {
    for (uint64_t total = 0; total < 6 * max_entries + 10; ++total) {
      // A conformant Required Insert Count lies in (total - MaxEntries, total + MaxEntries]:
      // its newest entry is still in a table of at most MaxEntries entries, and the encoder is
      // at most a table ahead of the decoder.
      const uint64_t low = total >= max_entries ? total - max_entries + 1 : 1;
      for (uint64_t ric = low; ric <= total + max_entries; ++ric) {
        const std::optional<uint64_t> got = DecodeRequiredInsertCount(
            EncodeRequiredInsertCount(ric, max_entries), max_entries, total);
        // Catch2 assertions only on failure: this loop runs ~10^5 times.
        if (got != ric) {
          INFO("max_entries " << max_entries << " total " << total << " ric " << ric);
          REQUIRE(got == ric);
        }
        ++checked;
      }
    }
  }
  CHECK(checked > 100000);
}

TEST_CASE("values no conformant encoder produces are rejected") {
  CHECK_FALSE(DecodeRequiredInsertCount(7, 3, 10).has_value());  // > 2 * MaxEntries
  CHECK_FALSE(DecodeRequiredInsertCount(1, 0, 0).has_value());   // no dynamic table
  // Encoded 1 with no inserts yet means RIC 0 mod 6 with a wrap: invalid.
  CHECK_FALSE(DecodeRequiredInsertCount(1, 3, 0).has_value());
}

}  // namespace
}  // namespace kite::http3::qpack
