// CSV outputs of ccbench (RFC 4180, header row first).
#ifndef KITE_TOOLS_CCBENCH_CSV_WRITER_H_
#define KITE_TOOLS_CCBENCH_CSV_WRITER_H_

#include <string>
#include <vector>

#include "quic/sim/dumbbell.h"
#include "tools/ccbench/metrics.h"

namespace kite::ccbench {

// One row per flow and sample: scenario,flow,cc,t_s,throughput_mbps (since the previous
// sample),cwnd_bytes,pacing_rate_mbps,bytes_in_flight,srtt_ms,min_rtt_ms,latest_rtt_ms,
// delivered_bytes,packets_lost,bytes_sent.
std::string TimeSeriesCsv(const std::string& scenario, const quic::sim::DumbbellResult& result);

// One row per scenario with its aggregates.
std::string SummaryCsv(const std::vector<ScenarioSummary>& summaries);

// One row per flow of every scenario.
std::string FlowSummaryCsv(const std::vector<ScenarioSummary>& summaries);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_CSV_WRITER_H_
