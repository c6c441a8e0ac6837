#include "tools/ccbench/csv_writer.h"

#include "absl/strings/str_cat.h"
#include "tools/ccbench/text_escape.h"

namespace kite::ccbench {

std::string TimeSeriesCsv(const std::string& scenario, const quic::sim::DumbbellResult& result) {
  std::string out =
      "scenario,flow,cc,t_s,throughput_mbps,cwnd_bytes,pacing_rate_mbps,bytes_in_flight,srtt_ms,"
      "min_rtt_ms,latest_rtt_ms,delivered_bytes,packets_lost,bytes_sent\n";
  const std::string name = CsvField(scenario);
  for (size_t i = 0; i < result.flows.size(); ++i) {
    const quic::sim::FlowResult& f = result.flows[i];
    const std::string cc = CsvField(f.config.congestion_controller);
    for (size_t j = 0; j < f.samples.size(); ++j) {
      const quic::sim::FlowSample& s = f.samples[j];
      double mbps = 0;
      if (j > 0) {
        double dt = absl::ToDoubleSeconds(s.t - f.samples[j - 1].t);
        if (dt > 0) {
          mbps = static_cast<double>(s.delivered_bytes - f.samples[j - 1].delivered_bytes) * 8 /
                 dt / 1e6;
        }
      }
      absl::StrAppend(&out, name, ",", i, ",", cc, ",", Number(absl::ToDoubleSeconds(s.t)), ",",
                      Number(mbps), ",", s.cwnd_bytes, ",",
                      Number(static_cast<double>(s.pacing_rate_bytes_per_second) * 8 / 1e6), ",",
                      s.bytes_in_flight, ",", Number(absl::ToDoubleMilliseconds(s.smoothed_rtt)),
                      ",", Number(absl::ToDoubleMilliseconds(s.min_rtt)), ",",
                      Number(absl::ToDoubleMilliseconds(s.latest_rtt)), ",", s.delivered_bytes,
                      ",", s.packets_lost, ",", s.bytes_sent, "\n");
    }
  }
  return out;
}

std::string SummaryCsv(const std::vector<ScenarioSummary>& summaries) {
  std::string out =
      "scenario,description,flows,rate_mbps,buffer_bytes,goodput_mbps,utilization,rtt_p50_ms,"
      "rtt_p95_ms,rtt_p99_ms,queueing_delay_ms,max_queueing_delay_ms,retransmission_rate,"
      "jain_index,convergence_time_s\n";
  for (const ScenarioSummary& s : summaries) {
    absl::StrAppend(&out, CsvField(s.name), ",", CsvField(s.description), ",", s.flows.size(), ",",
                    Number(s.rate_mbps), ",", Number(s.buffer_bytes), ",",
                    Number(s.total_goodput_mbps), ",", Number(s.utilization), ",",
                    Number(s.rtt_p50_ms), ",", Number(s.rtt_p95_ms), ",", Number(s.rtt_p99_ms),
                    ",", Number(s.queueing_delay_ms), ",", Number(s.max_queueing_delay_ms), ",",
                    Number(s.retransmission_rate), ",", Number(s.jain_index), ",",
                    s.convergence_time_s < 0 ? std::string() : Number(s.convergence_time_s),
                    "\n");
  }
  return out;
}

std::string FlowSummaryCsv(const std::vector<ScenarioSummary>& summaries) {
  std::string out =
      "scenario,flow,cc,base_rtt_ms,start_s,end_s,goodput_mbps,steady_goodput_mbps,rtt_p50_ms,"
      "rtt_p95_ms,rtt_p99_ms,queueing_delay_ms,retransmission_rate,loss_rate,delivered_bytes,"
      "error\n";
  for (const ScenarioSummary& s : summaries) {
    for (const FlowSummary& f : s.flows) {
      absl::StrAppend(&out, CsvField(s.name), ",", f.index, ",", CsvField(f.cc), ",",
                      Number(f.base_rtt_ms), ",", Number(f.start_s), ",", Number(f.end_s), ",",
                      Number(f.goodput_mbps), ",", Number(f.steady_goodput_mbps), ",",
                      Number(f.rtt_p50_ms), ",", Number(f.rtt_p95_ms), ",", Number(f.rtt_p99_ms),
                      ",", Number(f.queueing_delay_ms), ",", Number(f.retransmission_rate), ",",
                      Number(f.loss_rate), ",", f.delivered_bytes, ",", CsvField(f.error), "\n");
    }
  }
  return out;
}

}  // namespace kite::ccbench
