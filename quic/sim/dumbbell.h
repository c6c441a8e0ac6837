// The congestion simulator: a dumbbell topology in simulated time.
//
// N flows, each a real kite client and server Connection pair (real TLS handshake, packet
// protection, ACKs, loss recovery and congestion control), share one bottleneck:
//
//   server_i --> [queue discipline: drop-tail or CoDel] --> bottleneck at rate(t)
//            --> random loss, jitter, reordering --> rtt_i / 2 --> client_i
//   client_i --> reverse loss --> rtt_i - rtt_i / 2 --> (ACK aggregation) --> server_i
//
// Each server is a bulk sender: once its handshake completes it writes unbounded unidirectional
// streams (see streams_per_flow), keeping about two congestion windows buffered
// (StreamBufferedBytes), so the flow is never application-limited; each client reads and
// discards. A FlowRecorder attached
// to the server samples cwnd, pacing rate, bytes in flight, RTTs, delivered bytes and losses.
//
// The loop is discrete-event: it advances to the earliest of the next network event (a
// transmission finishing at the bottleneck, a datagram arriving), every connection's
// NextDeadline, the next flow start/stop and the next sample time, exactly like the connection
// test harness. Everything random comes from the seed, so a run replays bit for bit.
#ifndef KITE_QUIC_SIM_DUMBBELL_H_
#define KITE_QUIC_SIM_DUMBBELL_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "quic/sim/codel_queue.h"

namespace kite::quic::sim {

// Limits that keep a mistyped scenario from exhausting memory or running forever.
inline constexpr size_t kMaxDumbbellFlows = 256;
inline constexpr uint64_t kMaxBottleneckRateBps = uint64_t{100} * 1000 * 1000 * 1000;
inline constexpr size_t kMaxBottleneckBufferBytes = size_t{1} << 30;
inline constexpr absl::Duration kMaxSimulatedDuration = absl::Hours(24);
inline constexpr size_t kMaxStreamsPerFlow = 64;

enum class QueueKind { kDropTail, kCoDel };

// From `at` (since the start of the run) on, the bottleneck runs at `rate_bps` (0 = paused).
struct RateChange {
  absl::Duration at = absl::ZeroDuration();
  uint64_t rate_bps = 0;
};

struct DumbbellFlowConfig {
  // Registry name (congestion/registry.h); the binary must link the controller.
  std::string congestion_controller = "newreno";
  // Base round-trip propagation delay (no queueing).
  absl::Duration rtt = absl::Milliseconds(100);
  // When the client connects and when the server closes, since the start of the run.
  absl::Duration start = absl::ZeroDuration();
  absl::Duration stop = absl::InfiniteDuration();
};

struct DumbbellConfig {
  std::vector<DumbbellFlowConfig> flows;
  uint64_t rate_bps = 100'000'000;
  // Sorted by `at`; overrides rate_bps from each change's time on.
  std::vector<RateChange> rate_schedule;
  size_t buffer_bytes = 1'250'000;
  QueueKind queue = QueueKind::kDropTail;
  absl::Duration codel_target = absl::Milliseconds(5);
  absl::Duration codel_interval = absl::Milliseconds(100);

  // Data direction, after the bottleneck: independent random loss, uniform extra delay in
  // [0, jitter) that keeps order, and reordering (a datagram held `reorder_delay` longer).
  double loss = 0.0;
  absl::Duration jitter = absl::ZeroDuration();
  double reorder_probability = 0.0;
  absl::Duration reorder_delay = absl::Milliseconds(5);
  // ACK direction: random loss, and ACK aggregation: datagrams are held and released together
  // at every multiple of this period (0 = off), as Wi-Fi and cellular links do.
  double reverse_loss = 0.0;
  absl::Duration ack_aggregation = absl::ZeroDuration();

