#include "tools/ccbench/json_writer.h"

#include "absl/strings/str_cat.h"
#include "tools/ccbench/text_escape.h"

namespace kite::ccbench {
namespace {

std::string Str(const std::string& s) { return absl::StrCat("\"", JsonEscape(s), "\""); }

}  // namespace

std::string SummaryJson(const std::vector<ScenarioSummary>& summaries) {
  std::string out = "{\n  \"scenarios\": [";
  for (size_t i = 0; i < summaries.size(); ++i) {
    const ScenarioSummary& s = summaries[i];
    absl::StrAppend(&out, i ? "," : "", "\n    {\"name\": ", Str(s.name),
                    ", \"description\": ", Str(s.description),
                    ", \"rate_mbps\": ", Number(s.rate_mbps),
                    ", \"buffer_bytes\": ", Number(s.buffer_bytes),
                    ", \"goodput_mbps\": ", Number(s.total_goodput_mbps),
                    ", \"utilization\": ", Number(s.utilization),
                    ", \"rtt_p50_ms\": ", Number(s.rtt_p50_ms),
                    ", \"rtt_p95_ms\": ", Number(s.rtt_p95_ms),
                    ", \"rtt_p99_ms\": ", Number(s.rtt_p99_ms),
                    ", \"queueing_delay_ms\": ", Number(s.queueing_delay_ms),
                    ", \"max_queueing_delay_ms\": ", Number(s.max_queueing_delay_ms),
                    ", \"retransmission_rate\": ", Number(s.retransmission_rate),
                    ", \"jain_index\": ", Number(s.jain_index),
                    ", \"convergence_time_s\": ",
                    s.convergence_time_s < 0 ? std::string("null") : Number(s.convergence_time_s),
                    ",\n     \"flows\": [");
    for (size_t j = 0; j < s.flows.size(); ++j) {
      const FlowSummary& f = s.flows[j];
      absl::StrAppend(&out, j ? "," : "", "\n       {\"index\": ", f.index,
                      ", \"cc\": ", Str(f.cc),
                      ", \"base_rtt_ms\": ", Number(f.base_rtt_ms),
                      ", \"start_s\": ", Number(f.start_s),
                      ", \"end_s\": ", Number(f.end_s),
                      ", \"goodput_mbps\": ", Number(f.goodput_mbps),
                      ", \"steady_goodput_mbps\": ", Number(f.steady_goodput_mbps),
                      ", \"rtt_p50_ms\": ", Number(f.rtt_p50_ms),
                      ", \"rtt_p95_ms\": ", Number(f.rtt_p95_ms),
                      ", \"rtt_p99_ms\": ", Number(f.rtt_p99_ms),
                      ", \"queueing_delay_ms\": ", Number(f.queueing_delay_ms),
                      ", \"retransmission_rate\": ", Number(f.retransmission_rate),
                      ", \"loss_rate\": ", Number(f.loss_rate),
                      ", \"delivered_bytes\": ", f.delivered_bytes,
                      ", \"error\": ", f.error.empty() ? std::string("null") : Str(f.error), "}");
    }
    absl::StrAppend(&out, s.flows.empty() ? "" : "\n     ", "]}");
  }
  absl::StrAppend(&out, summaries.empty() ? "" : "\n  ", "]\n}\n");
  return out;
}

}  // namespace kite::ccbench
