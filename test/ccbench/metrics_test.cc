#include <catch2/catch.hpp>

#include <vector>

#include "test/ccbench/fake_result.h"
#include "tools/ccbench/metrics.h"

namespace kite::ccbench {
namespace {

TEST_CASE("percentiles interpolate between closest ranks", "[ccbench]") {
  std::vector<float> v;
  for (int i = 1; i <= 101; ++i) v.push_back(static_cast<float>(102 - i));  // 101..1, unsorted
  CHECK(Percentile(v, 0.5) == Approx(51));
  CHECK(Percentile(v, 0.0) == Approx(1));
  CHECK(Percentile(v, 1.0) == Approx(101));
  CHECK(Percentile(v, 0.95) == Approx(96));
  std::vector<float> two = {10, 20};
  CHECK(Percentile(two, 0.25) == Approx(12.5));
  std::vector<float> none;
  CHECK(Percentile(none, 0.5) == 0);
}

TEST_CASE("Jain's index is 1 for equal shares and 1/n for one hog", "[ccbench]") {
  CHECK(JainIndex({5, 5, 5, 5}) == Approx(1.0));
  CHECK(JainIndex({1, 0, 0, 0}) == Approx(0.25));
  CHECK(JainIndex({8, 2}) == Approx(100.0 / (2 * 68)));
  CHECK(JainIndex({}) == 1);
}

TEST_CASE("goodput over a window comes from the cumulative delivered samples", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  CHECK(GoodputMbps(r.flows[0], absl::ZeroDuration(), absl::Seconds(10)) == Approx(8.0));
  CHECK(GoodputMbps(r.flows[1], absl::Seconds(5), absl::Seconds(10)) == Approx(2.0));
  CHECK(GoodputMbps(r.flows[1], absl::Seconds(11), absl::Seconds(12)) == 0);
  std::vector<ThroughputPoint> series = ThroughputSeries(r.flows[0], absl::Seconds(1));
  REQUIRE(series.size() == 100);
  CHECK(series.back().t_s == Approx(10));
  CHECK(series.back().mbps == Approx(8.0));
}

TEST_CASE("a scenario summary aggregates flows and finds the shared window", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  ScenarioSummary s = Summarize("fake", "two flows", test::FakeConfig(), r);
  REQUIRE(s.flows.size() == 2);
  CHECK(s.flows[0].goodput_mbps == Approx(8.0));
  CHECK(s.flows[1].goodput_mbps == Approx(2.0));
  CHECK(s.total_goodput_mbps == Approx(10.0));
  CHECK(s.utilization == Approx(0.9));
  CHECK(s.flows[0].rtt_p50_ms == Approx(50.5));
  CHECK(s.flows[1].rtt_p99_ms == Approx(50));
  CHECK(s.flows[0].queueing_delay_ms == Approx(5));
  CHECK(s.max_queueing_delay_ms == Approx(20));
  CHECK(s.flows[0].retransmission_rate == Approx(0.01));
  CHECK(s.retransmission_rate == Approx(30.0 / 2000));
  CHECK(s.flows[0].loss_rate == Approx(0.01));
  // 8 vs 2 Mbit/s all along: unfair, and never converges.
  CHECK(s.jain_index == Approx(100.0 / 136));
  CHECK(s.convergence_time_s < 0);
}

TEST_CASE("equal flows converge at once", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  r.flows[1] = r.flows[0];
  ScenarioSummary s = Summarize("fair", "", test::FakeConfig(), r);
  CHECK(s.jain_index == Approx(1.0));
  CHECK(s.convergence_time_s == Approx(0.0));
}

}  // namespace
}  // namespace kite::ccbench
