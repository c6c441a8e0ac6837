#include "congestion/cubic/cubic.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <vector>

#include "congestion/registry.h"
#include "test/congestion/fake_path.h"

namespace kite::congestion {
namespace {

constexpr size_t kMss = 1200;
const absl::Time kT0 = absl::FromUnixSeconds(1000);

ControllerParams Params() {
  ControllerParams p;
  p.max_datagram_size = kMss;
  return p;
}

// Hand-driven events, as loss recovery would produce them (fixed 100 ms RTT).
class Driver {
 public:
  explicit Driver(Cubic& cc) : cc_(cc) {}

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
    ev.rtt.has_sample = true;
    ev.rtt.latest_rtt = ev.rtt.smoothed_rtt = ev.rtt.min_rtt = absl::Milliseconds(100);
    cc_.OnCongestionEvent(ev);
  }

  absl::Time sent_time(uint64_t pn) const { return sent_times_[pn]; }
  size_t in_flight() const { return in_flight_; }

 private:
  Cubic& cc_;
  uint64_t next_pn_ = 0;
  size_t in_flight_ = 0;
  std::vector<absl::Time> sent_times_;
};

double Segs(size_t bytes) { return static_cast<double>(bytes) / kMss; }

TEST_CASE("cubic constants and closed form", "[congestion][cubic]") {
  // RFC 9438 §4.3: alpha = 3 (1 - 0.7) / (1 + 0.7).
  CHECK(Cubic::kAlpha == Approx(0.5294117647));
  // §4.2 eq. 2: K = cbrt((W_max - cwnd_epoch) / C).
  CHECK(Cubic::ComputeK(100, 70) == Approx(std::cbrt(75.0)));
  CHECK(Cubic::ComputeK(100, 70) == Approx(4.2171633));
  double k = Cubic::ComputeK(100, 70);
  CHECK(Cubic::CubicWindow(0, k, 100) == Approx(70));
  CHECK(Cubic::CubicWindow(k, k, 100) == Approx(100));
  CHECK(Cubic::CubicWindow(k + 2, k, 100) == Approx(100 + 0.4 * 8));
  // Concave below K, convex above it.
  CHECK(Cubic::CubicWindow(k - 1, k, 100) == Approx(99.6));
}

TEST_CASE("cubic starts like RFC 9002 and registers", "[congestion][cubic]") {
  Cubic cc(Params());
  CHECK(cc.CongestionWindow() == 12000);
  CHECK(cc.InSlowStart());
  CHECK(cc.StateName() == "slow_start");
  CHECK(cc.SlowStartThreshold() == SIZE_MAX);
  auto created = CreateController("cubic", Params());
  REQUIRE(created != nullptr);
  CHECK(created->CongestionWindow() == 12000);
}

TEST_CASE("cubic loss: beta 0.7 decrease, W_max and K", "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  absl::Time t1 = kT0 + absl::Milliseconds(100);
  d.Ack({2, 3, 4, 5, 6, 7, 8, 9}, {0}, t1);
  CHECK(cc.CongestionWindow() == 8400);  // 0.7 * 12000
  CHECK(cc.SlowStartThreshold() == 8400);
  CHECK(cc.w_max_segments() == Approx(10));
  CHECK(cc.cwnd_prior_segments() == Approx(10));
  CHECK(cc.k_seconds() == Approx(std::cbrt((10 - 7) / 0.4)));
  CHECK(cc.StateName() == "recovery");
  CHECK_FALSE(cc.InSlowStart());
  CHECK(cc.hystart().done());
  // A second loss of a packet sent before the recovery period began: no further reduction.
  d.Ack({}, {1}, t1 + absl::Milliseconds(1));
  CHECK(cc.CongestionWindow() == 8400);
  // Congestion avoidance starts with the first acknowledgment of a packet sent after the period.
  auto w = d.Send(7, t1 + absl::Milliseconds(1));
  d.Ack({w[0]}, {}, t1 + absl::Milliseconds(101));
  CHECK(cc.StateName() == "congestion_avoidance");
  REQUIRE(cc.epoch_start().has_value());
  CHECK(*cc.epoch_start() == t1 + absl::Milliseconds(101));
  CHECK(cc.cwnd_epoch_segments() == Approx(7));
  CHECK(cc.w_est_segments() == Approx(7 + Cubic::kAlpha / 7));
}

TEST_CASE("cubic ECN-CE is a congestion event that cannot be undone", "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  auto pns = d.Send(10, kT0);
  d.Ack(pns, {}, kT0 + absl::Milliseconds(100), /*ce_delta=*/2);
  // The acks of pre-recovery packets did not grow the reduced window.
  CHECK(cc.CongestionWindow() == 8400);
  CHECK(cc.StateName() == "recovery");
  cc.OnSpuriousLoss(0, d.sent_time(0), kT0 + absl::Milliseconds(150));
  CHECK(cc.CongestionWindow() == 8400);
}

TEST_CASE("cubic fast convergence lowers W_max", "[congestion][cubic]") {
  for (bool fast_convergence : {true, false}) {
    Cubic::Options opts;
    opts.fast_convergence = fast_convergence;
    Cubic cc(Params(), opts);
    Driver d(cc);
    d.Send(10, kT0);
    absl::Time t1 = kT0 + absl::Milliseconds(100);
    d.Ack({1, 2, 3, 4, 5, 6, 7, 8, 9}, {0}, t1);
    REQUIRE(cc.w_max_segments() == Approx(10));
    // A packet sent after the first period is lost while cwnd (7) is below W_max (10).
    auto w = d.Send(7, t1 + absl::Milliseconds(1));
    d.Ack({w[3], w[4], w[5], w[6]}, {w[0]}, t1 + absl::Milliseconds(101));
    double cwnd_before = 7.0;  // no growth: the acked packets are all in the new period
    if (fast_convergence) {
      CHECK(cc.w_max_segments() == Approx(cwnd_before * (1 + 0.7) / 2));  // 5.95
    } else {
      CHECK(cc.w_max_segments() == Approx(cwnd_before));
    }
    CHECK(Segs(cc.CongestionWindow()) == Approx(7 * 0.7).epsilon(1e-3));
    CHECK(cc.cwnd_prior_segments() == Approx(7));
  }
}

TEST_CASE("cubic spurious loss undoes the reduction", "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  absl::Time t1 = kT0 + absl::Milliseconds(100);
  d.Ack({2, 3, 4, 5, 6, 7, 8, 9}, {0, 1}, t1);
  REQUIRE(cc.CongestionWindow() == 8400);
  // Only one of the two losses proved spurious: the reduction stands.
  cc.OnSpuriousLoss(0, d.sent_time(0), t1 + absl::Milliseconds(20));
  CHECK(cc.CongestionWindow() == 8400);
  // An unrelated packet number changes nothing.
  cc.OnSpuriousLoss(7, d.sent_time(7), t1 + absl::Milliseconds(20));
  CHECK(cc.CongestionWindow() == 8400);
  // Both did: RFC 9438 §4.9.2 restores the state before the reduction.
  cc.OnSpuriousLoss(1, d.sent_time(1), t1 + absl::Milliseconds(30));
  CHECK(cc.CongestionWindow() == 12000);
  CHECK(cc.SlowStartThreshold() == SIZE_MAX);
  CHECK(cc.w_max_segments() == 0);
  CHECK_FALSE(cc.InRecovery());
  // Nothing left to undo.
  cc.OnSpuriousLoss(1, d.sent_time(1), t1 + absl::Milliseconds(40));
  CHECK(cc.CongestionWindow() == 12000);
}

TEST_CASE("cubic spurious undo restores W_max, K and the epoch in congestion avoidance",
          "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  absl::Time t = kT0 + absl::Milliseconds(100);
  d.Ack({1, 2, 3, 4, 5, 6, 7, 8, 9}, {0}, t);
  // Congestion avoidance for a while.
  for (int round = 0; round < 3; ++round) {
    auto w = d.Send(cc.CongestionWindow() / kMss, t + absl::Milliseconds(1));
    t += absl::Milliseconds(101);
    d.Ack(w, {}, t);
  }
  REQUIRE(cc.StateName() == "congestion_avoidance");
  size_t cwnd = cc.CongestionWindow();
  double w_max = cc.w_max_segments();
  double k = cc.k_seconds();
  absl::Time epoch = *cc.epoch_start();
  double w_est = cc.w_est_segments();
  auto w = d.Send(cwnd / kMss, t + absl::Milliseconds(1));
  t += absl::Milliseconds(101);
  d.Ack({w[1], w[2], w[3]}, {w[0]}, t);
  REQUIRE(cc.CongestionWindow() < cwnd);
  // Fast convergence (cwnd was still below W_max = 10).
  CHECK(cc.w_max_segments() == Approx(static_cast<double>(cwnd) / kMss * 0.85).epsilon(1e-3));
  cc.OnSpuriousLoss(w[0], d.sent_time(w[0]), t + absl::Milliseconds(5));
  CHECK(cc.CongestionWindow() == cwnd);
  CHECK(cc.w_max_segments() == Approx(w_max));
  CHECK(cc.k_seconds() == Approx(k));
  REQUIRE(cc.epoch_start().has_value());
  CHECK(*cc.epoch_start() == epoch);
  CHECK(cc.w_est_segments() == Approx(w_est));
}

TEST_CASE("cubic persistent congestion collapses to the minimum window", "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  d.Ack({}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, kT0 + absl::Seconds(1));
  cc.OnPersistentCongestion(kT0 + absl::Seconds(1));
  CHECK(cc.CongestionWindow() == 2 * kMss);
  CHECK(cc.InSlowStart());
  CHECK(cc.SlowStartThreshold() == 8400);
  // Standard slow start (no HyStart++ after the first) up to ssthresh, then a stage with K = 0
  // and W_max = cwnd_epoch (RFC 9438 §4.8).
  absl::Time t = kT0 + absl::Seconds(2);
  while (cc.InSlowStart()) {
    auto w = d.Send(cc.CongestionWindow() / kMss, t);
    t += absl::Milliseconds(100);
    d.Ack(w, {}, t);
  }
  auto w = d.Send(cc.CongestionWindow() / kMss, t);
  t += absl::Milliseconds(100);
  d.Ack(w, {}, t);
  CHECK(cc.k_seconds() == 0);
  CHECK(cc.w_max_segments() == Approx(cc.cwnd_epoch_segments()));
}

TEST_CASE("cubic does not grow while application-limited and excludes that time from t",
          "[congestion][cubic]") {
  Cubic cc(Params());
  Driver d(cc);
  d.Send(10, kT0);
  absl::Time t = kT0 + absl::Milliseconds(100);
  d.Ack({1, 2, 3, 4, 5, 6, 7, 8, 9}, {0}, t);
  auto w = d.Send(7, t + absl::Milliseconds(1));
  t += absl::Milliseconds(101);
  d.Ack(w, {}, t);
  REQUIRE(cc.epoch_start().has_value());
  absl::Time epoch = *cc.epoch_start();
  size_t cwnd = cc.CongestionWindow();
  // Two packets in a 7-packet window, and the application has nothing more: no growth.
  auto few = d.Send(2, t);
  cc.OnAppLimited(d.in_flight());
  CHECK(cc.StateName() == "application_limited");
  absl::Time idle_start = t + absl::Milliseconds(100);
  d.Ack(few, {}, idle_start);
  CHECK(cc.CongestionWindow() == cwnd);
  // Ten seconds later the window is used again; t resumes where it stopped.
  absl::Time resume = idle_start + absl::Seconds(10);
  auto full = d.Send(cwnd / kMss, resume);
  d.Ack(full, {}, resume + absl::Milliseconds(100));
  REQUIRE(cc.epoch_start().has_value());
  CHECK(*cc.epoch_start() - epoch == resume + absl::Milliseconds(100) - idle_start);
  CHECK(cc.CongestionWindow() > cwnd);
  // Had the idle 10 s counted, W_cubic(t + RTT) would be far above W_max and the window would
  // jump by the 1.5x cap (RFC 9438 §4.2).
  CHECK(cc.CongestionWindow() < cwnd * 5 / 4);
}

// The window after a loss follows the closed form W_cubic(t) of RFC 9438 §4.2 on a path whose
// window always limits sending (large BDP, so W_cubic stays above W_est).
TEST_CASE("cubic window tracks W_cubic(t) after a loss", "[congestion][cubic]") {
  Cubic cc(Params());
  testing::FakePathConfig cfg;
  cfg.propagation_rtt = absl::Milliseconds(100);
  cfg.mss = kMss;
  testing::FakePath path(cc, cfg);
  REQUIRE(path.RunUntilTrue([&] { return cc.CongestionWindow() >= 128 * kMss; }, absl::Seconds(5)));
  uint64_t victim = path.packets_sent() + 1;
  path.SetDropFilter([victim](uint64_t pn) { return pn == victim; });
  REQUIRE(path.RunUntilTrue([&] { return cc.epoch_start().has_value(); }, absl::Seconds(2)));
  const double w_max = cc.w_max_segments();
  const double k = cc.k_seconds();
  const absl::Time epoch = *cc.epoch_start();
  CHECK(w_max > 200);
  CHECK(k == Approx(std::cbrt(w_max * (1 - 0.7) / 0.4)).epsilon(1e-6));
  CHECK(cc.cwnd_epoch_segments() == Approx(0.7 * w_max).epsilon(1e-3));
  // Sampled at whole RTTs; tolerance 1% of W_cubic(t) (the window moves toward W_cubic(t + RTT)
  // spread over each round, so it may lead the curve by part of a round; measured: at most 0.5%,
  // at t = 1 s, and below 0.1% from K on).
  for (double at : {1.0, 2.0, 3.0, k, k + 1.0, k + 2.0}) {
    path.RunUntil(epoch + absl::Milliseconds(static_cast<int64_t>(std::round(at * 10)) * 100));
    double t = absl::ToDoubleSeconds(path.now() - epoch);
    double expected = Cubic::CubicWindow(t, k, w_max);
    INFO("t = " << t << " s, W_cubic = " << expected << ", cwnd = " << Segs(cc.CongestionWindow()));
    CHECK(Segs(cc.CongestionWindow()) == Approx(expected).epsilon(0.01));
    CHECK_FALSE(cc.in_reno_friendly_region());
  }
  CHECK(path.packets_lost() == 1);
}

// Small BDP: Reno's additive increase outpaces the cubic curve (RFC 9438 §4.3).
TEST_CASE("cubic Reno-friendly region when W_est exceeds W_cubic", "[congestion][cubic]") {
  Cubic cc(Params());
  testing::FakePathConfig cfg;
  cfg.propagation_rtt = absl::Milliseconds(10);
  cfg.mss = kMss;
  testing::FakePath path(cc, cfg);
  REQUIRE(path.RunUntilTrue([&] { return cc.CongestionWindow() >= 16 * kMss; }, absl::Seconds(2)));
  uint64_t victim = path.packets_sent() + 1;
  path.SetDropFilter([victim](uint64_t pn) { return pn == victim; });
  REQUIRE(path.RunUntilTrue([&] { return cc.epoch_start().has_value(); }, absl::Seconds(1)));
  const double w_max = cc.w_max_segments();
  const double k = cc.k_seconds();
  const absl::Time epoch = *cc.epoch_start();
  REQUIRE(w_max < 64);
  path.RunUntil(epoch + absl::Seconds(1));
  double t = absl::ToDoubleSeconds(path.now() - epoch);
  double w_cubic = Cubic::CubicWindow(t, k, w_max);
  CHECK(cc.in_reno_friendly_region());
  CHECK(cc.w_est_segments() > w_cubic);
  CHECK(Segs(cc.CongestionWindow()) == Approx(cc.w_est_segments()).epsilon(0.01));
  // W_est passed cwnd_prior, so alpha is now 1 (Reno's rate).
  CHECK(cc.alpha() == 1.0);
  // Roughly one segment per RTT: after 1 s of 10 ms rounds W_est grew by about 100 segments
  // (alpha 0.53 until it reached cwnd_prior).
  CHECK(cc.w_est_segments() > 0.7 * w_max + 60);
  CHECK(cc.w_est_segments() < 0.7 * w_max + 100);
}

// A bottleneck with a deep buffer: the queue raises the RTT during slow start, HyStart++ moves to
// CSS and then to congestion avoidance without any loss.
TEST_CASE("cubic leaves slow start through HyStart++ without loss", "[congestion][cubic]") {
  Cubic cc(Params());
  testing::FakePathConfig cfg;
  cfg.propagation_rtt = absl::Milliseconds(50);
  cfg.bottleneck_bytes_per_second = 1000 * kMss;  // 1000 packets/s: BDP 50 packets
  cfg.buffer_bytes = 2000 * kMss;
  cfg.mss = kMss;
  testing::FakePath path(cc, cfg);
  bool saw_css = false;
  path.SetObserver([&](const AckEvent&) { saw_css = saw_css || cc.hystart().in_css(); });
  REQUIRE(path.RunUntilTrue([&] { return cc.hystart().done(); }, absl::Seconds(10)));
  CHECK(saw_css);
  CHECK(path.packets_lost() == 0);
  CHECK(cc.SlowStartThreshold() == cc.CongestionWindow());
  CHECK_FALSE(cc.InSlowStart());
  path.RunFor(absl::Milliseconds(500));
  // RFC 9438 §4.10: congestion avoidance after HyStart++ starts with K = 0, W_max = cwnd_epoch.
  CHECK(cc.k_seconds() == 0);
  CHECK(cc.StateName() == "congestion_avoidance");
}

}  // namespace
}  // namespace kite::congestion
