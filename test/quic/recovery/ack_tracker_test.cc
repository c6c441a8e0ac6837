#include "quic/recovery/ack_tracker.h"

#include <vector>

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

using absl::Milliseconds;
using tls::PacketNumberSpace;

const absl::Time kT0 = absl::FromUnixSeconds(1000);

PacketRangeList R(std::initializer_list<std::pair<uint64_t, uint64_t>> ranges) {
  PacketRangeList out;
  for (auto [s, l] : ranges) out.push_back(PacketRange{s, l});
  return out;
}

void Receive(AckTracker& t, uint64_t pn, absl::Time now, bool ack_eliciting = true,
             EcnCodepoint ecn = EcnCodepoint::kNotEct) {
  t.OnPacketReceived(pn, now, ack_eliciting, ecn);
}

TEST_CASE("ack tracker reports in-order packets as one range", "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  CHECK_FALSE(t.largest_received().has_value());
  CHECK_FALSE(t.HasNewAckToSend());
  CHECK(t.BuildAck(kT0).empty());
  for (uint64_t pn = 0; pn < 5; ++pn) Receive(t, pn, kT0 + Milliseconds(pn));
  AckRanges ack = t.BuildAck(kT0 + Milliseconds(10));
  CHECK(ack.ranges == R({{0, 4}}));
  // Delay is measured from receipt of the largest (pn 4 at +4 ms).
  CHECK(ack.ack_delay == Milliseconds(6));
  CHECK_FALSE(ack.ecn.has_value());
  CHECK(*t.largest_received() == 4);
}

TEST_CASE("ack tracker reports gaps as descending ranges", "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  for (uint64_t pn : {0, 1, 3, 5, 6}) Receive(t, pn, kT0);
  CHECK(t.BuildAck(kT0).ranges == R({{5, 6}, {3, 3}, {0, 1}}));
  // Filling the gaps merges ranges.
  Receive(t, 4, kT0);
  CHECK(t.BuildAck(kT0).ranges == R({{3, 6}, {0, 1}}));
  Receive(t, 2, kT0);
  CHECK(t.BuildAck(kT0).ranges == R({{0, 6}}));
  CHECK(t.range_count() == 1);
}

TEST_CASE("ack tracker detects duplicates", "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  Receive(t, 1, kT0, true, EcnCodepoint::kEct0);
  Receive(t, 3, kT0, true, EcnCodepoint::kEct0);
  CHECK(t.IsDuplicate(1));
  CHECK(t.IsDuplicate(3));
  CHECK_FALSE(t.IsDuplicate(0));
  CHECK_FALSE(t.IsDuplicate(2));
  CHECK_FALSE(t.IsDuplicate(4));
  // A duplicate changes nothing, not even the ECN counts.
  Receive(t, 3, kT0, true, EcnCodepoint::kEct0);
  CHECK(t.ecn_counts().ect0 == 2);
}

TEST_CASE("ack tracker bounds its ranges and treats forgotten packets as duplicates",
          "[recovery][ack_tracker]") {
  AckPolicy policy;
  policy.max_ack_ranges = 4;
  AckTracker t(PacketNumberSpace::kApplication, policy);
  for (uint64_t pn : {0, 2, 4, 6, 8, 10}) Receive(t, pn, kT0);
  CHECK(t.range_count() == 4);
  CHECK(t.BuildAck(kT0).ranges == R({{10, 10}, {8, 8}, {6, 6}, {4, 4}}));
  CHECK(t.IsDuplicate(0));
  CHECK(t.IsDuplicate(1));  // below the oldest range still remembered
  CHECK(t.IsDuplicate(2));
  CHECK_FALSE(t.IsDuplicate(3));
  CHECK_FALSE(t.IsDuplicate(5));
  // A peer leaving a gap after every packet cannot grow the state past the limit.
  for (uint64_t pn = 12; pn < 2000; pn += 2) Receive(t, pn, kT0);
  CHECK(t.range_count() == 4);
  AckTracker big(PacketNumberSpace::kApplication);
  for (uint64_t pn = 0; pn < 1000; pn += 2) Receive(big, pn, kT0);
  CHECK(big.range_count() == kMaxTrackedAckRanges);
  CHECK(big.BuildAck(kT0).ranges.size() == kMaxTrackedAckRanges);
}

TEST_CASE("ack tracker stops reporting what an acknowledged ACK covered",
          "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  for (uint64_t pn = 0; pn < 4; ++pn) Receive(t, pn, kT0);
  AckRanges first = t.BuildAck(kT0);
  t.OnAckSent(/*packet_number=*/10, first);
  CHECK_FALSE(t.HasNewAckToSend());
  Receive(t, 4, kT0);
  Receive(t, 6, kT0);
  AckRanges second = t.BuildAck(kT0);
  t.OnAckSent(11, second);
  CHECK(second.ranges == R({{6, 6}, {0, 4}}));
  // Our packet 10 (which carried "0-3") is acknowledged: 0-3 need not be reported again.
  t.OnPacketAcked(10);
  Receive(t, 7, kT0);
  CHECK(t.BuildAck(kT0).ranges == R({{6, 7}, {4, 4}}));
  // Packets not carrying an ACK change nothing.
  t.OnPacketAcked(12);
  CHECK(t.BuildAck(kT0).ranges == R({{6, 7}, {4, 4}}));
  // Packet 11 (up to 6) acknowledged: only 7 remains.
  t.OnPacketAcked(11);
  CHECK(t.BuildAck(kT0).ranges == R({{7, 7}}));
  // The pruned packets are still duplicates.
  CHECK(t.IsDuplicate(2));
  CHECK(t.IsDuplicate(6));
}

