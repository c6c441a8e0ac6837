// BBR version 3 (draft-ietf-ccwg-bbr, /work/shared/spec/draft-ietf-ccwg-bbr.md), registered as
// "bbr" and "bbr3". Section names below are the draft's.
//
// Inputs come from the connection's shared DeliveryRateSampler through AckEvent::rate_sample
// ("Delivery Rate Samples"); the controller keeps C.delivered and C.lost itself from the acked and
// lost lists, and a small per-packet record (P.tx_in_flight, P.lost, P.is_app_limited at send) so
// it can run the draft's per-loss HandleLostPacket(P), which LostPacket does not carry. Two
// adaptations to the sampler's output, both documented where used:
//   * RS.lost: the sampler computes it when the newest packet is acknowledged, before the losses
//     that same ACK revealed are counted; this controller takes C.lost - P.lost from its own
//     record of that packet instead (falling back to RateSample::lost + newly_lost).
//   * MarkConnectionAppLimited() in ProbeRTT cannot reach the sampler; the controller marks its
//     own per-packet records and treats samples of marked packets as application-limited.
// ECN: the draft specifies no particular response but says CE marks MUST be treated as
// congestion ("ECN"); a CE increase is handled as loss of that many datagrams in the congestion
// signals (loss-in-round, the inflight-too-high check while probing), never in delivery counts.
#ifndef KITE_CONGESTION_BBR_BBR_H_
#define KITE_CONGESTION_BBR_BBR_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "congestion/congestion_controller.h"
#include "congestion/windowed_filter.h"

namespace kite::congestion {

class Bbr : public CongestionController {
 public:
  static constexpr std::string_view kName = "bbr";
  static constexpr std::string_view kAliasName = "bbr3";

  enum class State {
    kStartup,
    kDrain,
    kProbeBwDown,
    kProbeBwCruise,
    kProbeBwRefill,
    kProbeBwUp,
    kProbeRtt,
  };
  enum class AckPhase { kInit, kRefilling, kProbeStarting, kProbeFeedback, kProbeStopping };

  // "Pacing State and Parameters", "cwnd State and Parameters", "Core Algorithm Design
  // Parameters", "ProbeRTT and min_rtt Parameters and State", "Summary of Control Behavior".
  static constexpr double kStartupPacingGain = 2.77;  // 4 ln 2
  static constexpr double kDrainPacingGain = 0.5;
  static constexpr double kDefaultCwndGain = 2.0;
  static constexpr double kProbeDownPacingGain = 0.90;
  static constexpr double kProbeUpPacingGain = 1.25;
  static constexpr double kProbeUpCwndGain = 2.25;
  static constexpr double kProbeRttCwndGain = 0.5;
  static constexpr double kPacingMarginPercent = 1;
  static constexpr double kLossThresh = 0.02;
  static constexpr double kBeta = 0.7;
  static constexpr double kHeadroom = 0.15;
  static constexpr double kStartupFullBwThreshold = 1.25;
  static constexpr uint32_t kStartupFullBwRounds = 3;
  static constexpr uint32_t kStartupFullLossCount = 6;
  static constexpr uint64_t kMaxBwFilterLen = 2;        // ProbeBW cycles
  static constexpr uint64_t kExtraAckedFilterLen = 10;  // round trips
  static constexpr absl::Duration kMinRttFilterLen = absl::Seconds(10);
  static constexpr absl::Duration kProbeRttInterval = absl::Seconds(5);
  static constexpr absl::Duration kProbeRttDuration = absl::Milliseconds(200);
  static constexpr size_t kMinPipeCwndPackets = 4;
  static constexpr uint64_t kUnlimited = UINT64_MAX;  // the draft's "Infinity" for volumes/rates

  struct Options {
    // Seeds PickProbeWait's randomness (the draft's random_int_between / random_float_between).
    uint64_t random_seed = 0x6b697465;  // "kite"
  };

  // Seeded from params.random_seed.
  explicit Bbr(const ControllerParams& params) : Bbr(params, Options{params.random_seed}) {}
  Bbr(const ControllerParams& params, Options options);

  void OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                    size_t bytes_in_flight_before, bool is_retransmittable) override;
  void OnCongestionEvent(const AckEvent& ev) override;
  void OnPersistentCongestion(absl::Time now) override;
  void OnAppLimited(size_t bytes_in_flight) override;
  void OnSpuriousLoss(uint64_t packet_number, absl::Time sent_time, absl::Time now) override;

  size_t CongestionWindow() const override { return static_cast<size_t>(cwnd_); }
  std::optional<uint64_t> PacingRateBytesPerSecond() const override { return pacing_rate_; }
  std::string_view StateName() const override { return StateName(state_); }
  bool InSlowStart() const override { return state_ == State::kStartup; }

  static std::string_view StateName(State s);

