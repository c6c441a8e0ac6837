#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

std::vector<uint8_t> Encode(uint64_t v) {
  std::vector<uint8_t> buf(8);
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(w.WriteVarInt(v));
  buf.resize(w.length());
  return buf;
}

// RFC 9000 Appendix A.1 examples.
TEST_CASE("RFC 9000 A.1 varint examples decode and re-encode", "[varint]") {
  struct Example {
    std::vector<uint8_t> bytes;
    uint64_t value;
  };
  const std::vector<Example> examples = {
      {{0xc2, 0x19, 0x7c, 0x5e, 0xff, 0x14, 0xe8, 0x8c}, 151288809941952652ull},
      {{0x9d, 0x7f, 0x3e, 0x7d}, 494878333},
      {{0x7b, 0xbd}, 15293},
      {{0x25}, 37},
  };
  for (const auto& ex : examples) {
    DataReader r(ex.bytes.data(), ex.bytes.size());
    uint64_t v = 0;
    REQUIRE(r.ReadVarInt(&v));
    CHECK(v == ex.value);
    CHECK(r.empty());
    CHECK(Encode(ex.value) == ex.bytes);
  }
  // "the two-byte sequence 0x40 0x25 also decodes to 37"
  const uint8_t two[] = {0x40, 0x25};
  DataReader r(two, 2);
  uint64_t v = 0;
  REQUIRE(r.ReadVarInt(&v));
  CHECK(v == 37);
}

TEST_CASE("varint lengths and bounds", "[varint]") {
  CHECK(VarIntLength(0) == 1);
  CHECK(VarIntLength(63) == 1);
  CHECK(VarIntLength(64) == 2);
  CHECK(VarIntLength(16383) == 2);
  CHECK(VarIntLength(16384) == 4);
  CHECK(VarIntLength(1073741823) == 4);
  CHECK(VarIntLength(1073741824) == 8);
  CHECK(VarIntLength(kMaxVarInt) == 8);
  CHECK(VarIntLength(kMaxVarInt + 1) == 0);
  uint8_t buf[8];
  DataWriter w(buf, sizeof(buf));
  CHECK_FALSE(w.WriteVarInt(kMaxVarInt + 1));
  CHECK(w.length() == 0);
  CHECK_FALSE(w.WriteVarIntWithLength(64, 1));
  CHECK(w.WriteVarIntWithLength(37, 2));
  CHECK(buf[0] == 0x40);
  CHECK(buf[1] == 0x25);
}

TEST_CASE("varint truncated at every offset fails without consuming", "[varint]") {
  for (uint64_t v : {uint64_t{37}, uint64_t{15293}, uint64_t{494878333}, kMaxVarInt}) {
    std::vector<uint8_t> enc = Encode(v);
    for (size_t cut = 0; cut < enc.size(); ++cut) {
      DataReader r(enc.data(), cut);
      uint64_t out = 0;
      CHECK_FALSE(r.ReadVarInt(&out));
      CHECK(r.offset() == 0);
    }
  }
}

TEST_CASE("writer refuses writes past capacity", "[varint]") {
  uint8_t buf[3];
  DataWriter w(buf, sizeof(buf));
  CHECK(w.WriteUInt16(0x1234));
  CHECK_FALSE(w.WriteUInt16(0x5678));
  CHECK(w.length() == 2);
  CHECK(w.WriteUInt8(0x56));
  CHECK_FALSE(w.WriteBytes("x", 1));
  DataReader r(buf, sizeof(buf));
  uint32_t v = 0;
  REQUIRE(r.ReadUInt24(&v));
  CHECK(v == 0x123456);
  uint8_t b = 0;
  CHECK_FALSE(r.ReadUInt8(&b));
}

}  // namespace
}  // namespace kite::quic
