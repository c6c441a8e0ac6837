#include "tools/ccbench/metrics.h"

#include <algorithm>
#include <cmath>
#include <optional>

namespace kite::ccbench {

using quic::sim::FlowResult;
using quic::sim::FlowSample;

double Percentile(std::vector<float>& values, double q) {
  if (values.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  double pos = q * static_cast<double>(values.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, values.size() - 1);
  std::nth_element(values.begin(), values.begin() + lo, values.end());
  double a = values[lo];
  if (hi == lo) return a;
  double b = *std::min_element(values.begin() + hi, values.end());
  return a + (b - a) * (pos - static_cast<double>(lo));
}

double JainIndex(const std::vector<double>& x) {
  double sum = 0, sq = 0;
  for (double v : x) {
    sum += v;
    sq += v * v;
  }
  if (x.empty() || sq == 0) return 1;
  return sum * sum / (static_cast<double>(x.size()) * sq);
}

namespace {

// The delivered count at the last sample at or before `t` (and that sample's time).
bool DeliveredAt(const FlowResult& f, absl::Duration t, uint64_t* bytes, absl::Duration* at) {
  auto it = std::upper_bound(f.samples.begin(), f.samples.end(), t,
                             [](absl::Duration v, const FlowSample& s) { return v < s.t; });
  if (it == f.samples.begin()) return false;
  --it;
  *bytes = it->delivered_bytes;
  *at = it->t;
  return true;
}

// The delivered count at the first sample at or after `t`.
bool DeliveredFrom(const FlowResult& f, absl::Duration t, uint64_t* bytes, absl::Duration* at) {
  auto it = std::lower_bound(f.samples.begin(), f.samples.end(), t,
                             [](const FlowSample& s, absl::Duration v) { return s.t < v; });
  if (it == f.samples.end()) return false;
  *bytes = it->delivered_bytes;
  *at = it->t;
  return true;
}

double Mbps(uint64_t bytes, absl::Duration d) {
  double s = absl::ToDoubleSeconds(d);
  return s > 0 ? static_cast<double>(bytes) * 8.0 / s / 1e6 : 0;
}

}  // namespace

double GoodputMbps(const FlowResult& flow, absl::Duration from, absl::Duration to) {
  uint64_t b0 = 0, b1 = 0;
  absl::Duration t0, t1;
  if (!DeliveredFrom(flow, from, &b0, &t0) || !DeliveredAt(flow, to, &b1, &t1) || t1 <= t0) {
    return 0;
  }
  return Mbps(b1 - b0, t1 - t0);
}

std::vector<ThroughputPoint> ThroughputSeries(const FlowResult& flow, absl::Duration window) {
  std::vector<ThroughputPoint> out;
  size_t j = 0;
  for (size_t i = 0; i < flow.samples.size(); ++i) {
    const FlowSample& s = flow.samples[i];
    while (j < i && s.t - flow.samples[j].t > window) ++j;
    if (j == i) continue;
    out.push_back({absl::ToDoubleSeconds(s.t),
                   Mbps(s.delivered_bytes - flow.samples[j].delivered_bytes,
                        s.t - flow.samples[j].t)});
  }
  return out;
}

ScenarioSummary Summarize(const std::string& name, const std::string& description,
                          const quic::sim::DumbbellConfig& config,
                          const quic::sim::DumbbellResult& result) {
  ScenarioSummary s;
  s.name = name;
  s.description = description;
  s.rate_mbps = static_cast<double>(config.rate_bps) / 1e6;
  s.buffer_bytes = static_cast<double>(config.buffer_bytes);
  s.utilization =
      result.capacity_bytes > 0 ? static_cast<double>(result.bottleneck_bytes) / result.capacity_bytes : 0;
  std::vector<float> all_rtts;
  double sojourn_sum = 0;
  uint64_t sojourn_count = 0;
  absl::Duration sojourn_max;
  uint64_t stream_sent = 0, stream_retx = 0;
  absl::Duration overlap_start = absl::ZeroDuration();
  absl::Duration overlap_end = result.duration;
  for (const FlowResult& f : result.flows) {
    FlowSummary fs;
    fs.index = s.flows.size();
    fs.cc = f.config.congestion_controller;
    fs.base_rtt_ms = absl::ToDoubleMilliseconds(f.config.rtt);
    fs.start_s = absl::ToDoubleSeconds(f.data_start);
    fs.end_s = absl::ToDoubleSeconds(f.data_end);
    fs.goodput_mbps = GoodputMbps(f, f.data_start, f.data_end);
    fs.steady_goodput_mbps = GoodputMbps(f, (f.data_start + f.data_end) / 2, f.data_end);
    std::vector<float> rtts = f.rtt_samples_ms;
    all_rtts.insert(all_rtts.end(), rtts.begin(), rtts.end());
    fs.rtt_p50_ms = Percentile(rtts, 0.50);
    fs.rtt_p95_ms = Percentile(rtts, 0.95);
    fs.rtt_p99_ms = Percentile(rtts, 0.99);
    fs.queueing_delay_ms =
        f.sojourn_count ? 1000.0 * f.sojourn_sum_s / static_cast<double>(f.sojourn_count) : 0;
    fs.retransmission_rate =
        f.stream_bytes_sent
            ? static_cast<double>(f.stream_bytes_retransmitted) / static_cast<double>(f.stream_bytes_sent)
            : 0;
    fs.loss_rate = f.packets_sent ? static_cast<double>(f.packets_lost) / static_cast<double>(f.packets_sent)
                                  : 0;
    fs.delivered_bytes = f.delivered_bytes;
    fs.error = f.error;
    s.total_goodput_mbps += fs.goodput_mbps;
    sojourn_sum += f.sojourn_sum_s;
    sojourn_count += f.sojourn_count;
    sojourn_max = std::max(sojourn_max, f.sojourn_max);
    stream_sent += f.stream_bytes_sent;
    stream_retx += f.stream_bytes_retransmitted;
    overlap_start = std::max(overlap_start, f.data_start);
    overlap_end = std::min(overlap_end, f.data_end);
    s.flows.push_back(fs);
  }
  s.rtt_p50_ms = Percentile(all_rtts, 0.50);
  s.rtt_p95_ms = Percentile(all_rtts, 0.95);
  s.rtt_p99_ms = Percentile(all_rtts, 0.99);
  s.queueing_delay_ms = sojourn_count ? 1000.0 * sojourn_sum / static_cast<double>(sojourn_count) : 0;
  s.max_queueing_delay_ms = absl::ToDoubleMilliseconds(sojourn_max);
  s.retransmission_rate =
      stream_sent ? static_cast<double>(stream_retx) / static_cast<double>(stream_sent) : 0;

  if (result.flows.size() > 1 && overlap_end > overlap_start) {
    std::vector<double> steady;
    absl::Duration mid = (overlap_start + overlap_end) / 2;
    for (const FlowResult& f : result.flows) steady.push_back(GoodputMbps(f, mid, overlap_end));
    s.jain_index = JainIndex(steady);
    // Convergence: from the last start, the first time after which every 1 s window's Jain
    // index stays >= 0.9 until the overlap ends.
    const absl::Duration window = absl::Seconds(1);
    const absl::Duration step = config.sample_interval;
    std::optional<absl::Duration> converged;
    for (absl::Duration t = overlap_start + window; t <= overlap_end; t += step) {
      std::vector<double> g;
      for (const FlowResult& f : result.flows) g.push_back(GoodputMbps(f, t - window, t));
      if (JainIndex(g) >= 0.9) {
        if (!converged.has_value()) converged = t - window;
      } else {
        converged.reset();
      }
    }
    if (converged.has_value()) s.convergence_time_s = absl::ToDoubleSeconds(*converged - overlap_start);
  } else if (result.flows.size() == 1) {
    const FlowResult& f = result.flows[0];
    double target = 0.9 * s.flows[0].steady_goodput_mbps;
    for (const ThroughputPoint& p : ThroughputSeries(f, absl::Seconds(1))) {
      if (p.t_s - absl::ToDoubleSeconds(f.data_start) < 1.0) continue;
      if (target > 0 && p.mbps >= target) {
        s.convergence_time_s = p.t_s - 1.0 - absl::ToDoubleSeconds(f.data_start);
        if (s.convergence_time_s < 0) s.convergence_time_s = 0;
        break;
      }
    }
  }
  return s;
}

}  // namespace kite::ccbench
