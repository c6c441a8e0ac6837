// What ccbench reports about a dumbbell run: per-flow goodput, RTT percentiles, queueing delay,
// retransmission rate; per-scenario link utilization, Jain's fairness index and convergence time.
#ifndef KITE_TOOLS_CCBENCH_METRICS_H_
#define KITE_TOOLS_CCBENCH_METRICS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "quic/sim/dumbbell.h"

namespace kite::ccbench {

// The q-quantile (q in [0, 1]) by linear interpolation between closest ranks; 0 when empty.
// Reorders `values`.
double Percentile(std::vector<float>& values, double q);

// Jain's fairness index (sum x)^2 / (n * sum x^2), in [1/n, 1]; 1 for an empty or all-zero set.
double JainIndex(const std::vector<double>& x);

// A flow's goodput (stream bytes the client read) in Mbit/s over [from, to], from its samples.
// 0 if the window holds fewer than two samples.
double GoodputMbps(const quic::sim::FlowResult& flow, absl::Duration from, absl::Duration to);

struct ThroughputPoint {
  double t_s = 0;
  double mbps = 0;
};
// Goodput over a sliding `window`, one point per sample.
std::vector<ThroughputPoint> ThroughputSeries(const quic::sim::FlowResult& flow,
                                              absl::Duration window);

struct FlowSummary {
  size_t index = 0;
  std::string cc;
  double base_rtt_ms = 0;
  double start_s = 0;
  double end_s = 0;
  double goodput_mbps = 0;         // over the flow's whole data phase
  double steady_goodput_mbps = 0;  // over the second half of its data phase
  double rtt_p50_ms = 0;
  double rtt_p95_ms = 0;
  double rtt_p99_ms = 0;
  double queueing_delay_ms = 0;  // mean bottleneck sojourn of its datagrams
  double retransmission_rate = 0;  // retransmitted / sent stream bytes
  double loss_rate = 0;            // packets declared lost / packets sent
  uint64_t delivered_bytes = 0;
  std::string error;
};

struct ScenarioSummary {
  std::string name;
  std::string description;  // the scenario's parameters, for tables
  std::vector<FlowSummary> flows;
  double rate_mbps = 0;
  double buffer_bytes = 0;
  double total_goodput_mbps = 0;
  double utilization = 0;  // bottleneck bytes / capacity over the run
  double jain_index = 1;   // over steady goodputs in the window all flows share
  // Seconds from the last flow's start until fairness (several flows: Jain over 1 s windows stays
  // at or above 0.9) or, with one flow, until its 1 s goodput first reaches 90% of its steady
  // goodput. Negative when never reached.
  double convergence_time_s = -1;
  double rtt_p50_ms = 0;
  double rtt_p95_ms = 0;
  double rtt_p99_ms = 0;
  double queueing_delay_ms = 0;
  double max_queueing_delay_ms = 0;
  double retransmission_rate = 0;
};

ScenarioSummary Summarize(const std::string& name, const std::string& description,
                          const quic::sim::DumbbellConfig& config,
                          const quic::sim::DumbbellResult& result);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_METRICS_H_
