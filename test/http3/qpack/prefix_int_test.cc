#include "http3/qpack/prefix_int.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <random>
#include <string>

namespace kite::http3::qpack {
namespace {

std::string Encode(uint8_t flags, int prefix, uint64_t v) {
  std::string out;
  AppendPrefixInt(flags, prefix, v, &out);
  return out;
}

// RFC 7541 Appendix C.1.
TEST_CASE("RFC 7541 C.1 examples") {
  CHECK(Encode(0, 5, 10) == std::string("\x0a", 1));
  CHECK(Encode(0, 5, 1337) == std::string("\x1f\x9a\x0a", 3));
  CHECK(Encode(0, 8, 42) == std::string("\x2a", 1));
  size_t pos = 0;
  uint64_t v = 0;
  REQUIRE(ParsePrefixInt(std::string("\xff\x9a\x0a", 3), &pos, 5, &v) == ParseStatus::kOk);
  CHECK(v == 1337);  // the bits above the prefix are ignored
  CHECK(pos == 3);
}

TEST_CASE("flags above the prefix are kept and boundaries round-trip") {
  CHECK(Encode(0xc0, 6, 5) == std::string("\xc5", 1));
  for (int prefix = 1; prefix <= 8; ++prefix) {
    const uint64_t max_prefix = (uint64_t{1} << prefix) - 1;
    for (uint64_t v : {uint64_t{0}, max_prefix - 1, max_prefix, max_prefix + 1, max_prefix + 127,
                       max_prefix + 128, uint64_t{1} << 32, kMaxPrefixIntValue}) {
      if (prefix == 1 && v == max_prefix - 1) continue;
      const std::string s = Encode(0, prefix, v);
      size_t pos = 0;
      uint64_t got = 0;
      INFO("prefix " << prefix << " value " << v);
      REQUIRE(ParsePrefixInt(s, &pos, prefix, &got) == ParseStatus::kOk);
      CHECK(got == v);
      CHECK(pos == s.size());
      // Every truncation says "need more" and consumes nothing.
      for (size_t n = 0; n < s.size(); ++n) {
        size_t p = 0;
        CHECK(ParsePrefixInt(s.substr(0, n), &p, prefix, &got) == ParseStatus::kIncomplete);
        CHECK(p == 0);
      }
    }
  }
}

TEST_CASE("random values round-trip") {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 10000; ++i) {
    const int prefix = 1 + static_cast<int>(rng() % 8);
    const uint64_t v = (rng() & kMaxPrefixIntValue) >> (rng() % 62);
    const std::string s = Encode(0, prefix, v);
    size_t pos = 0;
    uint64_t got = 0;
    REQUIRE(ParsePrefixInt(s, &pos, prefix, &got) == ParseStatus::kOk);
    REQUIRE(got == v);
  }
}

TEST_CASE("integers above 62 bits are errors, not overflows") {
  std::string s = Encode(0, 5, kMaxPrefixIntValue);
  size_t pos = 0;
  uint64_t v = 0;
  REQUIRE(ParsePrefixInt(s, &pos, 5, &v) == ParseStatus::kOk);
  // One more than the maximum.
  std::string over = Encode(0, 8, kMaxPrefixIntValue);
  over[1] = static_cast<char>(static_cast<uint8_t>(over[1]) + 1);
  pos = 0;
  CHECK(ParsePrefixInt(over, &pos, 8, &v) == ParseStatus::kError);
  // Endless continuation bytes.
  std::string endless = "\x1f" + std::string(20, '\x80');
  pos = 0;
  CHECK(ParsePrefixInt(endless, &pos, 5, &v) == ParseStatus::kError);
  // Zero-valued continuations past 62 bits are also refused (at most 9 continuation bytes).
  std::string padded = "\x1f" + std::string(9, '\x80') + std::string("\x00", 1);
  pos = 0;
  CHECK(ParsePrefixInt(padded, &pos, 5, &v) == ParseStatus::kError);
}

}  // namespace
}  // namespace kite::http3::qpack
