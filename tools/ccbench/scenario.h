// ccbench scenarios: built from key=value options (command-line flags or a scenario file) or
// taken from the built-in matrix.
//
// Keys (lists are comma-separated and cycled over the flows):
//   name               scenario name (default "scenario")
//   cc                 controller name(s), e.g. "cubic" or "cubic,bbr" (default "newreno")
//   flows              number of flows (default: the longest list among cc/rtt_ms/start_s/stop_s)
//   rate_mbps          bottleneck rate (default 100)
//   rtt_ms             base RTT(s) (default 100)
//   buffer_bdp         buffer in bandwidth-delay products of the longest RTT (default 1)
//   buffer_bytes       buffer in bytes (overrides buffer_bdp)
//   aqm                droptail | codel (default droptail)
//   codel_target_ms, codel_interval_ms   (default 5, 100: RFC 8289 §4.4, §4.5)
//   loss, reverse_loss random loss probability per datagram on the data / ACK path
//   jitter_ms, reorder, reorder_delay_ms, ack_aggregation_ms
//   rate_schedule      "t_s:rate_mbps,..." e.g. "10:20,20:100"
//   start_s, stop_s    per-flow start and stop times
//   duration_s (default 60), seed (default 1), sample_ms (default 10), datagram_size (1200)
//   streams            streams per flow (default 0: automatic, see DumbbellConfig)
#ifndef KITE_TOOLS_CCBENCH_SCENARIO_H_
#define KITE_TOOLS_CCBENCH_SCENARIO_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "quic/sim/dumbbell.h"

namespace kite::ccbench {

// Upper bound on a scenario file, so a wrong path (say, a disk image) is refused quickly.
inline constexpr size_t kMaxScenarioFileBytes = 1 << 20;

using ScenarioOptions = std::map<std::string, std::string>;

struct Scenario {
  std::string name;
  std::string description;
  quic::sim::DumbbellConfig config;
};

// "key=value" lines; blank lines and lines starting with '#' are skipped; surrounding spaces are
// trimmed; a later key overrides an earlier one. InvalidArgument names the bad line.
absl::Status ParseScenarioText(std::string_view text, ScenarioOptions* options);

// InvalidArgument for an unknown key or a bad value, naming it.
absl::StatusOr<Scenario> BuildScenario(const ScenarioOptions& options);

// The human-readable parameters of a scenario, e.g.
// "newreno x1, 100 Mbit/s, RTT 100 ms, buffer 1 BDP droptail, loss 1%".
std::string DescribeScenario(const quic::sim::DumbbellConfig& config);

// The built-in matrix for the given controllers: per controller, random loss (0, 0.1%, 1%),
// shallow and deep drop-tail buffers, CoDel, ACK aggregation, two competing flows; per pair of
// controllers, a shallow and a deep buffer. `base` supplies rate, RTT, duration and seed.
// InvalidArgument if `base` holds a bad key or value.
absl::StatusOr<std::vector<Scenario>> BuiltinMatrix(const std::vector<std::string>& controllers,
                                                    const ScenarioOptions& base);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_SCENARIO_H_
