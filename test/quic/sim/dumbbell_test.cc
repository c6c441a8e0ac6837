// The dumbbell congestion simulator carrying real kite connections: short runs with properties
// that follow from the topology (capacity, RTT, queue limits, loss, determinism).
#include <catch2/catch.hpp>

#include <algorithm>

#include "absl/time/time.h"
#include "quic/sim/dumbbell.h"

namespace kite::quic::sim {
namespace {

DumbbellConfig Base() {
  DumbbellConfig c;
  c.rate_bps = 10'000'000;
  c.buffer_bytes = 25'000;  // 1 BDP at 10 Mbit/s x 20 ms
  c.duration = absl::Seconds(3);
  c.sample_interval = absl::Milliseconds(50);
  DumbbellFlowConfig f;
  f.rtt = absl::Milliseconds(20);
  c.flows = {f};
  return c;
}

DumbbellResult MustRun(const DumbbellConfig& c) {
  DumbbellSimulator sim(c);
  absl::StatusOr<DumbbellResult> r = sim.Run();
  REQUIRE(r.ok());
  return std::move(*r);
}

TEST_CASE("invalid dumbbell configurations are refused by name", "[sim][basic]") {
  DumbbellConfig c = Base();
  c.flows.clear();
  CHECK_FALSE(ValidateDumbbellConfig(c).ok());
  c = Base();
  c.loss = 1.5;
  CHECK_FALSE(ValidateDumbbellConfig(c).ok());
  c = Base();
  c.flows[0].congestion_controller = "no-such-controller";
  absl::Status st = ValidateDumbbellConfig(c);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("no-such-controller") != std::string::npos);
  c = Base();
  c.rate_schedule = {{absl::Seconds(2), 1}, {absl::Seconds(1), 1}};
  CHECK_FALSE(ValidateDumbbellConfig(c).ok());
  CHECK(ValidateDumbbellConfig(Base()).ok());
}

TEST_CASE("one flow fills a clean bottleneck and never exceeds it", "[sim][basic]") {
  DumbbellResult r = MustRun(Base());
  REQUIRE(r.flows.size() == 1);
  const FlowResult& f = r.flows[0];
  CHECK(f.error.empty());
  CHECK(f.handshake_completed);
  // The handshake takes about one RTT plus serialization.
  CHECK(f.handshake_done >= absl::Milliseconds(20));
  CHECK(f.handshake_done < absl::Milliseconds(200));
  // Never more than the link carried, and the link is well used after start-up.
  CHECK(r.bottleneck_bytes <= static_cast<uint64_t>(r.capacity_bytes) + 1500);
  CHECK(f.delivered_bytes <= r.bottleneck_bytes);
  double utilization = static_cast<double>(r.bottleneck_bytes) / r.capacity_bytes;
  CHECK(utilization > 0.8);
  CHECK(r.max_queue_bytes <= 25'000);
  // RTT samples never go below the base RTT; min RTT is close to it.
  REQUIRE_FALSE(f.rtt_samples_ms.empty());
  CHECK(*std::min_element(f.rtt_samples_ms.begin(), f.rtt_samples_ms.end()) >= 20.0f);
  REQUIRE_FALSE(f.samples.empty());
  CHECK(f.samples.back().min_rtt < absl::Milliseconds(23));
  // The time series is cumulative and sampled at the configured interval.
  for (size_t i = 1; i < f.samples.size(); ++i) {
    CHECK(f.samples[i].delivered_bytes >= f.samples[i - 1].delivered_bytes);
    CHECK(f.samples[i].t - f.samples[i - 1].t == absl::Milliseconds(50));
  }
}

TEST_CASE("the same seed replays the same run; another seed differs", "[sim][replay]") {
  DumbbellConfig c = Base();
  c.loss = 0.01;
  c.jitter = absl::Milliseconds(2);
  DumbbellResult a = MustRun(c);
  DumbbellResult b = MustRun(c);
  CHECK(a.flows[0].delivered_bytes == b.flows[0].delivered_bytes);
  CHECK(a.flows[0].packets_lost == b.flows[0].packets_lost);
  CHECK(a.random_losses == b.random_losses);
  c.seed = 99;
  DumbbellResult d = MustRun(c);
  CHECK(d.random_losses != a.random_losses);
}

TEST_CASE("random loss drops about the configured fraction of bottleneck datagrams",
          "[sim][loss]") {
  DumbbellConfig c = Base();
  c.loss = 0.02;
  DumbbellResult r = MustRun(c);
  double packets = static_cast<double>(r.bottleneck_bytes) / 1200.0;
  REQUIRE(packets > 1000);
  double frac = static_cast<double>(r.random_losses) / packets;
  CHECK(frac > 0.01);
  CHECK(frac < 0.03);
  CHECK(r.flows[0].packets_lost > 0);
  CHECK(r.flows[0].stream_bytes_retransmitted > 0);
}

TEST_CASE("a deep drop-tail buffer fills and inflates the RTT; CoDel keeps it short",
          "[sim][queue]") {
  DumbbellConfig c = Base();
  c.rate_bps = 5'000'000;
  c.buffer_bytes = 125'000;  // 10 BDP at 5 Mbit/s x 20 ms: up to 200 ms of queue
  c.duration = absl::Seconds(4);
  DumbbellResult tail = MustRun(c);
  c.queue = QueueKind::kCoDel;
  DumbbellResult codel = MustRun(c);
  auto mean_sojourn_ms = [](const FlowResult& f) {
    return 1000.0 * f.sojourn_sum_s / static_cast<double>(std::max<uint64_t>(1, f.sojourn_count));
  };
  CHECK(tail.max_queue_bytes > 50'000);
  CHECK(mean_sojourn_ms(tail.flows[0]) > 40.0);
  CHECK(codel.aqm_drops > 0);
  CHECK(mean_sojourn_ms(codel.flows[0]) < 20.0);
  CHECK(mean_sojourn_ms(codel.flows[0]) < mean_sojourn_ms(tail.flows[0]) / 2);
  // Both still carry most of the capacity.
  CHECK(static_cast<double>(codel.bottleneck_bytes) / codel.capacity_bytes > 0.7);
}

TEST_CASE("a rate schedule changes the capacity mid-run", "[sim][timing]") {
  DumbbellConfig c = Base();
  c.duration = absl::Seconds(4);
  c.rate_schedule = {{absl::Seconds(2), 2'000'000}};
  DumbbellResult r = MustRun(c);
  CHECK(r.capacity_bytes == Approx((10e6 * 2 + 2e6 * 2) / 8));
  const FlowResult& f = r.flows[0];
  // Delivered in the last second is bounded by the 2 Mbit/s rate.
  uint64_t at3 = 0, at4 = f.samples.back().delivered_bytes;
  for (const FlowSample& s : f.samples) {
    if (s.t <= absl::Seconds(3)) at3 = s.delivered_bytes;
  }
  CHECK(at4 - at3 <= 2'000'000 / 8 + 5000);
  CHECK(RateAt(c, absl::Seconds(1)) == 10'000'000);
  CHECK(RateAt(c, absl::Seconds(2)) == 2'000'000);
}

TEST_CASE("flows start and stop at their times and share the bottleneck", "[sim][timing]") {
  DumbbellConfig c = Base();
  c.duration = absl::Seconds(4);
  DumbbellFlowConfig late;
  late.rtt = absl::Milliseconds(20);
  late.start = absl::Seconds(1);
  late.stop = absl::Seconds(3);
  c.flows.push_back(late);
  DumbbellResult r = MustRun(c);
  REQUIRE(r.flows.size() == 2);
  const FlowResult& f = r.flows[1];
  CHECK(f.error.empty());
  CHECK(f.handshake_done >= absl::Seconds(1));
  CHECK(f.data_end == absl::Seconds(3));
  CHECK(f.delivered_bytes > 0);
  CHECK(f.samples.front().t >= absl::Seconds(1));
  CHECK(f.samples.back().t <= absl::Seconds(3));
  CHECK(r.flows[0].samples.back().t == absl::Seconds(4));
}

TEST_CASE("ACK aggregation releases ACKs in bursts at period boundaries", "[sim][timing]") {
  DumbbellConfig c = Base();
  c.ack_aggregation = absl::Milliseconds(20);
  DumbbellResult r = MustRun(c);
  const FlowResult& f = r.flows[0];
  CHECK(f.error.empty());
  CHECK(f.delivered_bytes > 0);
  // ACKs wait up to one period, so RTT samples spread above the base RTT.
  REQUIRE_FALSE(f.rtt_samples_ms.empty());
  float max_rtt = *std::max_element(f.rtt_samples_ms.begin(), f.rtt_samples_ms.end());
  CHECK(max_rtt > 25.0f);
}

}  // namespace
}  // namespace kite::quic::sim
