#include "congestion/newreno/newreno.h"

#include <vector>

#include <catch2/catch.hpp>

namespace kite::congestion {
namespace {

constexpr size_t kMss = 1200;
const absl::Time kT0 = absl::FromUnixSeconds(1000);

// Drives a controller the way loss recovery does, keeping bytes in flight.
class Driver {
 public:
  explicit Driver(NewReno& cc) : cc_(cc) {}

  // Sends `n` full-sized packets at `t`; returns their packet numbers.
  std::vector<uint64_t> Send(size_t n, absl::Time t) {
    std::vector<uint64_t> pns;
    for (size_t i = 0; i < n; ++i) {
      cc_.OnPacketSent(t, next_pn_, kMss, in_flight_, true);
      sent_times_.push_back(t);
      in_flight_ += kMss;
      pns.push_back(next_pn_++);
    }
    return pns;
  }

  void Ack(const std::vector<uint64_t>& acked, const std::vector<uint64_t>& lost, absl::Time now,
           uint64_t ce_delta = 0) {
    AckEvent ev;
    ev.now = now;
    ev.prior_bytes_in_flight = in_flight_;
    for (uint64_t pn : lost) {
      ev.lost.push_back({pn, kMss, sent_times_[pn]});
      in_flight_ -= kMss;
    }
    for (uint64_t pn : acked) {
      ev.acked.push_back({pn, kMss, sent_times_[pn]});
      in_flight_ -= kMss;
      ev.largest_acked_sent_time = sent_times_[pn];
    }
    ev.bytes_in_flight = in_flight_;
    ev.ecn_ce_delta = ce_delta;
    cc_.OnCongestionEvent(ev);
  }

  size_t in_flight() const { return in_flight_; }

