#include "congestion/delivery_rate_sampler.h"

#include <vector>

#include <catch2/catch.hpp>

namespace kite::congestion {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

struct Sent {
  uint64_t pn;
  absl::Time time;
  size_t bytes;
  DeliverySnapshot snap;
};

TEST_CASE("sampler measures the delivery rate of a steady flow", "[congestion][sampler]") {
  DeliveryRateSampler sampler;
  std::vector<Sent> sent;
  size_t in_flight = 0;
  // Ten 1000-byte packets, one per millisecond, each acknowledged 50 ms after it was sent.
  for (uint64_t pn = 0; pn < 10; ++pn) {
    absl::Time t = kT0 + absl::Milliseconds(pn);
    sent.push_back({pn, t, 1000, sampler.OnPacketSent(t, in_flight, 1000)});
    in_flight += 1000;
  }
  CHECK(sent[0].snap.tx_in_flight == 1000);
  CHECK(sent[9].snap.tx_in_flight == 10000);
  RateSample last;
  for (const Sent& s : sent) {
    sampler.OnPacketAcked(s.time + absl::Milliseconds(50), s.pn, s.time, s.bytes, s.snap);
    in_flight -= s.bytes;
    last = sampler.GenerateSample(absl::Milliseconds(50));
  }
  CHECK(sampler.delivered() == 10000);
  REQUIRE(last.has_data);
  REQUIRE(last.has_rate);
  // The last packet's interval: sent 9 ms after the first, acked 59 ms after the flight began.
  CHECK(last.interval == absl::Milliseconds(59));
  CHECK(last.delivered == 10000);
  CHECK(last.delivery_rate_bytes_per_second == 10000 * 1000 / 59);
  CHECK(last.prior_delivered == 0);
  CHECK(last.tx_in_flight == 10000);
  CHECK(last.last_acked_packet_number == 9);
  CHECK(last.newly_acked == 1000);
}

TEST_CASE("sampler rejects intervals shorter than min_rtt", "[congestion][sampler]") {
  DeliveryRateSampler sampler;
  DeliverySnapshot snap = sampler.OnPacketSent(kT0, 0, 1200);
  sampler.OnPacketAcked(kT0 + absl::Milliseconds(10), 0, kT0, 1200, snap);
  RateSample rs = sampler.GenerateSample(absl::Milliseconds(20));
  CHECK(rs.has_data);
  CHECK_FALSE(rs.has_rate);
  CHECK(rs.delivered == 1200);
  CHECK(rs.delivery_rate_bytes_per_second == 0);
}

TEST_CASE("sampler picks the most recently sent packet of a stretch ACK", "[congestion][sampler]") {
  DeliveryRateSampler sampler;
  DeliverySnapshot a = sampler.OnPacketSent(kT0, 0, 1000);
  DeliverySnapshot b = sampler.OnPacketSent(kT0 + absl::Milliseconds(5), 1000, 1000);
  absl::Time now = kT0 + absl::Milliseconds(40);
  // Acknowledged out of order within one ACK: the newest (pn 1) defines the sample.
  sampler.OnPacketAcked(now, 1, kT0 + absl::Milliseconds(5), 1000, b);
  sampler.OnPacketAcked(now, 0, kT0, 1000, a);
  RateSample rs = sampler.GenerateSample(absl::ZeroDuration());
  CHECK(rs.last_acked_packet_number == 1);
  CHECK(rs.tx_in_flight == 2000);
  CHECK(rs.newly_acked == 2000);
  CHECK(rs.interval == absl::Milliseconds(40));
  CHECK(rs.delivery_rate_bytes_per_second == 50000);
}

TEST_CASE("sampler reports losses between send and ack", "[congestion][sampler]") {
  DeliveryRateSampler sampler;
  DeliverySnapshot s0 = sampler.OnPacketSent(kT0, 0, 1000);
  DeliverySnapshot s1 = sampler.OnPacketSent(kT0 + absl::Milliseconds(1), 1000, 1000);
  (void)s0;
  sampler.OnPacketLost(1000);
  sampler.OnPacketAcked(kT0 + absl::Milliseconds(30), 1, kT0 + absl::Milliseconds(1), 1000, s1);
  RateSample rs = sampler.GenerateSample(absl::ZeroDuration());
  CHECK(rs.lost == 1000);
  CHECK(rs.newly_lost == 1000);
  CHECK(sampler.lost() == 1000);
  // No ACK at all: an empty sample.
  RateSample empty = sampler.GenerateSample(absl::ZeroDuration());
  CHECK_FALSE(empty.has_data);
  CHECK(empty.newly_acked == 0);
}

TEST_CASE("sampler marks samples app-limited until the bubble is delivered",
          "[congestion][sampler]") {
  DeliveryRateSampler sampler;
  DeliverySnapshot s0 = sampler.OnPacketSent(kT0, 0, 1000);
  sampler.OnAppLimited(1000);
  CHECK(sampler.is_app_limited());
  DeliverySnapshot s1 = sampler.OnPacketSent(kT0 + absl::Milliseconds(1), 1000, 1000);
  CHECK_FALSE(s0.is_app_limited);
  CHECK(s1.is_app_limited);
  sampler.OnPacketAcked(kT0 + absl::Milliseconds(20), 0, kT0, 1000, s0);
  RateSample r0 = sampler.GenerateSample(absl::ZeroDuration());
  CHECK_FALSE(r0.is_app_limited);
  CHECK(sampler.is_app_limited());  // delivered == 1000, not yet beyond the mark
  sampler.OnPacketAcked(kT0 + absl::Milliseconds(21), 1, kT0 + absl::Milliseconds(1), 1000, s1);
  RateSample r1 = sampler.GenerateSample(absl::ZeroDuration());
  CHECK(r1.is_app_limited);
  CHECK_FALSE(sampler.is_app_limited());
}

}  // namespace
}  // namespace kite::congestion