  // Model inspection (tests, qlog). Rates in bytes per second, volumes in bytes.
  State state() const { return state_; }
  AckPhase ack_phase() const { return ack_phase_; }
  uint64_t max_bw() const { return max_bw_; }
  uint64_t bw() const { return bw_; }
  uint64_t bw_shortterm() const { return bw_shortterm_; }
  uint64_t inflight_longterm() const { return inflight_longterm_; }
  uint64_t inflight_shortterm() const { return inflight_shortterm_; }
  absl::Duration min_rtt() const { return min_rtt_; }
  std::optional<absl::Time> min_rtt_stamp() const { return min_rtt_stamp_; }
  absl::Duration probe_rtt_min_delay() const { return probe_rtt_min_delay_; }
  std::optional<absl::Time> probe_rtt_min_stamp() const { return probe_rtt_min_stamp_; }
  uint64_t extra_acked() const { return extra_acked_; }
  uint64_t max_inflight() const { return max_inflight_; }
  uint64_t round_count() const { return round_count_; }
  uint64_t cycle_count() const { return cycle_count_; }
  bool full_bw_reached() const { return full_bw_reached_; }
  bool full_bw_now() const { return full_bw_now_; }
  uint32_t full_bw_count() const { return full_bw_count_; }
  double pacing_gain() const { return pacing_gain_; }
  double cwnd_gain() const { return cwnd_gain_; }
  bool prev_probe_too_high() const { return prev_probe_too_high_; }
  bool in_loss_recovery() const { return in_recovery_; }
  bool idle_restart() const { return idle_restart_; }
  absl::Duration bw_probe_wait() const { return bw_probe_wait_; }
  uint64_t send_quantum() const { return send_quantum_; }
  // "Inflight(gain)": the BDP at BBR.bw times gain plus the quantization budget.
  uint64_t Inflight(double gain) const { return QuantizationBudget(BdpMultiple(bw_, gain)); }
  // "ProbeRTTCwnd()".
  uint64_t ProbeRttCwnd() const;
  uint64_t InflightWithHeadroom() const;

 private:
  // Per-packet state at send ("P.*"), for HandleLostPacket and the ProbeRTT app-limited mark.
  struct PacketRecord {
    absl::Time sent_time;
    uint64_t packet_number = 0;
    uint64_t bytes = 0;
    uint64_t tx_in_flight = 0;
    uint64_t lost = 0;
    bool app_limited = false;
    bool live = true;
  };
  // The rate sample as BBR reads it ("RS.*").
  struct Rs {
    bool has_data = false;
    uint64_t delivery_rate = 0;
    uint64_t delivered = 0;
    uint64_t prior_delivered = 0;
    uint64_t tx_in_flight = 0;
    uint64_t lost = 0;
    uint64_t newly_acked = 0;
    bool is_app_limited = false;
    std::optional<absl::Duration> rtt;
  };

  // Records.
  PacketRecord* FindRecord(uint64_t packet_number, absl::Time sent_time);
  void PruneRecords(absl::Time now);

  // Per-ACK steps ("Per-ACK Steps").
  void UpdateModelAndState(absl::Time now, const AckEvent& ev);
  void UpdateControlParameters();
  void UpdateLatestDeliverySignals();
  void UpdateCongestionSignals();
  void UpdateMaxBw();
  void UpdateRound();
  void StartRound() { next_round_delivered_ = delivered_; }
  void UpdateAckAggregation(absl::Time now);
  void CheckFullBwReached();
  void ResetFullBw();
  void CheckStartupDone();
  void CheckStartupHighLoss();
  void CheckDrainDone(absl::Time now);
  void UpdateProbeBwCyclePhase(absl::Time now);
  bool AdaptLongTermModel(absl::Time now);
  void UpdateMinRtt(absl::Time now);
  void CheckProbeRtt(absl::Time now);
  void HandleProbeRtt(absl::Time now);
  void CheckProbeRttDone(absl::Time now);
  void AdvanceLatestDeliverySignals();
  void BoundBwForModel();

  // States.
  void EnterStartup();
  void EnterDrain();
  void EnterProbeBw(absl::Time now);
  void StartProbeBwDown(absl::Time now);
  void StartProbeBwCruise();
  void StartProbeBwRefill();
  void StartProbeBwUp();
  void EnterProbeRtt();
  void ExitProbeRtt(absl::Time now);
  bool IsInAProbeBwState() const;
  bool IsProbingBw() const;
  bool IsTimeToProbeBw(absl::Time now);
  bool IsTimeToCruise() const;
  bool IsTimeToGoDown();
  bool IsRenoCoexistenceProbeTime() const;
  void PickProbeWait();
  void RaiseInflightLongtermSlope();
  void ProbeInflightLongtermUpward();

  // Loss ("Updating the Model Upon Packet Loss").
  bool IsInflightTooHigh() const;
  void HandleInflightTooHigh();
  void NoteLoss();
  void HandleLostPacket(const LostPacket& p, const PacketRecord* record);
  uint64_t InflightAtLoss(uint64_t packet_bytes) const;
  void AdaptLowerBoundsFromCongestion();
  void ResetCongestionSignals();
  void ResetShortTermModel();
  void SaveStateUponLoss();
  void HandleSpuriousLossDetection();

