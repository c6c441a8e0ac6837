// Hand-made simulator results for the report-writer tests: two flows with known goodput, RTTs
// and sample series, so expected figures can be computed by hand.
#ifndef KITE_TEST_CCBENCH_FAKE_RESULT_H_
#define KITE_TEST_CCBENCH_FAKE_RESULT_H_

#include "absl/time/time.h"
#include "quic/sim/dumbbell.h"

namespace kite::ccbench::test {

// Flow 0 ("cubic"): 8 Mbit/s from 0 to 10 s; flow 1 ("bbr", "a,b" never appears): 2 Mbit/s
// from 2 s to 10 s. Samples every 100 ms. RTT samples 1..100 ms for flow 0, 50 ms for flow 1.
inline quic::sim::DumbbellResult FakeResult() {
  quic::sim::DumbbellResult r;
  r.duration = absl::Seconds(10);
  r.capacity_bytes = 10e6 / 8 * 10;
  r.bottleneck_bytes = static_cast<uint64_t>(r.capacity_bytes * 0.9);
  const double rates[2] = {8e6, 2e6};
  const absl::Duration starts[2] = {absl::ZeroDuration(), absl::Seconds(2)};
  const char* ccs[2] = {"cubic", "bbr"};
  for (int i = 0; i < 2; ++i) {
    quic::sim::FlowResult f;
    f.config.congestion_controller = ccs[i];
    f.config.rtt = absl::Milliseconds(40);
    f.config.start = starts[i];
    f.data_start = starts[i];
    f.data_end = absl::Seconds(10);
    for (absl::Duration t = starts[i]; t <= absl::Seconds(10); t += absl::Milliseconds(100)) {
      quic::sim::FlowSample s;
      s.t = t;
      s.delivered_bytes =
          static_cast<uint64_t>(rates[i] / 8 * absl::ToDoubleSeconds(t - starts[i]));
      s.cwnd_bytes = 10000 * static_cast<uint64_t>(i + 1);
      s.smoothed_rtt = absl::Milliseconds(45);
      s.min_rtt = absl::Milliseconds(40);
      s.latest_rtt = absl::Milliseconds(46);
      f.samples.push_back(s);
    }
    f.delivered_bytes = f.samples.back().delivered_bytes;
    f.stream_bytes_sent = 1000;
    f.stream_bytes_retransmitted = 10 * static_cast<uint64_t>(i + 1);
    f.packets_sent = 100;
    f.packets_lost = 1;
    f.sojourn_sum_s = 0.5;
    f.sojourn_count = 100;  // 5 ms mean
    f.sojourn_max = absl::Milliseconds(20);
    if (i == 0) {
      for (int ms = 1; ms <= 100; ++ms) f.rtt_samples_ms.push_back(static_cast<float>(ms));
    } else {
      f.rtt_samples_ms.assign(10, 50.0f);
    }
    r.flows.push_back(f);
  }
  return r;
}

inline quic::sim::DumbbellConfig FakeConfig() {
  quic::sim::DumbbellConfig c;
  c.rate_bps = 10'000'000;
  c.buffer_bytes = 50'000;
  c.sample_interval = absl::Milliseconds(100);
  c.duration = absl::Seconds(10);
  return c;
}

}  // namespace kite::ccbench::test

#endif  // KITE_TEST_CCBENCH_FAKE_RESULT_H_
