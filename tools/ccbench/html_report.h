// The single-file HTML report of ccbench: summary tables, a Pantheon-style throughput-vs-delay
// scatter per algorithm, and per scenario throughput, RTT and cwnd over time, all as inline SVG
// (no scripts, no external resources).
#ifndef KITE_TOOLS_CCBENCH_HTML_REPORT_H_
#define KITE_TOOLS_CCBENCH_HTML_REPORT_H_

#include <string>
#include <vector>

#include "quic/sim/dumbbell.h"
#include "tools/ccbench/metrics.h"
#include "tools/ccbench/svg_plot.h"

namespace kite::ccbench {

struct ReportScenario {
  ScenarioSummary summary;
  // The run's time series; null leaves the scenario's time plots out.
  const quic::sim::DumbbellResult* result = nullptr;
};

// One point per flow of every scenario: x = RTT p95 (ms), y = goodput (Mbit/s), one series per
// congestion controller, in order of first appearance.
std::vector<PlotSeries> ThroughputDelaySeries(const std::vector<ReportScenario>& scenarios);

std::string HtmlReport(const std::string& title, const std::vector<ReportScenario>& scenarios);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_HTML_REPORT_H_
