#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "congestion/bbr/bbr.h"
#include "congestion/registry.h"
#include "test/congestion/bbr/bbr_test_util.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion {
namespace {

using namespace bbr_test;  // NOLINT

TEST_CASE("bbr registers as bbr and bbr3 and starts in Startup", "[congestion][bbr]") {
  for (const char* name : {"bbr", "bbr3"}) {
    auto cc = CreateController(name, Params());
    REQUIRE(cc != nullptr);
    CHECK(cc->StateName() == "startup");
    CHECK(cc->InSlowStart());
    CHECK(cc->CongestionWindow() == 12000);
    // InitPacingRate: 2.77 * InitialCwnd / 1 ms before any RTT sample.
    REQUIRE(cc->PacingRateBytesPerSecond().has_value());
    CHECK(*cc->PacingRateBytesPerSecond() == static_cast<uint64_t>(2.77 * 12000 * 1000));
  }
  Bbr cc(Params());
  CHECK(cc.pacing_gain() == Bbr::kStartupPacingGain);
  CHECK(cc.cwnd_gain() == 2.0);
  CHECK(cc.inflight_longterm() == Bbr::kUnlimited);
}

TEST_CASE("bbr Startup exits to Drain after three rounds without 25% growth", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(/*buffer_packets=*/1000));
  Recorder rec(cc, path);
  std::vector<uint32_t> full_bw_counts;
  rec.hook = [&](const AckEvent&) {
    if (cc.state() == Bbr::State::kStartup) full_bw_counts.push_back(cc.full_bw_count());
  };
  REQUIRE(path.RunUntilTrue([&] { return cc.state() != Bbr::State::kStartup; }, absl::Seconds(3)));
  REQUIRE_FALSE(rec.transitions.empty());
  CHECK(rec.transitions[0].from == Bbr::State::kStartup);
  CHECK(rec.transitions[0].to == Bbr::State::kDrain);
  CHECK(cc.full_bw_reached());
  CHECK(cc.full_bw_now());
  CHECK(cc.full_bw_count() == 3);
  REQUIRE_FALSE(full_bw_counts.empty());
  CHECK(full_bw_counts.back() == 2);  // the plateau count reached 3 on the exit ACK
  // The bandwidth estimate is the bottleneck rate (the draft's test: within 2%).
  CHECK(static_cast<double>(cc.max_bw()) == Approx(static_cast<double>(kRate)).epsilon(0.02));
  CHECK(path.packets_lost() == 0);
  CHECK(cc.pacing_gain() == Bbr::kDrainPacingGain);
}

TEST_CASE("bbr Drain exits to ProbeBW once inflight is at most the BDP", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  Recorder rec(cc, path);
  bool drain_gain_ok = true;
  rec.hook = [&](const AckEvent&) {
    if (cc.state() == Bbr::State::kDrain) drain_gain_ok = drain_gain_ok && cc.pacing_gain() == 0.5;
  };
  REQUIRE(path.RunUntilTrue([&] { return InProbeBw(cc.state()); }, absl::Seconds(3)));
  REQUIRE(rec.transitions.size() >= 2);
  const Transition& t = rec.transitions[1];
  CHECK(t.from == Bbr::State::kDrain);
  CHECK(InProbeBw(t.to));
  // CheckDrainDone: C.inflight <= Inflight(1.0), well before the 3-round fallback.
  CHECK(t.bytes_in_flight <= cc.Inflight(1.0));
  CHECK(t.round <= rec.transitions[0].round + 3);
  CHECK(drain_gain_ok);
  // Inflight(1.0) is the BDP: 1000 packets/s times ~51 ms.
  CHECK(cc.Inflight(1.0) / kMss >= 50);
  CHECK(cc.Inflight(1.0) / kMss <= 53);
}

// PickProbeWait draws from ControllerParams::random_seed: two flows with their own seeds do not
// probe for bandwidth in lockstep (which would keep any unfair split they started with), and one
// seed replays exactly.
TEST_CASE("bbr seeds its bandwidth-probe wait from ControllerParams::random_seed",
          "[congestion][bbr]") {
  auto first_wait = [](uint64_t seed) {
    ControllerParams p = Params();
    p.random_seed = seed;
    Bbr cc(p);
    testing::FakePath path(cc, PathConfig(1000));
    REQUIRE(path.RunUntilTrue([&] { return InProbeBw(cc.state()); }, absl::Seconds(5)));
    return cc.bw_probe_wait();
  };
  std::vector<absl::Duration> waits;
  for (uint64_t seed = 1; seed <= 4; ++seed) waits.push_back(first_wait(seed));
  CHECK(first_wait(1) == waits[0]);
  std::sort(waits.begin(), waits.end());
  CHECK(std::unique(waits.begin(), waits.end()) == waits.end());
}

