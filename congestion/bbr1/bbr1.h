// BBR version 1, the 2016 design (Cardwell et al., "BBR: Congestion-Based Congestion Control",
// ACM Queue 2016; draft-cardwell-iccrg-bbr-congestion-control-00), registered as "bbr1".
//
// Startup paces at 2/ln2 and ends when the bottleneck-bandwidth estimate has not grown by 25%
// for three rounds; Drain paces at ln2/2 until inflight is at most the BDP; ProbeBW cycles
// pacing_gain through [5/4, 3/4, 1, 1, 1, 1, 1, 1], a phase lasting at least RTprop; ProbeRTT
// runs when RTprop was not refreshed for 10 s, holding inflight at 4 packets for 200 ms and one
// round. BtlBw is a max filter over 10 round trips (congestion/windowed_filter.h) of the shared
// delivery-rate sampler's output. Loss recovery uses packet conservation for the first round and
// restores the saved cwnd on exit (the draft's "Modulating cwnd in Loss Recovery"). v1 has no ECN
// response of its own; a CE increase starts recovery like a loss (RFC 9002 §7.1).
#ifndef KITE_CONGESTION_BBR1_BBR1_H_
#define KITE_CONGESTION_BBR1_BBR1_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <random>
#include <string_view>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"
#include "congestion/windowed_filter.h"

namespace kite::congestion {

class Bbr1 : public CongestionController {
 public:
  static constexpr std::string_view kName = "bbr1";

  enum class State { kStartup, kDrain, kProbeBw, kProbeRtt };

  static constexpr double kHighGain = 2.885;  // 2/ln2
  static constexpr double kDrainGain = 1.0 / kHighGain;
  static constexpr double kProbeBwCwndGain = 2.0;
  static constexpr int kGainCycleLength = 8;
  static constexpr double kPacingGainCycle[kGainCycleLength] = {1.25, 0.75, 1, 1, 1, 1, 1, 1};
  static constexpr uint64_t kBtlBwFilterLen = 10;  // round trips
  static constexpr absl::Duration kRtpropFilterLen = absl::Seconds(10);
  static constexpr absl::Duration kProbeRttDuration = absl::Milliseconds(200);
  static constexpr size_t kMinPipeCwndPackets = 4;

  struct Options {
    // Seeds the random starting phase of the gain cycle.
    uint64_t random_seed = 0x6b697465;
  };

  // Seeded from params.random_seed.
  explicit Bbr1(const ControllerParams& params) : Bbr1(params, Options{params.random_seed}) {}
  Bbr1(const ControllerParams& params, Options options);

  void OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                    size_t bytes_in_flight_before, bool is_retransmittable) override;
  void OnCongestionEvent(const AckEvent& ev) override;
  void OnPersistentCongestion(absl::Time now) override;
  void OnAppLimited(size_t bytes_in_flight) override;

  size_t CongestionWindow() const override { return static_cast<size_t>(cwnd_); }
  std::optional<uint64_t> PacingRateBytesPerSecond() const override { return pacing_rate_; }
  std::string_view StateName() const override { return StateName(state_); }
  bool InSlowStart() const override { return state_ == State::kStartup; }

  static std::string_view StateName(State s);

  // Inspection (tests, qlog).
  State state() const { return state_; }
  uint64_t btl_bw() const { return btl_bw_; }
  absl::Duration rtprop() const { return rtprop_; }
  absl::Time rtprop_stamp() const { return rtprop_stamp_; }
  int cycle_index() const { return cycle_index_; }
  double pacing_gain() const { return pacing_gain_; }
  double cwnd_gain() const { return cwnd_gain_; }
  bool filled_pipe() const { return filled_pipe_; }
  uint64_t round_count() const { return round_count_; }
  bool in_recovery() const { return in_recovery_; }
  // "BBRInflight(gain)": gain * BDP plus the quantization budget (3 send quanta).
  uint64_t Inflight(double gain) const;
  uint64_t MinPipeCwnd() const { return kMinPipeCwndPackets * mss_; }

 private:
  void UpdateRound(uint64_t prior_delivered);
  void UpdateBtlBw(uint64_t prior_delivered, uint64_t rate, bool app_limited);
  void CheckFullPipe(bool app_limited);
  void CheckDrain(absl::Time now);
  void UpdateGainCycle(absl::Time now, size_t prior_inflight, bool had_loss);
  void AdvanceCyclePhase(absl::Time now);
  void UpdateRtprop(absl::Time now, std::optional<absl::Duration> rtt);
  void CheckProbeRtt(absl::Time now);
  void HandleProbeRtt(absl::Time now);
  void EnterStartup();
  void EnterDrain();
  void EnterProbeBw(absl::Time now);
  void EnterProbeRtt();
  void ExitProbeRtt(absl::Time now);
  void SetPacingRateWithGain(double gain);
  void SetSendQuantum();
  void SetCwnd(uint64_t newly_acked, uint64_t newly_lost);
  void SaveCwnd();
  void RestoreCwnd();
  uint64_t Bdp(double gain) const;

  const size_t mss_;
  const uint64_t initial_cwnd_;
  std::mt19937_64 rng_;

  State state_ = State::kStartup;
  uint64_t cwnd_;
  uint64_t pacing_rate_ = 0;
  uint64_t send_quantum_ = 0;
  double pacing_gain_ = kHighGain;
  double cwnd_gain_ = kHighGain;

  uint64_t delivered_ = 0;
  size_t inflight_ = 0;
  uint64_t app_limited_until_ = 0;  // mirror of the sampler's C.app_limited
  // ProbeRTT's "C.app_limited = ..." cannot reach the sampler: samples of packets sent while this
  // mark was set (P.delivered in [from, until]) are treated as application-limited here.
  uint64_t probe_rtt_mark_from_ = 0;
  uint64_t probe_rtt_mark_until_ = 0;
  bool pacing_initialized_from_rtt_ = false;

  // Rounds.
  uint64_t next_round_delivered_ = 0;
  bool round_start_ = false;
  uint64_t round_count_ = 0;
  // BtlBw and RTprop.
  WindowedMaxFilter<uint64_t> btl_bw_filter_;
  uint64_t btl_bw_ = 0;
  absl::Duration rtprop_ = absl::InfiniteDuration();
  absl::Time rtprop_stamp_ = absl::InfinitePast();
  bool rtprop_expired_ = false;
  // Full pipe.
  bool filled_pipe_ = false;
  uint64_t full_bw_ = 0;
  uint32_t full_bw_count_ = 0;
  // ProbeBW.
  int cycle_index_ = 0;
  absl::Time cycle_stamp_ = absl::InfinitePast();
  // ProbeRTT.
  std::optional<absl::Time> probe_rtt_done_stamp_;
  bool probe_rtt_round_done_ = false;
  bool idle_restart_ = false;
  uint64_t prior_cwnd_ = 0;
  // Loss recovery (RFC 9002 §7.3.2 periods).
  std::optional<absl::Time> recovery_start_time_;
  bool in_recovery_ = false;
  bool packet_conservation_ = false;
  uint64_t recovery_round_end_ = 0;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_BBR1_BBR1_H_