 private:
  NewReno& cc_;
  uint64_t next_pn_ = 0;
  size_t in_flight_ = 0;
  std::vector<absl::Time> sent_times_;
};

ControllerParams Params() {
  ControllerParams p;
  p.max_datagram_size = kMss;
  return p;
}

TEST_CASE("newreno starts in slow start with ten datagrams", "[congestion][newreno]") {
  NewReno cc(Params());
  CHECK(cc.CongestionWindow() == 12000);
  CHECK(cc.InSlowStart());
  CHECK(cc.StateName() == "slow_start");
  CHECK(cc.SlowStartThreshold() == SIZE_MAX);
  CHECK_FALSE(cc.PacingRateBytesPerSecond().has_value());
  // RFC 9002 §7.2: large datagrams are limited to 14720 bytes.
  ControllerParams big;
  big.max_datagram_size = 9000;
  CHECK(NewReno(big).CongestionWindow() == 18000);  // max(14720, 2 * 9000)
  big.max_datagram_size = 1500;
  CHECK(NewReno(big).CongestionWindow() == 14720);
}

TEST_CASE("newreno slow start grows by the bytes acknowledged", "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  auto pns = d.Send(10, kT0);
  d.Ack(pns, {}, kT0 + absl::Milliseconds(100));
  CHECK(cc.CongestionWindow() == 24000);
  pns = d.Send(20, kT0 + absl::Milliseconds(100));
  d.Ack(pns, {}, kT0 + absl::Milliseconds(200));
  CHECK(cc.CongestionWindow() == 48000);
  CHECK(cc.InSlowStart());
}

TEST_CASE("newreno does not grow when the window was not used", "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  auto pns = d.Send(2, kT0);  // 2400 bytes of a 12000-byte window
  d.Ack(pns, {}, kT0 + absl::Milliseconds(100));
  CHECK(cc.CongestionWindow() == 12000);
  pns = d.Send(10, kT0 + absl::Milliseconds(100));
  cc.OnAppLimited(d.in_flight());
  CHECK(cc.StateName() == "application_limited");
  d.Ack(pns, {}, kT0 + absl::Milliseconds(200));
  CHECK(cc.CongestionWindow() == 12000);
}

TEST_CASE("newreno halves once per recovery period", "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  absl::Time t1 = kT0 + absl::Milliseconds(100);
  // pn 0 lost, pns 3..8 acked: one reduction; the acks of packets sent before the recovery
  // period do not grow the reduced window.
  d.Ack({3, 4, 5, 6, 7, 8}, {0}, t1);
  CHECK(cc.CongestionWindow() == 6000);
  CHECK(cc.SlowStartThreshold() == 6000);
  CHECK(cc.StateName() == "recovery");
  CHECK_FALSE(cc.InSlowStart());
  // An ECN-CE increase reported with a packet sent before recovery began: no reduction.
  d.Ack({9}, {}, t1 + absl::Milliseconds(2), /*ce_delta=*/1);
  CHECK(cc.CongestionWindow() == 6000);
  // More losses of packets sent before recovery began: no further reduction.
  d.Ack({}, {1, 2}, t1 + absl::Milliseconds(5));
  CHECK(cc.CongestionWindow() == 6000);
  CHECK(cc.StateName() == "recovery");
  // Acknowledging a packet sent after recovery started ends it (§7.3.2).
  auto more = d.Send(5, t1 + absl::Milliseconds(10));
  d.Ack(more, {}, t1 + absl::Milliseconds(110));
  CHECK(cc.StateName() == "congestion_avoidance");
  CHECK(cc.CongestionWindow() == 7200);
  // A loss of a packet sent after the previous period starts a new one.
  auto later = d.Send(4, t1 + absl::Milliseconds(120));
  d.Ack({later[3]}, {later[0]}, t1 + absl::Milliseconds(220));
  CHECK(cc.StateName() == "recovery");
  CHECK(cc.CongestionWindow() == 3600);
  CHECK(cc.SlowStartThreshold() == 3600);
}

TEST_CASE("newreno congestion avoidance adds one datagram per window acked",
          "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  d.Ack({1, 2, 3, 4, 5, 6, 7, 8, 9}, {0}, kT0 + absl::Milliseconds(100));
  REQUIRE(cc.CongestionWindow() == 6000);
  absl::Time t = kT0 + absl::Milliseconds(100);
  // One full window (6000 bytes), sent after the recovery period began, acknowledged: +1
  // datagram. (A packet sent at the very instant recovery began still belongs to it.)
  auto w1 = d.Send(5, t + absl::Milliseconds(1));
  d.Ack(w1, {}, t + absl::Milliseconds(100));
  CHECK(cc.StateName() == "congestion_avoidance");
  CHECK(cc.CongestionWindow() == 7200);
  // Half of the next window: no growth yet.
  auto w2 = d.Send(6, t + absl::Milliseconds(100));
  d.Ack({w2[0], w2[1], w2[2]}, {}, t + absl::Milliseconds(200));
  CHECK(cc.CongestionWindow() == 7200);
  // The rest of it: exactly one more datagram, not one per ACK.
  d.Ack({w2[3], w2[4], w2[5]}, {}, t + absl::Milliseconds(201));
  CHECK(cc.CongestionWindow() == 8400);
  CHECK_FALSE(cc.InSlowStart());
}

TEST_CASE("newreno persistent congestion collapses to two datagrams", "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  d.Ack({}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, kT0 + absl::Seconds(1));
  cc.OnPersistentCongestion(kT0 + absl::Seconds(1));
  CHECK(cc.CongestionWindow() == 2 * kMss);
  // Back in slow start: ssthresh stayed at half the old window.
  CHECK(cc.InSlowStart());
  CHECK(cc.StateName() == "slow_start");
  auto two = d.Send(2, kT0 + absl::Seconds(2));
  d.Ack(two, {}, kT0 + absl::Seconds(2) + absl::Milliseconds(50));
  CHECK(cc.CongestionWindow() == 4 * kMss);
}

TEST_CASE("newreno treats an ECN-CE increase as congestion", "[congestion][newreno]") {
  NewReno cc(Params());
  Driver d(cc);
  auto pns = d.Send(10, kT0);
  absl::Time t = kT0 + absl::Milliseconds(100);
  d.Ack(pns, {}, t, /*ce_delta=*/1);
  CHECK(cc.StateName() == "recovery");
  CHECK(cc.CongestionWindow() == 6000);
  // A second CE report within the same period changes nothing.
  d.Ack({}, {}, t + absl::Milliseconds(1), 1);
  CHECK(cc.CongestionWindow() == 6000);
}

}  // namespace
}  // namespace kite::congestion