TEST_CASE("bbr ProbeBW cycles DOWN, CRUISE, REFILL, UP with the draft's gains",
          "[congestion][bbr]") {
  Bbr cc(Params());
  // Half the usual rate keeps this long run cheap under sanitizers.
  testing::FakePathConfig cfg = PathConfig(1000);
  cfg.bottleneck_bytes_per_second = kRate / 2;
  testing::FakePath path(cc, cfg);
  Recorder rec(cc, path);
  bool gains_ok = true;
  rec.hook = [&](const AckEvent&) {
    double pg = cc.pacing_gain();
    double cg = cc.cwnd_gain();
    switch (cc.state()) {
      case Bbr::State::kProbeBwDown:
        gains_ok = gains_ok && pg == 0.90 && cg == 2.0;
        break;
      case Bbr::State::kProbeBwCruise:
      case Bbr::State::kProbeBwRefill:
        gains_ok = gains_ok && pg == 1.0 && cg == 2.0;
        break;
      case Bbr::State::kProbeBwUp:
        gains_ok = gains_ok && pg == 1.25 && cg == 2.25;
        break;
      case Bbr::State::kProbeRtt:
        gains_ok = gains_ok && pg == 1.0 && cg == 0.5;
        break;
      default:
        break;
    }
    // PickProbeWait: 2 to 3 s.
    if (InProbeBw(cc.state())) {
      gains_ok = gains_ok && cc.bw_probe_wait() >= absl::Seconds(2) &&
                 cc.bw_probe_wait() <= absl::Seconds(3);
    }
  };
  path.RunFor(absl::Seconds(10));
  CHECK(gains_ok);
  int ups = 0;
  for (const Transition& t : rec.transitions) {
    if (t.from == Bbr::State::kStartup || t.from == Bbr::State::kDrain) continue;
    INFO(std::string(Bbr::StateName(t.from)) << " -> " << std::string(Bbr::StateName(t.to)));
    switch (t.from) {
      case Bbr::State::kProbeBwDown:
        CHECK((t.to == Bbr::State::kProbeBwCruise || t.to == Bbr::State::kProbeBwRefill ||
               t.to == Bbr::State::kProbeRtt));
        break;
      case Bbr::State::kProbeBwCruise:
        CHECK((t.to == Bbr::State::kProbeBwRefill || t.to == Bbr::State::kProbeRtt));
        break;
      case Bbr::State::kProbeBwRefill:
        CHECK((t.to == Bbr::State::kProbeBwUp || t.to == Bbr::State::kProbeRtt));
        break;
      case Bbr::State::kProbeBwUp:
        ++ups;
        CHECK((t.to == Bbr::State::kProbeBwDown || t.to == Bbr::State::kProbeRtt));
        break;
      case Bbr::State::kProbeRtt:
        // ExitProbeRTT: StartProbeBW_DOWN then straight to CRUISE.
        CHECK(t.to == Bbr::State::kProbeBwCruise);
        break;
      default:
        FAIL("unexpected state");
    }
  }
  // Two full probing cycles in 10 s (the wait is 2-3 s or min(BDP in packets, 63) rounds).
  CHECK(ups >= 2);
  // REFILL lasts one round trip.
  for (size_t i = 0; i + 1 < rec.transitions.size(); ++i) {
    if (rec.transitions[i].to == Bbr::State::kProbeBwRefill &&
        rec.transitions[i + 1].to == Bbr::State::kProbeBwUp) {
      CHECK(rec.transitions[i + 1].round == rec.transitions[i].round + 1);
    }
  }
  CHECK(path.packets_lost() == 0);
}

