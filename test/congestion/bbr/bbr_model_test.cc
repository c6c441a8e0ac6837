#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "congestion/bbr/bbr.h"
#include "congestion/registry.h"
#include "test/congestion/bbr/bbr_test_util.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion {
namespace {

using namespace bbr_test;  // NOLINT

TEST_CASE("bbr min-RTT filter: lower samples at once, higher ones after 10 s",
          "[congestion][bbr]") {
  Bbr cc(Params());
  // Half the usual rate keeps this long run cheap under sanitizers.
  testing::FakePathConfig cfg = PathConfig(1000);
  cfg.bottleneck_bytes_per_second = kRate / 2;
  testing::FakePath path(cc, cfg);
  REQUIRE(path.RunUntilTrue([&] { return InProbeBw(cc.state()); }, absl::Seconds(3)));
  const absl::Duration base = cc.min_rtt();
  CHECK(base >= kRtt);
  CHECK(base <= kRtt + absl::Milliseconds(3));
  // The path gets longer: min_rtt holds its old value for MinRTTFilterLen (10 s).
  path.SetPropagationRtt(absl::Milliseconds(100));
  const absl::Time stamp = *cc.min_rtt_stamp();
  path.RunUntil(stamp + Bbr::kMinRttFilterLen - absl::Milliseconds(10));
  CHECK(cc.min_rtt() == base);
  path.RunUntil(stamp + Bbr::kMinRttFilterLen + absl::Seconds(1));
  CHECK(cc.min_rtt() >= absl::Milliseconds(100));
  CHECK(cc.min_rtt() <= absl::Milliseconds(104));
  // Shorter again: the next sample lowers it immediately.
  path.SetPropagationRtt(absl::Milliseconds(30));
  path.RunFor(absl::Milliseconds(400));
  CHECK(cc.min_rtt() < absl::Milliseconds(40));
}

TEST_CASE("bbr loss above 2% while probing lowers inflight_longterm and ends ProbeBW_UP",
          "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  Recorder rec(cc, path);
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr::State::kProbeBwRefill; },
                            absl::Seconds(6)));
  REQUIRE(cc.inflight_longterm() == Bbr::kUnlimited);
  // 1 packet in 20 (5%) is lost from now on.
  uint64_t armed = path.packets_sent();
  path.SetDropFilter(LossEvery(20, &armed));
  size_t transitions_before = rec.transitions.size();
  REQUIRE(path.RunUntilTrue([&] { return cc.prev_probe_too_high(); }, absl::Seconds(2)));
  CHECK(cc.inflight_longterm() != Bbr::kUnlimited);
  // HandleInflightTooHigh: max(tx_in_flight, Beta * TargetInflight); the BDP is ~51 packets.
  CHECK(cc.inflight_longterm() >= static_cast<uint64_t>(0.7 * 50 * kMss));
  CHECK(cc.inflight_longterm() <= 110 * kMss);
  CHECK(cc.state() == Bbr::State::kProbeBwDown);
  bool left_up_for_down = false;
  for (size_t i = transitions_before; i < rec.transitions.size(); ++i) {
    if (rec.transitions[i].from == Bbr::State::kProbeBwUp &&
        rec.transitions[i].to == Bbr::State::kProbeBwDown) {
      left_up_for_down = true;
    }
  }
  CHECK(left_up_for_down);
  // The cwnd now respects inflight_longterm (BoundCwndForModel).
  path.RunFor(absl::Milliseconds(100));
  CHECK(cc.CongestionWindow() <= cc.inflight_longterm());
  // Losses outside probing shrink the short-term model (LossLowerBounds).
  CHECK(cc.inflight_shortterm() != Bbr::kUnlimited);
}

TEST_CASE("bbr Startup exits on high loss: six lost ranges and over 2% in a round",
          "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  Recorder rec(cc, path);
  // From the 60th packet on, every 10th is lost: separate ranges, 10% of the data.
  uint64_t armed = 60;
  path.SetDropFilter([&armed](uint64_t pn) { return pn >= armed && pn % 10 == 0; });
  REQUIRE(path.RunUntilTrue([&] { return cc.state() != Bbr::State::kStartup; }, absl::Seconds(3)));
  CHECK(cc.full_bw_reached());
  // Not the bandwidth plateau: the exit came while full_bw_count was below 3.
  CHECK(cc.full_bw_count() < 3);
  CHECK_FALSE(cc.full_bw_now());
  REQUIRE_FALSE(rec.transitions.empty());
  CHECK(rec.transitions[0].to == Bbr::State::kDrain);
  // inflight_longterm = max(BDP, inflight_latest).
  CHECK(cc.inflight_longterm() != Bbr::kUnlimited);
  CHECK(cc.inflight_longterm() >=
        static_cast<uint64_t>(static_cast<double>(cc.bw()) * absl::ToDoubleSeconds(cc.min_rtt())));
}

