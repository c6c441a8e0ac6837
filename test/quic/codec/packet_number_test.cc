#include <catch2/catch.hpp>

#include <cstdint>
#include <optional>

#include "quic/codec/packet_number.h"

namespace kite::quic {
namespace {

TEST_CASE("RFC 9000 A.2 examples pick 2 and 3 bytes", "[packet_number]") {
  // 0xac5c02 - 0xabe8b3 = 0x734f unacked; twice that (0xe69e) needs 16 bits.
  CHECK(PacketNumberLengthForSend(0xac5c02, 0xabe8b3) == 2);
  // 0xace8fe - 0xabe8b3 = 0x1004b; twice that (0x20096) needs 18 bits.
  CHECK(PacketNumberLengthForSend(0xace8fe, 0xabe8b3) == 3);
}

TEST_CASE("packet number length boundaries", "[packet_number]") {
  // Nothing acked: num_unacked = pn + 1.
  CHECK(PacketNumberLengthForSend(0, std::nullopt) == 1);
  CHECK(PacketNumberLengthForSend(126, std::nullopt) == 1);  // 127 unacked, 254 < 256
  CHECK(PacketNumberLengthForSend(127, std::nullopt) == 2);  // 128 unacked, 256 needs 9 bits
  // With acks: num_unacked = pn - largest_acked.
  CHECK(PacketNumberLengthForSend(1000ull + 127, 1000) == 1);
  CHECK(PacketNumberLengthForSend(1000ull + 128, 1000) == 2);
  CHECK(PacketNumberLengthForSend(1000ull + 0x7fff, 1000) == 2);
  CHECK(PacketNumberLengthForSend(1000ull + 0x8000, 1000) == 3);
  CHECK(PacketNumberLengthForSend(1000ull + 0x7fffff, 1000) == 3);
  CHECK(PacketNumberLengthForSend(1000ull + 0x800000, 1000) == 4);
  CHECK(PacketNumberLengthForSend(1000ull + 0x7fffffff, 1000) == 4);
  // Beyond what 32 bits can cover: still the longest encoding, never more.
  CHECK(PacketNumberLengthForSend(kMaxPacketNumber, 0) == 4);
  CHECK(PacketNumberLengthForSend(kMaxPacketNumber, std::nullopt) == 4);
  // An ack at or past the packet being sent (a caller bug) still yields a valid length.
  CHECK(PacketNumberLengthForSend(5, 5) == 1);
  CHECK(PacketNumberLengthForSend(5, 9) == 1);
}

TEST_CASE("RFC 9000 A.3 example decodes", "[packet_number]") {
  CHECK(DecodePacketNumber(0xa82f30ea, 0x9b32, 16) == 0xa82f9b32);
}

TEST_CASE("decode wraps forward and backward around the window", "[packet_number]") {
  // Expected 0x100 (largest 0xff): an 8-bit 0x01 is just past expected, 0xff just before.
  CHECK(DecodePacketNumber(0xff, 0x01, 8) == 0x101);
  CHECK(DecodePacketNumber(0xff, 0xff, 8) == 0xff);
  CHECK(DecodePacketNumber(0xff, 0x80, 8) == 0x180);  // expected + hwin is inside
  CHECK(DecodePacketNumber(0xff, 0x81, 8) == 0x81);   // just beyond: previous window
  // Backward step: largest 0x1fe, expected 0x1ff; 0x7f is candidate 0x17f (= expected -
  // hwin, excluded) so it moves up to 0x27f.
  CHECK(DecodePacketNumber(0x1fe, 0x7f, 8) == 0x27f);
  CHECK(DecodePacketNumber(0x1fe, 0x80, 8) == 0x180);
  // 32-bit fields.
  CHECK(DecodePacketNumber(0xfffffffe, 0x00000000, 32) == 0x100000000);
  CHECK(DecodePacketNumber(0x100000001, 0xffffffff, 32) == 0xffffffff);
}

TEST_CASE("decode with nothing received yet takes the field as is", "[packet_number]") {
  CHECK(DecodePacketNumber(std::nullopt, 0, 8) == 0);
  CHECK(DecodePacketNumber(std::nullopt, 0x7f, 8) == 0x7f);
  CHECK(DecodePacketNumber(std::nullopt, 0xff, 8) == 0xff);
  CHECK(DecodePacketNumber(std::nullopt, 0x9b32, 16) == 0x9b32);
  // Small largest_pn: the "minus half window" branch must not wrap below zero.
  CHECK(DecodePacketNumber(0, 0xff, 8) == 0xff);
  CHECK(DecodePacketNumber(3, 0xfe, 8) == 0xfe);
}

TEST_CASE("decode near the top of the packet number space", "[packet_number]") {
  // Adding a window would pass 2^62; the candidate stays put.
  const uint64_t largest = kMaxPacketNumber - 1;
  const uint64_t trunc = TruncatePacketNumber(kMaxPacketNumber, 1);
  CHECK(DecodePacketNumber(largest, trunc, 8) == kMaxPacketNumber);
  const uint64_t low = TruncatePacketNumber(kMaxPacketNumber - 0x90, 1);
  CHECK(DecodePacketNumber(largest, low, 8) == kMaxPacketNumber - 0x90);
}

TEST_CASE("truncate then decode round trips for every length", "[packet_number]") {
  const uint64_t largest_values[] = {0, 1, 0xfe, 0xffff, 0x123456, 0xa82f30ea, 0x3fffffff00};
  for (uint64_t largest_acked : largest_values) {
    for (uint64_t delta : {uint64_t{1}, uint64_t{2}, uint64_t{100}, uint64_t{0x7fff},
                           uint64_t{0x12345}, uint64_t{0x7fffff}}) {
      const uint64_t pn = largest_acked + delta;
      const size_t len = PacketNumberLengthForSend(pn, largest_acked);
      const uint64_t trunc = TruncatePacketNumber(pn, len);
      // The receiver has seen at least largest_acked and at most pn - 1.
      CHECK(DecodePacketNumber(largest_acked, trunc, len * 8) == pn);
      CHECK(DecodePacketNumber(pn - 1, trunc, len * 8) == pn);
    }
  }
}

TEST_CASE("decode ignores bits above the field width", "[packet_number]") {
  CHECK(DecodePacketNumber(0xa82f30ea, 0xffff9b32, 16) == 0xa82f9b32);
}

}  // namespace
}  // namespace kite::quic
