#include "quic/recovery/persistent_congestion.h"

#include <catch2/catch.hpp>

namespace kite::quic {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

SentPacket Lost(uint64_t pn, double t, bool ack_eliciting = true) {
  SentPacket p;
  p.packet_number = pn;
  p.time_sent = kT0 + absl::Milliseconds(static_cast<int64_t>(t * 1000));
  p.bytes = 1200;
  p.ack_eliciting = ack_eliciting;
  p.in_flight = true;
  return p;
}

// RFC 9002 §7.6.3: PTO period 2, threshold 3 -> duration 6. Packets 2..8 were sent at
// t = 1, 2, 3, 4, 5, 6, 8 and are declared lost when packet 9 is acknowledged at t = 12.2.
std::vector<SentPacket> TableLosses() {
  return {Lost(2, 1), Lost(3, 2), Lost(4, 3), Lost(5, 4), Lost(6, 5), Lost(7, 6), Lost(8, 8)};
}

const absl::Duration kDuration = absl::Seconds(2) * kPersistentCongestionThreshold;

TEST_CASE("persistent congestion: RFC 9002 §7.6.3 example", "[recovery][persistent]") {
  // The example's congestion period is 8 - 1 = 7 > 6. It assumes an RTT sample before packet 2
  // was sent (its PTO period of 2 comes from one).
  CHECK(EstablishesPersistentCongestion(TableLosses(), kDuration, kT0 - absl::Seconds(1)));
}

TEST_CASE("persistent congestion ignores packets sent before the first RTT sample",
          "[recovery][persistent]") {
  // With the first sample taken at t = 1.2 (the ACK of packet 1 in the table), packet 2 cannot
  // start the period (§7.6.2): 3..8 span exactly 6, which does not exceed the duration.
  CHECK_FALSE(EstablishesPersistentCongestion(TableLosses(), kDuration,
                                              kT0 + absl::Milliseconds(1200)));
  CHECK_FALSE(EstablishesPersistentCongestion(TableLosses(), kDuration, std::nullopt));
}

TEST_CASE("persistent congestion needs no acknowledgment in between",
          "[recovery][persistent]") {
  // Packet 5 was acknowledged: the runs 2..4 and 6..8 each span less than the duration.
  std::vector<SentPacket> lost = {Lost(2, 1), Lost(3, 2), Lost(4, 3),
                                  Lost(6, 5), Lost(7, 6), Lost(8, 8)};
  CHECK_FALSE(EstablishesPersistentCongestion(lost, kDuration, kT0 - absl::Seconds(1)));
}

TEST_CASE("persistent congestion needs ack-eliciting endpoints", "[recovery][persistent]") {
  std::vector<SentPacket> lost = TableLosses();
  lost.front().ack_eliciting = false;  // the t = 1 packet: now the span is 2..8 = 6
  CHECK_FALSE(EstablishesPersistentCongestion(lost, kDuration, kT0 - absl::Seconds(1)));
  // A non-ack-eliciting packet in the middle does not break the run.
  lost = TableLosses();
  lost[3].ack_eliciting = false;
  CHECK(EstablishesPersistentCongestion(lost, kDuration, kT0 - absl::Seconds(1)));
}

}  // namespace
}  // namespace kite::quic
