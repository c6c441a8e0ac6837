#include "congestion/bbr1/bbr1.h"

#include <catch2/catch.hpp>

#include <cmath>
#include <optional>
#include <set>
#include <vector>

#include "congestion/registry.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion {
namespace {

constexpr size_t kMss = 1200;
constexpr uint64_t kRate = 1000 * kMss;  // 1000 packets/s
constexpr absl::Duration kRtt = absl::Milliseconds(50);

ControllerParams Params() {
  ControllerParams p;
  p.max_datagram_size = kMss;
  return p;
}

testing::FakePathConfig PathConfig() {
  testing::FakePathConfig cfg;
  cfg.mss = kMss;
  cfg.propagation_rtt = kRtt;
  cfg.bottleneck_bytes_per_second = kRate;
  cfg.buffer_bytes = 200 * kMss;
  return cfg;
}

TEST_CASE("bbr1 registers and uses the 2016 gains", "[congestion][bbr1]") {
  auto cc = CreateController("bbr1", Params());
  REQUIRE(cc != nullptr);
  CHECK(cc->StateName() == "startup");
  CHECK(cc->PacingRateBytesPerSecond().has_value());
  // Startup gain 2/ln2; Drain is its inverse.
  CHECK(Bbr1::kHighGain == Approx(2 / std::log(2.0)).epsilon(1e-3));
  CHECK(Bbr1::kDrainGain == Approx(std::log(2.0) / 2).epsilon(1e-3));
  Bbr1 bbr(Params());
  CHECK(bbr.pacing_gain() == Bbr1::kHighGain);
  CHECK(bbr.cwnd_gain() == Bbr1::kHighGain);
}

TEST_CASE("bbr1 Startup, Drain, ProbeBW", "[congestion][bbr1]") {
  Bbr1 cc(Params());
  testing::FakePath path(cc, PathConfig());
  std::vector<Bbr1::State> states;
  std::optional<size_t> inflight_at_probe_bw;
  path.SetObserver([&](const AckEvent& ev) {
    if (states.empty() || states.back() != cc.state()) {
      states.push_back(cc.state());
      if (cc.state() == Bbr1::State::kProbeBw) inflight_at_probe_bw = ev.bytes_in_flight;
      if (cc.state() == Bbr1::State::kDrain) CHECK(cc.pacing_gain() == Bbr1::kDrainGain);
    }
  });
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
  REQUIRE(states.size() >= 3);
  CHECK(states[0] == Bbr1::State::kStartup);
  CHECK(states[1] == Bbr1::State::kDrain);
  CHECK(states[2] == Bbr1::State::kProbeBw);
  CHECK(cc.filled_pipe());
  CHECK(static_cast<double>(cc.btl_bw()) == Approx(static_cast<double>(kRate)).epsilon(0.02));
  REQUIRE(inflight_at_probe_bw.has_value());
  CHECK(*inflight_at_probe_bw <= cc.Inflight(1.0));
  CHECK(cc.cwnd_gain() == 2.0);
}

TEST_CASE("bbr1 ProbeBW gain cycle order and phase lengths", "[congestion][bbr1]") {
  Bbr1 cc(Params());
  testing::FakePath path(cc, PathConfig());
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
  struct Phase {
    int index;
    double gain;
    absl::Time start;
  };
  std::vector<Phase> phases = {{cc.cycle_index(), cc.pacing_gain(), path.now()}};
  path.SetObserver([&](const AckEvent& ev) {
    if (cc.state() == Bbr1::State::kProbeBw && cc.cycle_index() != phases.back().index) {
      phases.push_back({cc.cycle_index(), cc.pacing_gain(), ev.now});
    }
  });
  path.RunFor(absl::Seconds(3));
  REQUIRE(phases.size() >= 17);  // two full cycles
  for (size_t i = 0; i < phases.size(); ++i) {
    INFO("phase " << i << " index " << phases[i].index << " gain " << phases[i].gain);
    CHECK(phases[i].gain == Bbr1::kPacingGainCycle[phases[i].index]);
    if (i == 0) continue;
    CHECK(phases[i].index == (phases[i - 1].index + 1) % Bbr1::kGainCycleLength);
    // Phases last at least RTprop; the 3/4 phase may end early once inflight fell to the BDP.
    if (phases[i - 1].gain >= 1.0 && i > 1)
      CHECK(phases[i].start - phases[i - 1].start > cc.rtprop());
  }
  // The cycle is [5/4, 3/4, 1, 1, 1, 1, 1, 1]: 5/4 is always followed by 3/4.
  for (size_t i = 1; i < phases.size(); ++i) {
    if (phases[i - 1].gain == 1.25) CHECK(phases[i].gain == 0.75);
  }
}

// The starting gain phase draws from ControllerParams::random_seed, so flows with their own
// seeds start their gain cycles apart.
TEST_CASE("bbr1 seeds its starting gain phase from ControllerParams::random_seed",
          "[congestion][bbr1]") {
  std::set<int> phases;
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    ControllerParams p = Params();
    p.random_seed = seed;
    Bbr1 cc(p);
    testing::FakePath path(cc, PathConfig());
    REQUIRE(
        path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
    phases.insert(cc.cycle_index());
  }
  CHECK(phases.size() >= 3);
}

TEST_CASE("bbr1 never starts ProbeBW in the 3/4 phase", "[congestion][bbr1]") {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    Bbr1::Options opts;
    opts.random_seed = seed;
    Bbr1 cc(Params(), opts);
    testing::FakePath path(cc, PathConfig());
    REQUIRE(
        path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
    INFO("seed " << seed);
    CHECK(cc.cycle_index() != 1);
    CHECK(cc.pacing_gain() != 0.75);
  }
}

TEST_CASE("bbr1 ProbeRTT every 10 s when RTprop is not refreshed", "[congestion][bbr1]") {
  Bbr1 cc(Params());
  // A slower link (250 packets/s) keeps this 24-second run cheap; the BDP (12 packets) is still
  // well above ProbeRTT's 4.
  testing::FakePathConfig cfg = PathConfig();
  cfg.bottleneck_bytes_per_second = kRate / 4;
  testing::FakePath path(cc, cfg);
  struct Episode {
    absl::Time entered;
    absl::Time rtprop_stamp_before;
    std::optional<absl::Time> left;
    size_t max_cwnd = 0;
  };
  std::vector<Episode> episodes;
  absl::Time stamp = cc.rtprop_stamp();
  path.SetObserver([&](const AckEvent& ev) {
    if (cc.state() == Bbr1::State::kProbeRtt) {
      if (episodes.empty() || episodes.back().left.has_value()) {
        episodes.push_back({ev.now, stamp, std::nullopt, 0});
      }
      episodes.back().max_cwnd = std::max(episodes.back().max_cwnd, cc.CongestionWindow());
    } else {
      if (!episodes.empty() && !episodes.back().left.has_value()) episodes.back().left = ev.now;
      stamp = cc.rtprop_stamp();
    }
  });
  // The path's delay creeps up (1 ms every 2 s), so no later sample is at or below RTprop.
  absl::Duration rtt = kRtt;
  for (int step = 0; step < 12; ++step) {
    path.RunFor(absl::Seconds(2));
    rtt += absl::Milliseconds(1);
    path.SetPropagationRtt(rtt);
  }
  REQUIRE(episodes.size() >= 2);
  for (size_t i = 0; i < episodes.size(); ++i) {
    const Episode& e = episodes[i];
    INFO("episode " << i);
    // Entered on the first ACK after RTprop expired (10 s without a new minimum).
    CHECK(e.entered - e.rtprop_stamp_before > Bbr1::kRtpropFilterLen);
    CHECK(e.entered - e.rtprop_stamp_before < Bbr1::kRtpropFilterLen + absl::Milliseconds(10));
    // cwnd held at 4 packets, for at least 200 ms (and a round).
    CHECK(e.max_cwnd <= 4 * kMss);
    REQUIRE(e.left.has_value());
    CHECK(*e.left - e.entered > Bbr1::kProbeRttDuration);
    CHECK(*e.left - e.entered < Bbr1::kProbeRttDuration + 4 * kRtt);
    if (i > 0) {
      // Each 10 s after the previous one ended.
      CHECK(e.entered - *episodes[i - 1].left > Bbr1::kRtpropFilterLen);
      CHECK(e.entered - *episodes[i - 1].left < Bbr1::kRtpropFilterLen + absl::Milliseconds(200));
    }
  }
  CHECK(cc.state() == Bbr1::State::kProbeBw);
  CHECK(cc.rtprop() > kRtt);  // the stale minimum was replaced
}

TEST_CASE("bbr1 an RTT sample equal to RTprop refreshes it, postponing ProbeRTT",
          "[congestion][bbr1]") {
  Bbr1 cc(Params());
  testing::FakePath path(cc, PathConfig());
  // 20 packets in flight on a 50-packet BDP: no queue, every sample equals the propagation RTT
  // and refreshes RTprop (the 2016 filter accepts rtt <= RTprop).
  path.SetAppLimit(20);
  bool saw_probe_rtt = false;
  path.SetObserver([&](const AckEvent&) {
    saw_probe_rtt = saw_probe_rtt || cc.state() == Bbr1::State::kProbeRtt;
  });
  path.RunFor(absl::Seconds(12));
  CHECK_FALSE(saw_probe_rtt);
  CHECK(path.now() - cc.rtprop_stamp() < absl::Milliseconds(10));
  CHECK(cc.rtprop() >= kRtt);
  CHECK(cc.rtprop() <= kRtt + absl::Milliseconds(2));
}

TEST_CASE("bbr1 BtlBw max filter spans 10 round trips", "[congestion][bbr1]") {
  Bbr1 cc(Params());
  testing::FakePath path(cc, PathConfig());
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
  path.RunFor(absl::Milliseconds(300));
  path.SetBottleneck(kRate / 2);
  const uint64_t r0 = cc.round_count();
  std::vector<std::pair<uint64_t, uint64_t>> by_round;
  path.SetObserver([&](const AckEvent&) { by_round.emplace_back(cc.round_count(), cc.btl_bw()); });
  REQUIRE(path.RunUntilTrue([&] { return cc.round_count() >= r0 + 14; }, absl::Seconds(5)));
  for (const auto& [round, bw] : by_round) {
    INFO("round " << round << " btl_bw " << bw);
    // Samples from before the change (rounds up to r0) stay in the 10-round window: a sample of
    // round r counts through round r + 9.
    if (round + 1 < r0 + Bbr1::kBtlBwFilterLen) CHECK(static_cast<double>(bw) > 0.95 * kRate);
  }
  CHECK(static_cast<double>(cc.btl_bw()) == Approx(kRate / 2.0).epsilon(0.05));
}

TEST_CASE("bbr1 loss recovery: packet conservation, then the saved cwnd", "[congestion][bbr1]") {
  Bbr1 cc(Params());
  testing::FakePath path(cc, PathConfig());
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr1::State::kProbeBw; }, absl::Seconds(3)));
  path.RunFor(absl::Milliseconds(500));
  size_t cwnd_before = cc.CongestionWindow();
  uint64_t victim = path.packets_sent() + 1;
  path.SetDropFilter([victim](uint64_t pn) { return pn == victim; });
  bool conserved = true;
  bool saw_recovery = false;
  path.SetObserver([&](const AckEvent& ev) {
    if (cc.in_recovery()) {
      saw_recovery = true;
      conserved = conserved && cc.CongestionWindow() >= ev.bytes_in_flight;
    }
  });
  REQUIRE(path.RunUntilTrue([&] { return saw_recovery && !cc.in_recovery(); }, absl::Seconds(1)));
  CHECK(conserved);
  // RestoreCwnd: back to at least the cwnd before recovery (then bounded by the target).
  CHECK(cc.CongestionWindow() >= std::min(cwnd_before, static_cast<size_t>(cc.Inflight(2.0))));
  cc.OnPersistentCongestion(path.now());
  CHECK(cc.CongestionWindow() == 2 * kMss);
}

}  // namespace
}  // namespace kite::congestion