TEST_CASE("bbr loss below 2% does not set inflight_longterm", "[congestion][bbr]") {
  Bbr cc(Params());
  // A 250-packet BDP (250 ms round trips), so that 1% loss is 2 or 3 packets per round trip,
  // under 2% of the data in flight (with a 50-packet BDP a single loss is already 2%).
  testing::FakePathConfig cfg = PathConfig(2500);
  cfg.propagation_rtt = absl::Milliseconds(250);
  testing::FakePath path(cc, cfg);
  uint64_t armed = 0;
  path.SetDropFilter(LossEvery(100, &armed));  // 1%
  int up_acks = 0;
  path.SetObserver([&](const AckEvent&) { up_acks += cc.state() == Bbr::State::kProbeBwUp; });
  // Startup, a ProbeRTT at 5 s and the 2-3 s wait put the first ProbeBW_UP near 9 s.
  path.RunFor(absl::Seconds(11));
  CHECK(path.packets_lost() > 50);
  CHECK(up_acks > 100);  // it did probe, and the probes saw loss
  CHECK(cc.full_bw_reached());
  CHECK(cc.inflight_longterm() == Bbr::kUnlimited);
  CHECK_FALSE(cc.prev_probe_too_high());
}

TEST_CASE("bbr undoes a spurious loss episode that ended ProbeBW_UP", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  REQUIRE(
      path.RunUntilTrue([&] { return cc.state() == Bbr::State::kProbeBwUp; }, absl::Seconds(6)));
  // Four consecutive packets lost: 4 of ~60 in flight is above 2%.
  uint64_t first = path.packets_sent() + 2;
  path.SetDropFilter([first](uint64_t pn) { return pn >= first && pn < first + 4; });
  std::vector<LostPacket> lost;
  path.SetObserver([&](const AckEvent& ev) {
    for (const LostPacket& p : ev.lost) lost.push_back(p);
  });
  REQUIRE(path.RunUntilTrue([&] { return lost.size() == 4; }, absl::Seconds(1)));
  REQUIRE(cc.prev_probe_too_high());
  REQUIRE(cc.state() == Bbr::State::kProbeBwDown);
  REQUIRE(cc.inflight_longterm() != Bbr::kUnlimited);
  // Three of four reported spurious: not yet an undo.
  for (size_t i = 0; i < 3; ++i)
    cc.OnSpuriousLoss(lost[i].packet_number, lost[i].sent_time, path.now());
  CHECK(cc.state() == Bbr::State::kProbeBwDown);
  cc.OnSpuriousLoss(lost[3].packet_number, lost[3].sent_time, path.now());
  // HandleSpuriousLossDetection: inflight_longterm back to its saved value, and the probe
  // restarts with REFILL.
  CHECK(cc.inflight_longterm() == Bbr::kUnlimited);
  CHECK(cc.state() == Bbr::State::kProbeBwRefill);
}

TEST_CASE("bbr treats ECN-CE as congestion", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  REQUIRE(
      path.RunUntilTrue([&] { return cc.state() == Bbr::State::kProbeBwUp; }, absl::Seconds(6)));
  // An ACK reporting 5 CE marks while probing: more than 2% of what was in flight.
  AckEvent ev;
  ev.now = path.now() + absl::Microseconds(1);
  ev.acked.push_back({1u << 30, kMss, path.now()});
  ev.bytes_in_flight = path.bytes_in_flight();
  ev.prior_bytes_in_flight = path.bytes_in_flight() + kMss;
  ev.ecn_ce_delta = 5;
  ev.rate_sample.has_data = true;
  ev.rate_sample.tx_in_flight = path.bytes_in_flight();
  ev.rate_sample.prior_delivered = path.bytes_delivered();
  ev.rate_sample.delivered = kMss;
  ev.rate_sample.newly_acked = kMss;
  ev.rtt.has_sample = true;
  ev.rtt.smoothed_rtt = ev.rtt.latest_rtt = ev.rtt.min_rtt = kRtt;
  cc.OnCongestionEvent(ev);
  CHECK(cc.prev_probe_too_high());
  CHECK(cc.inflight_longterm() != Bbr::kUnlimited);
  CHECK(cc.state() == Bbr::State::kProbeBwDown);
}

TEST_CASE("bbr persistent congestion cuts the window", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  path.RunFor(absl::Seconds(1));
  cc.OnPersistentCongestion(path.now());
  CHECK(cc.CongestionWindow() == 2 * kMss);
}

}  // namespace
}  // namespace kite::congestion