TEST_CASE("ack tracker prunes when far more ACKs than it remembers are sent per round trip",
          "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  // A gap at 1 keeps two ranges; then one ACK (our packets 100, 101, ...) per packet received.
  Receive(t, 0, kT0);
  const uint64_t kAcks = 4 * AckTracker::kMaxTrackedAckFrames;
  for (uint64_t i = 0; i < kAcks; ++i) {
    Receive(t, 2 + i, kT0);
    t.OnAckSent(100 + i, t.BuildAck(kT0));
  }
  REQUIRE(t.BuildAck(kT0).ranges.size() == 2);
  // The peer acknowledges our oldest ACK (which reported 0 and 2): both ranges up to 2 go.
  t.OnPacketAcked(100);
  Receive(t, 2 + kAcks, kT0);
  CHECK(t.BuildAck(kT0).ranges == R({{3, 2 + kAcks}}));
  // The latest ACK is remembered too.
  t.OnPacketAcked(100 + kAcks - 1);
  CHECK(t.BuildAck(kT0).ranges == R({{2 + kAcks, 2 + kAcks}}));
}

TEST_CASE("ack tracker forgets a lost ACK", "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  Receive(t, 0, kT0);
  Receive(t, 2, kT0);
  // Every slot filled by ACKs that are then lost, and one more.
  for (uint64_t i = 0; i < AckTracker::kMaxTrackedAckFrames; ++i) {
    t.OnAckSent(100 + i, t.BuildAck(kT0));
  }
  for (uint64_t i = 0; i + 1 < AckTracker::kMaxTrackedAckFrames; ++i) t.OnPacketLost(100 + i);
  Receive(t, 3, kT0);
  t.OnAckSent(200, t.BuildAck(kT0));  // reported 0 and 2-3
  Receive(t, 5, kT0);
  t.OnAckSent(201, t.BuildAck(kT0));  // reported 0, 2-3 and 5
  // Packet 200 had a slot of its own (the lost ACKs freed theirs).
  t.OnPacketAcked(200);
  CHECK(t.BuildAck(kT0).ranges == R({{5, 5}}));
}

TEST_CASE("ack tracker delays an ACK for one ack-eliciting packet by max_ack_delay",
          "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  Receive(t, 0, kT0);
  REQUIRE(t.AckDeadline().has_value());
  CHECK(*t.AckDeadline() == kT0 + Milliseconds(25));
  // The second ack-eliciting packet reaches the threshold of two: ACK now.
  Receive(t, 1, kT0 + Milliseconds(3));
  CHECK(*t.AckDeadline() == kT0 + Milliseconds(3));
  t.OnAckSent(0, t.BuildAck(kT0 + Milliseconds(3)));
  CHECK_FALSE(t.AckDeadline().has_value());
}

TEST_CASE("ack tracker does not arm a deadline for non-ack-eliciting packets",
          "[recovery][ack_tracker]") {
  AckTracker t(PacketNumberSpace::kApplication);
  Receive(t, 0, kT0, /*ack_eliciting=*/false);
  Receive(t, 1, kT0, false);
  CHECK_FALSE(t.AckDeadline().has_value());
  CHECK(t.HasNewAckToSend());
}

TEST_CASE("ack tracker acknowledges handshake spaces immediately", "[recovery][ack_tracker]") {
  for (PacketNumberSpace space : {PacketNumberSpace::kInitial, PacketNumberSpace::kHandshake}) {
    AckTracker t(space);
    Receive(t, 0, kT0 + Milliseconds(7));
    REQUIRE(t.AckDeadline().has_value());
    CHECK(*t.AckDeadline() == kT0 + Milliseconds(7));
  }
}

TEST_CASE("ack tracker acknowledges out-of-order arrivals immediately",
          "[recovery][ack_tracker]") {
  AckPolicy policy;
  policy.ack_eliciting_threshold = 10;
  {
    AckTracker t(PacketNumberSpace::kApplication, policy);
    Receive(t, 0, kT0);
    t.OnAckSent(0, t.BuildAck(kT0));
    Receive(t, 2, kT0 + Milliseconds(1));  // gap: 1 is missing
    CHECK(*t.AckDeadline() == kT0 + Milliseconds(1));
  }
  {
    AckTracker t(PacketNumberSpace::kApplication, policy);
    Receive(t, 5, kT0);
    t.OnAckSent(0, t.BuildAck(kT0));
    Receive(t, 3, kT0 + Milliseconds(2));  // below the largest received
    CHECK(*t.AckDeadline() == kT0 + Milliseconds(2));
  }
  {
    AckTracker t(PacketNumberSpace::kApplication, policy);
    Receive(t, 0, kT0);
    Receive(t, 1, kT0 + Milliseconds(1));  // in order, below the threshold
    CHECK(*t.AckDeadline() == kT0 + Milliseconds(25));
  }
}

TEST_CASE("ack tracker acknowledges CE-marked packets immediately and counts ECN",
          "[recovery][ack_tracker]") {
  AckPolicy policy;
  policy.ack_eliciting_threshold = 10;
  AckTracker t(PacketNumberSpace::kApplication, policy);
  Receive(t, 0, kT0, true, EcnCodepoint::kEct0);
  CHECK(*t.AckDeadline() == kT0 + Milliseconds(25));
  Receive(t, 1, kT0 + Milliseconds(4), true, EcnCodepoint::kCe);
  CHECK(*t.AckDeadline() == kT0 + Milliseconds(4));
  Receive(t, 2, kT0 + Milliseconds(5), false, EcnCodepoint::kEct1);
  AckRanges ack = t.BuildAck(kT0 + Milliseconds(5));
  REQUIRE(ack.ecn.has_value());
  CHECK(*ack.ecn == AckEcnCounts{1, 1, 1});
}

}  // namespace
}  // namespace kite::quic
