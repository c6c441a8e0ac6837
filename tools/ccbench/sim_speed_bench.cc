// How fast the dumbbell simulator runs real kite connections: simulated seconds per wall second
// for one flow through a 100 Mbit/s, 100 ms RTT, 1 BDP drop-tail bottleneck for 60 simulated
// seconds (counter sim_x_realtime; the goal is >= 20 with --config=opt on one core), once per
// built-in controller (the controller changes how much the stack does per packet: pacing,
// delivery-rate samples, queue size). sim_x_cpu is the same per second of process CPU time,
// which a busy machine does not distort.
#include <benchmark/benchmark.h>

#include <ctime>
#include <string>

#include "congestion/registry.h"
#include "quic/sim/dumbbell.h"

namespace kite::quic::sim {
namespace {

void BM_DumbbellOneFlow(benchmark::State& state, const std::string& controller) {
  const absl::Duration simulated = absl::Seconds(state.range(0));
  double delivered = 0;
  double total_sim_s = 0;
  // A connection falls back to NewReno for an unknown name; measure only what was asked for.
  if (!congestion::IsRegisteredController(controller)) {
    state.SkipWithError("controller not linked");
    return;
  }
  const std::clock_t cpu_start = std::clock();
  for (auto _ : state) {
    DumbbellConfig c;
    c.rate_bps = 100'000'000;
    c.buffer_bytes = 1'250'000;
    c.duration = simulated;
    c.sample_interval = absl::Milliseconds(10);
    DumbbellFlowConfig f;
    f.rtt = absl::Milliseconds(100);
    f.congestion_controller = controller;
    c.flows = {f};
    DumbbellSimulator sim(c);
    absl::StatusOr<DumbbellResult> r = sim.Run();
    if (!r.ok()) {
      state.SkipWithError("simulation failed");
      return;
    }
    delivered = static_cast<double>(r->flows[0].delivered_bytes);
    total_sim_s += absl::ToDoubleSeconds(simulated);
  }
  const double cpu_s = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
  // Simulated seconds per (wall) second of the timed loop.
  state.counters["sim_x_realtime"] = benchmark::Counter(total_sim_s, benchmark::Counter::kIsRate);
  // Simulated seconds per second of CPU time of this (single-threaded) process.
  if (cpu_s > 0) state.counters["sim_x_cpu"] = total_sim_s / cpu_s;
  state.counters["goodput_mbps"] = delivered * 8 / absl::ToDoubleSeconds(simulated) / 1e6;
}
BENCHMARK_CAPTURE(BM_DumbbellOneFlow, newreno, std::string("newreno"))
    ->Arg(60)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_DumbbellOneFlow, cubic, std::string("cubic"))
    ->Arg(60)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_DumbbellOneFlow, bbr, std::string("bbr"))
    ->Arg(60)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();
BENCHMARK_CAPTURE(BM_DumbbellOneFlow, bbr1, std::string("bbr1"))
    ->Arg(60)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

}  // namespace
}  // namespace kite::quic::sim
