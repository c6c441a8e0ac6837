#include "tools/ccbench/markdown_writer.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace kite::ccbench {
namespace {

std::string Cell(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += '\\';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out;
}

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

}  // namespace

std::string SummaryMarkdown(const std::vector<ScenarioSummary>& summaries) {
  std::string out =
      "## Scenarios\n\n"
      "| scenario | parameters | flows | goodput (Mbit/s) | utilization | RTT p50 / p95 / p99 (ms) "
      "| queueing delay mean / max (ms) | retransmitted | Jain | convergence (s) |\n"
      "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";
  for (const ScenarioSummary& s : summaries) {
    absl::StrAppend(&out, "| ", Cell(s.name), " | ", Cell(s.description), " | ", s.flows.size(),
                    " | ", Fixed(s.total_goodput_mbps, 2), " | ", Fixed(100 * s.utilization, 1),
                    "% | ", Fixed(s.rtt_p50_ms, 1), " / ", Fixed(s.rtt_p95_ms, 1), " / ",
                    Fixed(s.rtt_p99_ms, 1), " | ", Fixed(s.queueing_delay_ms, 1), " / ",
                    Fixed(s.max_queueing_delay_ms, 1), " | ",
                    Fixed(100 * s.retransmission_rate, 2), "% | ", Fixed(s.jain_index, 3), " | ",
                    s.convergence_time_s < 0 ? std::string("n/a") : Fixed(s.convergence_time_s, 2),
                    " |\n");
  }
  absl::StrAppend(&out,
                  "\n## Flows\n\n"
                  "| scenario | flow | cc | base RTT (ms) | active (s) | goodput (Mbit/s) | "
                  "steady goodput (Mbit/s) | RTT p50 / p95 / p99 (ms) | queueing delay (ms) | "
                  "retransmitted | error |\n"
                  "|---|---:|---|---:|---|---:|---:|---:|---:|---:|---|\n");
  for (const ScenarioSummary& s : summaries) {
    for (const FlowSummary& f : s.flows) {
      absl::StrAppend(&out, "| ", Cell(s.name), " | ", f.index, " | ", Cell(f.cc), " | ",
                      Fixed(f.base_rtt_ms, 1), " | ", Fixed(f.start_s, 2), "-", Fixed(f.end_s, 2),
                      " | ", Fixed(f.goodput_mbps, 2), " | ", Fixed(f.steady_goodput_mbps, 2),
                      " | ", Fixed(f.rtt_p50_ms, 1), " / ", Fixed(f.rtt_p95_ms, 1), " / ",
                      Fixed(f.rtt_p99_ms, 1), " | ", Fixed(f.queueing_delay_ms, 1), " | ",
                      Fixed(100 * f.retransmission_rate, 2), "% | ", Cell(f.error), " |\n");
    }
  }
  return out;
}

}  // namespace kite::ccbench