TEST_CASE("bbr enters ProbeRTT when the 5 s min-RTT probe interval expires, and leaves it",
          "[congestion][bbr]") {
  Bbr cc(Params());
  // Half the usual rate keeps this long run cheap under sanitizers.
  testing::FakePathConfig cfg = PathConfig(1000);
  cfg.bottleneck_bytes_per_second = kRate / 2;
  testing::FakePath path(cc, cfg);
  Recorder rec(cc, path);
  std::optional<absl::Time> entered;
  absl::Time stamp_before_entry;
  absl::Time last_stamp;
  bool cwnd_bounded = true;
  rec.hook = [&](const AckEvent& ev) {
    if (cc.state() == Bbr::State::kProbeRtt) {
      if (!entered.has_value()) {
        entered = ev.now;
        stamp_before_entry = last_stamp;
      }
      cwnd_bounded = cwnd_bounded && cc.CongestionWindow() <= cc.ProbeRttCwnd();
    } else {
      last_stamp = *cc.probe_rtt_min_stamp();
    }
  };
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr::State::kProbeRtt; }, absl::Seconds(8)));
  // Entered on the first ACK after probe_rtt_min_stamp + ProbeRTTInterval.
  CHECK(*entered - stamp_before_entry > Bbr::kProbeRttInterval);
  CHECK(*entered - stamp_before_entry < Bbr::kProbeRttInterval + absl::Milliseconds(10));
  CHECK(cc.cwnd_gain() == Bbr::kProbeRttCwndGain);
  // ProbeRTTCwnd is half the BDP here (above MinPipeCwnd).
  CHECK(
      static_cast<double>(cc.ProbeRttCwnd()) ==
      Approx(static_cast<double>(cc.max_bw()) * absl::ToDoubleSeconds(cc.min_rtt()) / 2).margin(1));
  REQUIRE(path.RunUntilTrue([&] { return cc.state() != Bbr::State::kProbeRtt; }, absl::Seconds(2)));
  CHECK(cwnd_bounded);
  const Transition& exit = rec.transitions.back();
  CHECK(exit.from == Bbr::State::kProbeRtt);
  CHECK(exit.to == Bbr::State::kProbeBwCruise);
  // At least ProbeRTTDuration (200 ms) after inflight reached the ProbeRTT cwnd.
  CHECK(exit.at - *entered > Bbr::kProbeRttDuration);
  CHECK(exit.at - *entered < Bbr::kProbeRttDuration + 3 * kRtt);
  // The cwnd comes back (RestoreCwnd), and the next ProbeRTT is about 5 s later.
  CHECK(cc.CongestionWindow() > 2 * cc.ProbeRttCwnd());
  absl::Time first_exit = exit.at;
  entered.reset();
  REQUIRE(path.RunUntilTrue([&] { return cc.state() == Bbr::State::kProbeRtt; }, absl::Seconds(6)));
  CHECK(*entered - first_exit > Bbr::kProbeRttInterval);
}

TEST_CASE("bbr skips ProbeRTT after an idle restart", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  REQUIRE(path.RunUntilTrue([&] { return InProbeBw(cc.state()); }, absl::Seconds(3)));
  path.SetPaused(true);
  path.RunFor(absl::Seconds(6));  // idle beyond the ProbeRTT interval
  REQUIRE(path.bytes_in_flight() == 0);
  path.SetPaused(false);
  bool saw_probe_rtt = false;
  path.SetObserver([&](const AckEvent&) {
    saw_probe_rtt = saw_probe_rtt || cc.state() == Bbr::State::kProbeRtt;
  });
  path.RunFor(absl::Milliseconds(1));
  CHECK(cc.idle_restart());
  path.RunFor(absl::Milliseconds(300));
  CHECK_FALSE(saw_probe_rtt);
  CHECK(InProbeBw(cc.state()));
}

TEST_CASE("bbr max-bw filter forgets samples older than two ProbeBW cycles", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(100));
  REQUIRE(path.RunUntilTrue([&] { return InProbeBw(cc.state()); }, absl::Seconds(3)));
  REQUIRE(static_cast<double>(cc.max_bw()) == Approx(static_cast<double>(kRate)).epsilon(0.02));
  // The bottleneck halves.
  path.SetBottleneck(kRate / 2);
  const uint64_t c0 = cc.cycle_count();
  std::vector<std::pair<uint64_t, uint64_t>> max_bw_by_cycle;  // (cycle, max_bw) per ACK
  path.SetObserver(
      [&](const AckEvent&) { max_bw_by_cycle.emplace_back(cc.cycle_count(), cc.max_bw()); });
  REQUIRE(path.RunUntilTrue([&] { return cc.cycle_count() >= c0 + 3; }, absl::Seconds(20)));
  path.RunFor(absl::Milliseconds(200));
  bool old_kept_next_cycle = false;
  for (const auto& [cycle, bw] : max_bw_by_cycle) {
    INFO("cycle " << cycle << " max_bw " << bw);
    // Within the cycle of the change and the next, the old maximum is still in the window.
    if (cycle <= c0 + 1) CHECK(static_cast<double>(bw) > 0.95 * kRate);
    if (cycle == c0 + 1) old_kept_next_cycle = true;
  }
  CHECK(old_kept_next_cycle);
  // Two cycles on, only samples of the halved path remain.
  CHECK(static_cast<double>(cc.max_bw()) == Approx(kRate / 2.0).epsilon(0.05));
  CHECK(static_cast<double>(cc.bw()) <= 0.55 * kRate);
}

TEST_CASE("bbr stays in Startup while application-limited without loss", "[congestion][bbr]") {
  Bbr cc(Params());
  testing::FakePath path(cc, PathConfig(1000));
  path.SetAppLimit(8);  // 8 packets per RTT: far below the 50-packet BDP
  path.RunFor(absl::Seconds(3));
  CHECK(cc.state() == Bbr::State::kStartup);
  CHECK_FALSE(cc.full_bw_reached());
  CHECK(cc.round_count() > 30);
  path.SetAppLimit(std::nullopt);
  REQUIRE(path.RunUntilTrue([&] { return cc.state() != Bbr::State::kStartup; }, absl::Seconds(3)));
  CHECK(static_cast<double>(cc.max_bw()) == Approx(static_cast<double>(kRate)).epsilon(0.02));
}

}  // namespace
}  // namespace kite::congestion