  // Unidirectional streams each flow's data is spread over, round robin per datagram (the
  // scheduler's incremental default). 0 picks enough streams of a 1 MB receive window each to
  // cover twice (buffer + BDP): kite's receiver closes a stream holding more than 1024 disjoint
  // fragments (RecvBuffer::kDefaultMaxFragments), which a single stream with a multi-megabyte
  // window hits under drop-tail slow-start losses (see /work/notes-session/connection-bugs.md).
  size_t streams_per_flow = 0;

  absl::Duration duration = absl::Seconds(60);
  absl::Duration sample_interval = absl::Milliseconds(10);
  uint64_t seed = 1;
  size_t max_datagram_size = 1200;
  bool keep_rtt_samples = true;
};

// InvalidArgument naming the offending field, or OK.
absl::Status ValidateDumbbellConfig(const DumbbellConfig& config);

// One row of a flow's time series, taken every sample_interval while the flow runs.
struct FlowSample {
  absl::Duration t;  // since the start of the run
  uint64_t cwnd_bytes = 0;
  uint64_t pacing_rate_bytes_per_second = 0;
  uint64_t bytes_in_flight = 0;
  absl::Duration smoothed_rtt;
  absl::Duration min_rtt;
  absl::Duration latest_rtt;
  uint64_t delivered_bytes = 0;  // cumulative stream bytes read by the client
  uint64_t packets_lost = 0;     // cumulative, as declared by the sender's loss detection
  uint64_t bytes_sent = 0;       // cumulative, on the wire
};

struct FlowResult {
  DumbbellFlowConfig config;
  bool handshake_completed = false;
  absl::Duration handshake_done;  // since the start of the run
  absl::Duration data_start;      // the server's first stream write
  absl::Duration data_end;        // stop or the end of the run
  uint64_t delivered_bytes = 0;
  uint64_t packets_sent = 0;
  uint64_t bytes_sent = 0;
  uint64_t packets_lost = 0;
  uint64_t stream_bytes_sent = 0;
  uint64_t stream_bytes_retransmitted = 0;
  // Where this flow's datagrams died in the network (both directions for random loss).
  uint64_t tail_drops = 0;
  uint64_t aqm_drops = 0;
  uint64_t random_losses = 0;
  // Bottleneck sojourn (queueing delay) of this flow's datagrams.
  double sojourn_sum_s = 0;
  uint64_t sojourn_count = 0;
  absl::Duration sojourn_max;
  std::vector<float> rtt_samples_ms;
  std::vector<FlowSample> samples;
  // Set when the connection ended before its stop time (an error, or idle timeout).
  std::string error;
};

struct QueueSample {
  absl::Duration t;
  size_t bytes = 0;
  uint64_t rate_bps = 0;
};

struct DumbbellResult {
  std::vector<FlowResult> flows;
  absl::Duration duration;
  // Bytes the bottleneck put on the wire, and what it could have carried (the rate integrated
  // over the run, schedule included).
  uint64_t bottleneck_bytes = 0;
  double capacity_bytes = 0;
  uint64_t tail_drops = 0;
  uint64_t aqm_drops = 0;
  uint64_t random_losses = 0;
  size_t max_queue_bytes = 0;
  std::vector<QueueSample> queue_samples;
};

class DumbbellSimulator {
 public:
  explicit DumbbellSimulator(DumbbellConfig config);
  ~DumbbellSimulator();
  DumbbellSimulator(const DumbbellSimulator&) = delete;
  DumbbellSimulator& operator=(const DumbbellSimulator&) = delete;

  // Runs the whole scenario once. `progress`, if set, is called about every simulated second
  // with the simulated time reached.
  absl::StatusOr<DumbbellResult> Run(std::function<void(absl::Duration)> progress = {});

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The bottleneck rate in force `at` into the run.
uint64_t RateAt(const DumbbellConfig& config, absl::Duration at);

}  // namespace kite::quic::sim

#endif  // KITE_QUIC_SIM_DUMBBELL_H_