  // Control parameters.
  void InitPacingRate(absl::Duration srtt);
  void SetPacingRateWithGain(double gain);
  void SetSendQuantum();
  void SetCwnd();
  void UpdateMaxInflight();
  uint64_t BdpMultiple(uint64_t bw, double gain) const;
  uint64_t QuantizationBudget(uint64_t inflight_cap) const;
  uint64_t TargetInflight() const;
  void SaveCwnd();
  void RestoreCwnd();
  void BoundCwndForProbeRtt();
  void BoundCwndForModel();
  bool IsCwndLimited() const;
  void MarkConnectionAppLimited();

  const size_t mss_;
  const uint64_t initial_cwnd_;
  const uint64_t min_pipe_cwnd_;
  std::mt19937_64 rng_;

  // Output control parameters.
  uint64_t cwnd_;
  uint64_t pacing_rate_ = 0;
  uint64_t send_quantum_ = 0;
  double pacing_gain_ = kStartupPacingGain;
  double cwnd_gain_ = kDefaultCwndGain;

  // Connection state kept here (C.*).
  uint64_t delivered_ = 0;
  uint64_t lost_ = 0;
  uint64_t inflight_ = 0;
  uint64_t app_limited_until_ = 0;  // mirror of C.app_limited, incl. ProbeRTT's own marks
  size_t max_bytes_in_flight_ = 0;  // since the previous ACK, for C.is_cwnd_limited
  bool sender_app_limited_ = false;
  bool pacing_initialized_from_rtt_ = false;
  std::deque<PacketRecord> records_;
  absl::Duration srtt_ = absl::ZeroDuration();

  // This ACK's sample and time.
  Rs rs_;
  absl::Time now_ = absl::InfinitePast();

  State state_ = State::kStartup;
  AckPhase ack_phase_ = AckPhase::kInit;
  // Round counting.
  uint64_t next_round_delivered_ = 0;
  bool round_start_ = false;
  uint64_t round_count_ = 0;
  uint64_t rounds_since_probe_up_ = 0;
  uint64_t drain_start_round_ = 0;
  // Bandwidth model.
  WindowedMaxFilter<uint64_t> max_bw_filter_;
  uint64_t max_bw_ = 0;
  uint64_t bw_shortterm_ = kUnlimited;
  uint64_t bw_ = 0;
  uint64_t cycle_count_ = 0;
  uint64_t bw_latest_ = 0;
  uint64_t inflight_latest_ = 0;
  uint64_t loss_round_delivered_ = 0;
  bool loss_round_start_ = false;
  bool is_loss_in_round_ = false;
  uint32_t loss_ranges_in_round_ = 0;
  // Volume model.
  uint64_t inflight_longterm_ = kUnlimited;
  uint64_t inflight_shortterm_ = kUnlimited;
  uint64_t max_inflight_ = 0;
  WindowedMaxFilter<uint64_t> extra_acked_filter_;
  uint64_t extra_acked_ = 0;
  std::optional<absl::Time> extra_acked_interval_start_;
  uint64_t extra_acked_delivered_ = 0;
  // Full pipe.
  uint64_t full_bw_ = 0;
  uint32_t full_bw_count_ = 0;
  bool full_bw_now_ = false;
  bool full_bw_reached_ = false;
  // ProbeBW.
  bool is_bw_probe_sample_ = false;
  uint64_t bw_probe_up_acked_ = 0;
  uint64_t probe_up_acked_per_inc_ = kUnlimited;
  uint32_t bw_probe_up_rounds_ = 0;
  absl::Duration bw_probe_wait_ = absl::ZeroDuration();
  absl::Time cycle_stamp_ = absl::InfinitePast();
  bool prev_probe_too_high_ = false;
  bool prev_probe_precautionary_ = false;
  // min_rtt and ProbeRTT.
  absl::Duration min_rtt_ = absl::InfiniteDuration();
  std::optional<absl::Time> min_rtt_stamp_;
  absl::Duration probe_rtt_min_delay_ = absl::InfiniteDuration();
  std::optional<absl::Time> probe_rtt_min_stamp_;
  bool probe_rtt_expired_ = false;
  std::optional<absl::Time> probe_rtt_done_stamp_;
  bool probe_rtt_round_done_ = false;
  bool idle_restart_ = false;
  uint64_t prior_cwnd_ = 0;
  // Loss recovery (RFC 9002 §7.3.2 periods) and undo ("Undo State").
  std::optional<absl::Time> recovery_start_time_;
  bool in_recovery_ = false;
  std::optional<State> undo_state_;
  uint64_t undo_bw_shortterm_ = 0;
  uint64_t undo_inflight_shortterm_ = 0;
  uint64_t undo_inflight_longterm_ = 0;
  bool undo_valid_ = false;
  std::vector<std::pair<uint64_t, absl::Time>> episode_lost_;
};

}  // namespace kite::congestion

#endif  // KITE_CONGESTION_BBR_BBR_H_
