#include "congestion/bbr/bbr.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>

#include "congestion/registry.h"

namespace kite::congestion {
namespace {

std::unique_ptr<CongestionController> MakeBbr(const ControllerParams& params) {
  return std::make_unique<Bbr>(params);
}
const ControllerRegistrar kBbrRegistrar(std::string(Bbr::kName), std::string(Bbr::kAliasName),
                                        MakeBbr);

// Bound on remembered per-packet records and on losses remembered per recovery episode.
constexpr size_t kMaxRecords = size_t{1} << 20;
constexpr size_t kMaxEpisodeLosses = 1024;
// Records older than this many smoothed RTTs (at least kMinRecordAge) belong to packets that
// left flight without an ACK or loss report (a discarded packet number space).
constexpr int64_t kRecordAgeRtts = 16;
constexpr absl::Duration kMinRecordAge = absl::Seconds(4);

constexpr double kMaxU64AsDouble = 1.8e19;

// v * gain for volumes and rates, keeping "unlimited" unlimited and saturating.
uint64_t Scale(uint64_t v, double gain) {
  if (v == Bbr::kUnlimited) return Bbr::kUnlimited;
  double r = static_cast<double>(v) * gain;
  if (r <= 0) return 0;
  if (r >= kMaxU64AsDouble) return Bbr::kUnlimited;
  return static_cast<uint64_t>(r);
}

uint64_t SatAdd(uint64_t a, uint64_t b) {
  return a > Bbr::kUnlimited - b ? Bbr::kUnlimited : a + b;
}

}  // namespace

Bbr::Bbr(const ControllerParams& params, Options options)
    : mss_(std::max<size_t>(params.max_datagram_size, 1)),
      initial_cwnd_(std::max<uint64_t>(InitialWindowBytes(params), MinimumWindowBytes(params))),
      min_pipe_cwnd_(kMinPipeCwndPackets * mss_),
      rng_(options.random_seed),
      cwnd_(initial_cwnd_),
      max_bw_filter_(kMaxBwFilterLen, 0),
      extra_acked_filter_(1, 0) {
  // "Initialization": OnInit().
  ResetCongestionSignals();
  ResetShortTermModel();
  ResetFullBw();
  InitPacingRate(absl::ZeroDuration());
  EnterStartup();
  SetSendQuantum();
}

std::string_view Bbr::StateName(State s) {
  switch (s) {
    case State::kStartup:
      return "startup";
    case State::kDrain:
      return "drain";
    case State::kProbeBwDown:
      return "probe_bw_down";
    case State::kProbeBwCruise:
      return "probe_bw_cruise";
    case State::kProbeBwRefill:
      return "probe_bw_refill";
    case State::kProbeBwUp:
      return "probe_bw_up";
    case State::kProbeRtt:
      return "probe_rtt";
  }
  return "startup";
}

// ---------------------------------------------------------------------------------------------
// Per-packet records.

Bbr::PacketRecord* Bbr::FindRecord(uint64_t packet_number, absl::Time sent_time) {
  auto it = std::lower_bound(records_.begin(), records_.end(), sent_time,
                             [](const PacketRecord& r, absl::Time t) { return r.sent_time < t; });
  for (; it != records_.end() && it->sent_time == sent_time; ++it) {
    if (it->live && it->packet_number == packet_number) return &*it;
  }
  return nullptr;
}

void Bbr::PruneRecords(absl::Time now) {
  absl::Duration max_age = std::max(kMinRecordAge, srtt_ * kRecordAgeRtts);
  while (!records_.empty() &&
         (!records_.front().live || now - records_.front().sent_time > max_age)) {
    records_.pop_front();
  }
}

void Bbr::OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                       size_t bytes_in_flight_before, bool is_retransmittable) {
  (void)is_retransmittable;
  now_ = sent_time;
  if (!min_rtt_stamp_.has_value()) min_rtt_stamp_ = sent_time;
  if (!probe_rtt_min_stamp_.has_value()) probe_rtt_min_stamp_ = sent_time;
  if (!extra_acked_interval_start_.has_value()) extra_acked_interval_start_ = sent_time;
  // "Restarting From Idle": HandleRestartFromIdle() before sending.
  if (bytes_in_flight_before == 0 && app_limited_until_ != 0) {
    idle_restart_ = true;
    extra_acked_interval_start_ = sent_time;
    if (IsInAProbeBwState()) {
      SetPacingRateWithGain(1.0);
    } else if (state_ == State::kProbeRtt) {
      CheckProbeRttDone(sent_time);
    }
  }
  inflight_ = bytes_in_flight_before + bytes;
  max_bytes_in_flight_ = std::max<size_t>(max_bytes_in_flight_, inflight_);
  sender_app_limited_ = false;
  if (records_.size() == kMaxRecords) records_.pop_front();
  // Times are non-decreasing; keep the deque sorted even if a caller repeats an older time.
  absl::Time t = records_.empty() ? sent_time : std::max(sent_time, records_.back().sent_time);
  PacketRecord r;
  r.sent_time = t;
  r.packet_number = packet_number;
  r.bytes = bytes;
  r.tx_in_flight = inflight_;
  r.lost = lost_;
  r.app_limited = app_limited_until_ != 0;
  records_.push_back(r);
}

void Bbr::OnAppLimited(size_t bytes_in_flight) {
  // "MarkConnectionAppLimited", mirrored from the connection's sampler.
  app_limited_until_ = std::max<uint64_t>(delivered_ + bytes_in_flight, 1);
  sender_app_limited_ = true;
}

void Bbr::MarkConnectionAppLimited() {
  app_limited_until_ = std::max<uint64_t>(delivered_ + inflight_, 1);
}

bool Bbr::IsCwndLimited() const {
  if (sender_app_limited_) return false;
  return max_bytes_in_flight_ + 3 * mss_ >= cwnd_;
}

// ---------------------------------------------------------------------------------------------
// ACK processing.

void Bbr::OnCongestionEvent(const AckEvent& ev) {
  const absl::Time now = ev.now;
  now_ = now;
  if (!min_rtt_stamp_.has_value()) min_rtt_stamp_ = now;
  if (!probe_rtt_min_stamp_.has_value()) probe_rtt_min_stamp_ = now;
  if (!extra_acked_interval_start_.has_value()) extra_acked_interval_start_ = now;
  inflight_ = ev.bytes_in_flight;
  if (ev.rtt.has_sample) {
    srtt_ = ev.rtt.smoothed_rtt;
    // "InitPacingRate" uses the first RTT sample while there is no bandwidth estimate yet.
    if (!pacing_initialized_from_rtt_ && max_bw_ == 0 && srtt_ > absl::ZeroDuration()) {
      InitPacingRate(srtt_);
    }
    pacing_initialized_from_rtt_ = true;
  }

  // Acknowledged packets: C.delivered, recovery exit (RFC 9002 §7.3.2).
  uint64_t newly_acked = 0;
  absl::Time newest_sent = absl::InfinitePast();
  const PacketRecord* newest_record = nullptr;
  bool exits_recovery = false;
  for (const AckedPacket& p : ev.acked) {
    newly_acked += p.bytes;
    PacketRecord* r = FindRecord(p.packet_number, p.sent_time);
    if (p.sent_time >= newest_sent) {
      newest_sent = p.sent_time;
      newest_record = r;
    }
    if (r != nullptr) r->live = false;
    if (in_recovery_ && recovery_start_time_.has_value() && p.sent_time > *recovery_start_time_) {
      exits_recovery = true;
    }
  }
  delivered_ += newly_acked;

  // Losses ("Per-Loss Steps"): recovery entry, then HandleLostPacket(P) for each.
  if (!ev.lost.empty()) {
    absl::Time last_sent = ev.lost.front().sent_time;
    for (const LostPacket& p : ev.lost) last_sent = std::max(last_sent, p.sent_time);
    if (!recovery_start_time_.has_value() || last_sent > *recovery_start_time_) {
      // "OnEnterFastRecovery": SaveCwnd(); SaveStateUponLoss().
      SaveCwnd();
      SaveStateUponLoss();
      recovery_start_time_ = now;
      in_recovery_ = true;
      exits_recovery = false;
      episode_lost_.clear();
    }
    uint64_t prev_pn = 0;
    bool have_prev = false;
    for (const LostPacket& p : ev.lost) {
      // "at least BBRStartupFullLossCnt=6 discontiguous sequence ranges lost" in a round.
      if (!have_prev || p.packet_number != prev_pn + 1) ++loss_ranges_in_round_;
      prev_pn = p.packet_number;
      have_prev = true;
      lost_ += p.bytes;
      PacketRecord* r = FindRecord(p.packet_number, p.sent_time);
      HandleLostPacket(p, r);
      if (r != nullptr) r->live = false;
      if (in_recovery_ && p.sent_time <= *recovery_start_time_) {
        if (episode_lost_.size() < kMaxEpisodeLosses) {
          episode_lost_.emplace_back(p.packet_number, p.sent_time);
        } else {
          undo_valid_ = false;
        }
      }
    }
  }
  // ECN ("ECN"): CE marks are congestion.
  const uint64_t ce_bytes = ev.ecn_ce_delta * static_cast<uint64_t>(mss_);
  if (ce_bytes > 0) NoteLoss();

  if (exits_recovery) {
    // "Upon exiting loss recovery ... RestoreCwnd()"; SetCwnd bounds it by the model below.
    in_recovery_ = false;
    RestoreCwnd();
  }

  if (!ev.acked.empty()) {
    // "GenerateRateSample()" was done by the connection; read it.
    const RateSample& s = ev.rate_sample;
    rs_ = Rs();
    rs_.has_data = s.has_data;
    rs_.delivery_rate = s.has_rate ? s.delivery_rate_bytes_per_second : 0;
    rs_.delivered = s.delivered;
    rs_.prior_delivered = s.prior_delivered;
    rs_.tx_in_flight = s.tx_in_flight;
    // RS.lost = C.lost - P.lost with C.lost counted after this ACK's losses. From this
    // controller's own record of the newest packet when it has one; otherwise from the sampler,
    // which fixes RS.lost when the packet is acknowledged, before loss recovery reports the same
    // ACK's losses (quic/recovery/loss_detection.cc), hence + newly_lost.
    if (newest_record != nullptr) {
      rs_.lost = (lost_ >= newest_record->lost ? lost_ - newest_record->lost : 0) + ce_bytes;
    } else {
      rs_.lost = s.lost + s.newly_lost + ce_bytes;
    }
    rs_.newly_acked = newly_acked;
    rs_.is_app_limited =
        s.is_app_limited || (newest_record != nullptr && newest_record->app_limited);
    if (newest_sent != absl::InfinitePast() && now >= newest_sent) rs_.rtt = now - newest_sent;
    if (!s.has_data) {
      // No sampler data (e.g. a test without one): the volume still counts for rounds.
      rs_.prior_delivered = delivered_ - newly_acked;
    }
    UpdateModelAndState(now, ev);
    // A CE mark while probing is judged like loss ("IsInflightTooHigh").
    if (ce_bytes > 0 && is_bw_probe_sample_ && IsInflightTooHigh()) HandleInflightTooHigh();
    UpdateControlParameters();
  } else if (in_recovery_) {
    // Losses only (loss timer): keep the window within the model's bounds.
    BoundCwndForModel();
  }
  // The mirror of C.app_limited ends once the marked data has been delivered.
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  max_bytes_in_flight_ = ev.bytes_in_flight;
  PruneRecords(now);
}

void Bbr::UpdateModelAndState(absl::Time now, const AckEvent& ev) {
  (void)ev;
  UpdateLatestDeliverySignals();
  UpdateCongestionSignals();
  UpdateAckAggregation(now);
  CheckFullBwReached();
  CheckStartupDone();
  CheckDrainDone(now);
  UpdateProbeBwCyclePhase(now);
  UpdateMinRtt(now);
  CheckProbeRtt(now);
  AdvanceLatestDeliverySignals();
  BoundBwForModel();
}

void Bbr::UpdateControlParameters() {
  SetPacingRateWithGain(pacing_gain_);
  SetSendQuantum();
  SetCwnd();
}

// "BBR.round_count: Tracking Packet-Timed Round Trips".
void Bbr::UpdateRound() {
  if (rs_.prior_delivered >= next_round_delivered_) {
    StartRound();
    ++round_count_;
    ++rounds_since_probe_up_;
    round_start_ = true;
  } else {
    round_start_ = false;
  }
}

// "Updating the BBR.max_bw Max Filter".
void Bbr::UpdateMaxBw() {
  UpdateRound();
  if (rs_.delivery_rate > 0 && (rs_.delivery_rate >= max_bw_ || !rs_.is_app_limited)) {
    max_bw_ = max_bw_filter_.Update(rs_.delivery_rate, cycle_count_);
  }
}

// "When not Probing for Bandwidth".
void Bbr::UpdateLatestDeliverySignals() {
  loss_round_start_ = false;
  bw_latest_ = std::max(bw_latest_, rs_.delivery_rate);
  inflight_latest_ = std::max(inflight_latest_, rs_.delivered);
  if (rs_.prior_delivered >= loss_round_delivered_) {
    loss_round_delivered_ = delivered_;
    loss_round_start_ = true;
  }
}

void Bbr::AdvanceLatestDeliverySignals() {
  if (loss_round_start_) {
    bw_latest_ = rs_.delivery_rate;
    inflight_latest_ = rs_.delivered;
  }
}

void Bbr::ResetCongestionSignals() {
  is_loss_in_round_ = false;
  bw_latest_ = 0;
  inflight_latest_ = 0;
}

void Bbr::UpdateCongestionSignals() {
  UpdateMaxBw();
  if (!loss_round_start_) return;
  AdaptLowerBoundsFromCongestion();
  is_loss_in_round_ = false;
}

void Bbr::AdaptLowerBoundsFromCongestion() {
  if (IsProbingBw()) return;
  if (is_loss_in_round_) {
    // "InitLowerBounds", then "LossLowerBounds".
    if (bw_shortterm_ == kUnlimited) bw_shortterm_ = max_bw_;
    if (inflight_shortterm_ == kUnlimited) inflight_shortterm_ = cwnd_;
    bw_shortterm_ = std::max(bw_latest_, Scale(bw_shortterm_, kBeta));
    inflight_shortterm_ = std::max(inflight_latest_, Scale(inflight_shortterm_, kBeta));
  }
}

void Bbr::ResetShortTermModel() {
  bw_shortterm_ = kUnlimited;
  inflight_shortterm_ = kUnlimited;
}

void Bbr::BoundBwForModel() { bw_ = std::min(max_bw_, bw_shortterm_); }

// "BBR.extra_acked".
void Bbr::UpdateAckAggregation(absl::Time now) {
  absl::Duration interval = now - *extra_acked_interval_start_;
  uint64_t expected = Scale(bw_, absl::ToDoubleSeconds(std::max(interval, absl::ZeroDuration())));
  if (extra_acked_delivered_ <= expected) {
    extra_acked_delivered_ = 0;
    extra_acked_interval_start_ = now;
    expected = 0;
  }
  extra_acked_delivered_ += rs_.newly_acked;
  uint64_t extra = extra_acked_delivered_ - expected;
  extra = std::min(extra, cwnd_);
  extra_acked_filter_.SetWindowLength(full_bw_reached_ ? kExtraAckedFilterLen : 1);
  extra_acked_ = extra_acked_filter_.Update(extra, round_count_);
}

// "Exiting Acceleration Based on Bandwidth Plateau".
void Bbr::ResetFullBw() {
  full_bw_ = 0;
  full_bw_count_ = 0;
  full_bw_now_ = false;
}

void Bbr::CheckFullBwReached() {
  if (full_bw_now_ || !round_start_ || rs_.is_app_limited) return;
  if (static_cast<double>(rs_.delivery_rate) >=
      static_cast<double>(full_bw_) * kStartupFullBwThreshold) {
    ResetFullBw();
    full_bw_ = rs_.delivery_rate;
    return;
  }
  ++full_bw_count_;
  full_bw_now_ = full_bw_count_ >= kStartupFullBwRounds;
  if (full_bw_now_) full_bw_reached_ = true;
}

void Bbr::CheckStartupDone() {
  CheckStartupHighLoss();
  if (state_ == State::kStartup && full_bw_reached_) EnterDrain();
}

// "Exiting Startup Based on Packet Loss" (QUIC always has selective acknowledgments).
void Bbr::CheckStartupHighLoss() {
  if (state_ != State::kStartup || full_bw_reached_) return;
  if (loss_round_start_) {
    if (in_recovery_ && loss_ranges_in_round_ >= kStartupFullLossCount && IsInflightTooHigh()) {
      undo_state_ = State::kStartup;
      full_bw_reached_ = true;
      inflight_longterm_ = std::max(BdpMultiple(bw_, 1.0), inflight_latest_);
    }
    loss_ranges_in_round_ = 0;
  }
}

void Bbr::EnterStartup() {
  state_ = State::kStartup;
  pacing_gain_ = kStartupPacingGain;
  cwnd_gain_ = kDefaultCwndGain;
}

void Bbr::EnterDrain() {
  state_ = State::kDrain;
  pacing_gain_ = kDrainPacingGain;
  cwnd_gain_ = kDefaultCwndGain;
  drain_start_round_ = round_count_;
}

void Bbr::CheckDrainDone(absl::Time now) {
  if (state_ == State::kDrain &&
      (inflight_ <= Inflight(1.0) || round_count_ > drain_start_round_ + 3)) {
    EnterProbeBw(now);
  }
}

// ---------------------------------------------------------------------------------------------
// ProbeBW ("ProbeBW Algorithm Details").

void Bbr::EnterProbeBw(absl::Time now) {
  cwnd_gain_ = kDefaultCwndGain;
  StartProbeBwDown(now);
}

void Bbr::StartProbeBwDown(absl::Time now) {
  ResetCongestionSignals();
  probe_up_acked_per_inc_ = kUnlimited;
  PickProbeWait();
  cycle_stamp_ = now;
  ack_phase_ = AckPhase::kProbeStopping;
  StartRound();
  state_ = State::kProbeBwDown;
  pacing_gain_ = kProbeDownPacingGain;
  cwnd_gain_ = kDefaultCwndGain;
}

void Bbr::StartProbeBwCruise() {
  state_ = State::kProbeBwCruise;
  pacing_gain_ = 1.0;
  cwnd_gain_ = kDefaultCwndGain;
}

void Bbr::StartProbeBwRefill() {
  ResetShortTermModel();
  bw_probe_up_rounds_ = 0;
  bw_probe_up_acked_ = 0;
  prev_probe_precautionary_ = false;
  ack_phase_ = AckPhase::kRefilling;
  StartRound();
  state_ = State::kProbeBwRefill;
  pacing_gain_ = 1.0;
  cwnd_gain_ = kDefaultCwndGain;
}

void Bbr::StartProbeBwUp() {
  ack_phase_ = AckPhase::kProbeStarting;
  StartRound();
  ResetFullBw();
  full_bw_ = rs_.delivery_rate;
  state_ = State::kProbeBwUp;
  pacing_gain_ = kProbeUpPacingGain;
  cwnd_gain_ = kProbeUpCwndGain;
  RaiseInflightLongtermSlope();
}

void Bbr::UpdateProbeBwCyclePhase(absl::Time now) {
  if (!full_bw_reached_) return;
  if (AdaptLongTermModel(now)) return;
  if (!IsInAProbeBwState()) return;
  switch (state_) {
    case State::kProbeBwDown:
      if (IsTimeToProbeBw(now)) return;
      if (IsTimeToCruise()) StartProbeBwCruise();
      break;
    case State::kProbeBwCruise:
      IsTimeToProbeBw(now);
      break;
    case State::kProbeBwRefill:
      // After one round of REFILL, start UP.
      if (round_start_) {
        is_bw_probe_sample_ = true;
        StartProbeBwUp();
      }
      break;
    case State::kProbeBwUp:
      if (IsTimeToGoDown()) {
        prev_probe_too_high_ = false;
        StartProbeBwDown(now);
      }
      break;
    default:
      break;
  }
}

bool Bbr::IsInAProbeBwState() const {
  return state_ == State::kProbeBwDown || state_ == State::kProbeBwCruise ||
         state_ == State::kProbeBwRefill || state_ == State::kProbeBwUp;
}

bool Bbr::IsProbingBw() const {
  return state_ == State::kStartup || state_ == State::kProbeBwRefill ||
         state_ == State::kProbeBwUp;
}

bool Bbr::IsTimeToCruise() const {
  if (inflight_ > InflightWithHeadroom()) return false;
  if (inflight_ > QuantizationBudget(BdpMultiple(max_bw_, 1.0))) return false;
  return true;
}

bool Bbr::IsTimeToGoDown() {
  // "Precautionary Bandwidth Probing: Deceleration".
  if (prev_probe_too_high_ && inflight_ >= inflight_longterm_) {
    prev_probe_precautionary_ = true;
    return true;
  }
  if (IsCwndLimited() && cwnd_ >= inflight_longterm_) {
    // bw is limited by inflight_longterm: keep probing.
    ResetFullBw();
    full_bw_ = rs_.delivery_rate;
  } else if (full_bw_now_) {
    return true;
  }
  return false;
}

uint64_t Bbr::InflightWithHeadroom() const {
  if (inflight_longterm_ == kUnlimited) return kUnlimited;
  uint64_t headroom = std::max<uint64_t>(mss_, Scale(inflight_longterm_, kHeadroom));
  uint64_t v = inflight_longterm_ > headroom ? inflight_longterm_ - headroom : 0;
  return std::max(v, min_pipe_cwnd_);
}

void Bbr::RaiseInflightLongtermSlope() {
  uint64_t growth_this_round = uint64_t{1} << bw_probe_up_rounds_;
  bw_probe_up_rounds_ = std::min<uint32_t>(bw_probe_up_rounds_ + 1, 30);
  probe_up_acked_per_inc_ = std::max<uint64_t>(cwnd_ / growth_this_round, mss_);
}

void Bbr::ProbeInflightLongtermUpward() {
  if (!IsCwndLimited() || cwnd_ < inflight_longterm_) return;
  bw_probe_up_acked_ += rs_.newly_acked;
  if (bw_probe_up_acked_ >= probe_up_acked_per_inc_) {
    uint64_t delta = bw_probe_up_acked_ / probe_up_acked_per_inc_;
    bw_probe_up_acked_ -= delta * probe_up_acked_per_inc_;
    inflight_longterm_ = SatAdd(inflight_longterm_, delta * mss_);
  }
  if (round_start_) RaiseInflightLongtermSlope();
}

bool Bbr::AdaptLongTermModel(absl::Time now) {
  (void)now;
  if (ack_phase_ == AckPhase::kProbeStarting && round_start_) {
    ack_phase_ = AckPhase::kProbeFeedback;
  }
  if (ack_phase_ == AckPhase::kProbeStopping && round_start_) {
    // End of samples from the bandwidth probing phase.
    is_bw_probe_sample_ = false;
    ack_phase_ = AckPhase::kInit;
    if (IsInAProbeBwState() && !rs_.is_app_limited) ++cycle_count_;  // AdvanceMaxBwFilter()
    // "Precautionary Bandwidth Probing: Acceleration".
    if (IsInAProbeBwState() && prev_probe_precautionary_ && !prev_probe_too_high_) {
      StartProbeBwRefill();
      return true;
    }
  }
  if (!IsInflightTooHigh()) {
    if (inflight_longterm_ == kUnlimited) return false;
    if (rs_.tx_in_flight > inflight_longterm_) inflight_longterm_ = rs_.tx_in_flight;
    if (state_ == State::kProbeBwUp) ProbeInflightLongtermUpward();
  }
  return false;
}

bool Bbr::IsTimeToProbeBw(absl::Time now) {
  if (now > cycle_stamp_ + bw_probe_wait_ || IsRenoCoexistenceProbeTime()) {
    StartProbeBwRefill();
    return true;
  }
  return false;
}

void Bbr::PickProbeWait() {
  // Random round-trip bound (0 or 1) and wall-clock bound (2 to 3 s).
  rounds_since_probe_up_ = rng_() & 1;
  double frac = static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0);  // [0, 1)
  bw_probe_wait_ = absl::Seconds(2) + absl::Seconds(frac);
}

bool Bbr::IsRenoCoexistenceProbeTime() const {
  // TargetInflight() in packets, as Reno would count its rounds.
  uint64_t reno_rounds = TargetInflight() / mss_;
  uint64_t rounds = std::min<uint64_t>(reno_rounds, 63);
  return rounds_since_probe_up_ >= rounds;
}

uint64_t Bbr::TargetInflight() const { return std::min(BdpMultiple(bw_, 1.0), cwnd_); }

// ---------------------------------------------------------------------------------------------
// min_rtt and ProbeRTT ("ProbeRTT Logic").

void Bbr::UpdateMinRtt(absl::Time now) {
  probe_rtt_expired_ = now > *probe_rtt_min_stamp_ + kProbeRttInterval;
  if (rs_.rtt.has_value() && (*rs_.rtt < probe_rtt_min_delay_ || probe_rtt_expired_)) {
    probe_rtt_min_delay_ = *rs_.rtt;
    probe_rtt_min_stamp_ = now;
  }
  bool min_rtt_expired = now > *min_rtt_stamp_ + kMinRttFilterLen;
  if (probe_rtt_min_delay_ < min_rtt_ || min_rtt_expired) {
    min_rtt_ = probe_rtt_min_delay_;
    min_rtt_stamp_ = probe_rtt_min_stamp_;
  }
}

void Bbr::CheckProbeRtt(absl::Time now) {
  if (state_ != State::kProbeRtt && probe_rtt_expired_ && !idle_restart_) {
    EnterProbeRtt();
    SaveCwnd();
    probe_rtt_done_stamp_.reset();
    ack_phase_ = AckPhase::kProbeStopping;
    StartRound();
  }
  if (state_ == State::kProbeRtt) HandleProbeRtt(now);
  if (rs_.delivered > 0) idle_restart_ = false;
}

void Bbr::EnterProbeRtt() {
  state_ = State::kProbeRtt;
  pacing_gain_ = 1.0;
  cwnd_gain_ = kProbeRttCwndGain;
}

void Bbr::HandleProbeRtt(absl::Time now) {
  // Ignore low rate samples during ProbeRTT.
  MarkConnectionAppLimited();
  if (!probe_rtt_done_stamp_.has_value() && inflight_ <= ProbeRttCwnd()) {
    // At least kProbeRttDuration and at least one round.
    probe_rtt_done_stamp_ = now + kProbeRttDuration;
    probe_rtt_round_done_ = false;
    StartRound();
  } else if (probe_rtt_done_stamp_.has_value()) {
    if (round_start_) probe_rtt_round_done_ = true;
    if (probe_rtt_round_done_) CheckProbeRttDone(now);
  }
}

void Bbr::CheckProbeRttDone(absl::Time now) {
  if (probe_rtt_done_stamp_.has_value() && now > *probe_rtt_done_stamp_) {
    // Schedule the next ProbeRTT.
    probe_rtt_min_stamp_ = now;
    RestoreCwnd();
    ExitProbeRtt(now);
  }
}

void Bbr::ExitProbeRtt(absl::Time now) {
  ResetShortTermModel();
  if (full_bw_reached_) {
    StartProbeBwDown(now);
    StartProbeBwCruise();
  } else {
    EnterStartup();
  }
}

uint64_t Bbr::ProbeRttCwnd() const {
  return std::max(BdpMultiple(bw_, kProbeRttCwndGain), min_pipe_cwnd_);
}

// ---------------------------------------------------------------------------------------------
// Loss ("Probing for Bandwidth In ProbeBW", "Updating the Model Upon Detecting a Spurious Loss
// Recovery").

bool Bbr::IsInflightTooHigh() const {
  return static_cast<double>(rs_.lost) > static_cast<double>(rs_.tx_in_flight) * kLossThresh;
}

void Bbr::HandleInflightTooHigh() {
  prev_probe_too_high_ = true;
  is_bw_probe_sample_ = false;  // only react once per bandwidth probe
  if (!rs_.is_app_limited) {
    inflight_longterm_ = std::max(rs_.tx_in_flight, Scale(TargetInflight(), kBeta));
  }
  if (state_ == State::kProbeBwUp) {
    undo_state_ = State::kProbeBwUp;
    StartProbeBwDown(now_);
  }
}

void Bbr::NoteLoss() {
  // The draft also calls SaveStateUponLoss() here on a round's first loss; kite saves it once
  // when the recovery episode starts (OnCongestionEvent), as "Saving State Upon Loss Recovery"
  // describes, so a loss in a later round of the same episode (StartProbeBW_DOWN clears
  // is_loss_in_round) cannot overwrite the state an undo must restore.
  if (!is_loss_in_round_) loss_round_delivered_ = delivered_;
  is_loss_in_round_ = true;
}

void Bbr::HandleLostPacket(const LostPacket& p, const PacketRecord* record) {
  NoteLoss();
  if (!is_bw_probe_sample_ || record == nullptr) return;
  // The draft overwrites RS fields for the check; this packet's view is used here and the ACK's
  // sample is restored afterwards.
  Rs saved = rs_;
  rs_.tx_in_flight = record->tx_in_flight;
  rs_.lost = lost_ >= record->lost ? lost_ - record->lost : 0;
  rs_.is_app_limited = record->app_limited;
  if (IsInflightTooHigh()) {
    rs_.tx_in_flight = InflightAtLoss(p.bytes);
    HandleInflightTooHigh();
  }
  rs_.tx_in_flight = saved.tx_in_flight;
  rs_.lost = saved.lost;
  rs_.is_app_limited = saved.is_app_limited;
}

uint64_t Bbr::InflightAtLoss(uint64_t packet_bytes) const {
  // At what C.inflight did losses cross BBR.LossThresh within this packet?
  double inflight_prev = static_cast<double>(rs_.tx_in_flight) - static_cast<double>(packet_bytes);
  double lost_prev = static_cast<double>(rs_.lost) - static_cast<double>(packet_bytes);
  inflight_prev = std::max(inflight_prev, 0.0);
  double lost_prefix = (kLossThresh * inflight_prev - lost_prev) / (1.0 - kLossThresh);
  double at_loss = std::max(inflight_prev + lost_prefix, 0.0);
  return static_cast<uint64_t>(at_loss);
}

void Bbr::SaveStateUponLoss() {
  SaveCwnd();
  undo_state_.reset();
  undo_bw_shortterm_ = bw_shortterm_;
  undo_inflight_shortterm_ = inflight_shortterm_;
  undo_inflight_longterm_ = inflight_longterm_;
  undo_valid_ = true;
}

void Bbr::OnSpuriousLoss(uint64_t packet_number, absl::Time sent_time, absl::Time now) {
  (void)now;
  if (!undo_valid_) return;
  auto it = std::find(episode_lost_.begin(), episode_lost_.end(),
                      std::make_pair(packet_number, sent_time));
  if (it == episode_lost_.end()) return;
  episode_lost_.erase(it);
  // The episode was spurious once every loss in it proved so.
  if (!episode_lost_.empty()) return;
  HandleSpuriousLossDetection();
  in_recovery_ = false;
  undo_valid_ = false;
}

void Bbr::HandleSpuriousLossDetection() {
  RestoreCwnd();
  is_loss_in_round_ = false;
  ResetFullBw();
  bw_shortterm_ = std::max(bw_shortterm_, undo_bw_shortterm_);
  inflight_shortterm_ = std::max(inflight_shortterm_, undo_inflight_shortterm_);
  inflight_longterm_ = std::max(inflight_longterm_, undo_inflight_longterm_);
  if (undo_state_ == State::kStartup && state_ != State::kStartup) {
    full_bw_reached_ = false;
    if (state_ != State::kProbeRtt) EnterStartup();
  } else if (undo_state_ == State::kProbeBwUp && state_ != State::kProbeBwUp) {
    if (state_ != State::kProbeRtt) StartProbeBwRefill();
  }
  undo_state_.reset();
  BoundBwForModel();
}

void Bbr::OnPersistentCongestion(absl::Time now) {
  (void)now;
  // "OnEnterRTO": SaveCwnd(); SaveStateUponLoss(); cwnd = inflight + 1 packet. RFC 9002 §7.6.2
  // requires the minimum window, which is at most that when little is in flight.
  SaveCwnd();
  SaveStateUponLoss();
  cwnd_ = 2 * mss_;
}

// ---------------------------------------------------------------------------------------------
// Control parameters ("Pacing Rate", "Send Quantum", "Congestion Window").

void Bbr::InitPacingRate(absl::Duration srtt) {
  double seconds = srtt > absl::ZeroDuration() ? absl::ToDoubleSeconds(srtt) : 0.001;
  double nominal = static_cast<double>(initial_cwnd_) / seconds;
  pacing_rate_ = static_cast<uint64_t>(kStartupPacingGain * nominal);
}

void Bbr::SetPacingRateWithGain(double gain) {
  uint64_t rate = Scale(bw_, gain * (100.0 - kPacingMarginPercent) / 100.0);
  if (rate == kUnlimited) return;
  if (full_bw_reached_ || rate > pacing_rate_) pacing_rate_ = rate;
}

void Bbr::SetSendQuantum() {
  uint64_t q = pacing_rate_ / 1000;  // 1 ms at the pacing rate
  q = std::min<uint64_t>(q, 64 * 1024);
  send_quantum_ = std::max<uint64_t>(q, 2 * mss_);
}

uint64_t Bbr::BdpMultiple(uint64_t bw, double gain) const {
  if (min_rtt_ == absl::InfiniteDuration()) return initial_cwnd_;  // no RTT sample yet
  double bdp = static_cast<double>(bw) * absl::ToDoubleSeconds(min_rtt_);
  double v = gain * bdp;
  if (v >= kMaxU64AsDouble) return kUnlimited;
  return static_cast<uint64_t>(v);
}

uint64_t Bbr::QuantizationBudget(uint64_t inflight_cap) const {
  // QUIC offload budget = send quantum ("QUIC Offload Budget").
  inflight_cap = std::max(inflight_cap, send_quantum_);
  inflight_cap = std::max(inflight_cap, min_pipe_cwnd_);
  if (state_ == State::kProbeBwUp) inflight_cap = SatAdd(inflight_cap, 2 * mss_);
  return inflight_cap;
}

void Bbr::UpdateMaxInflight() {
  uint64_t cap = BdpMultiple(bw_, cwnd_gain_);
  cap = SatAdd(cap, extra_acked_);
  max_inflight_ = QuantizationBudget(cap);
}

void Bbr::SetCwnd() {
  UpdateMaxInflight();
  if (full_bw_reached_) {
    cwnd_ = std::min(SatAdd(cwnd_, rs_.newly_acked), max_inflight_);
  } else if (cwnd_ < max_inflight_ || delivered_ < initial_cwnd_) {
    cwnd_ = SatAdd(cwnd_, rs_.newly_acked);
  }
  cwnd_ = std::max(cwnd_, min_pipe_cwnd_);
  BoundCwndForProbeRtt();
  BoundCwndForModel();
}

void Bbr::SaveCwnd() {
  if (!in_recovery_ && state_ != State::kProbeRtt) {
    prior_cwnd_ = cwnd_;
  } else {
    prior_cwnd_ = std::max(prior_cwnd_, cwnd_);
  }
}

void Bbr::RestoreCwnd() { cwnd_ = std::max(cwnd_, prior_cwnd_); }

void Bbr::BoundCwndForProbeRtt() {
  if (state_ == State::kProbeRtt) cwnd_ = std::min(cwnd_, ProbeRttCwnd());
}

void Bbr::BoundCwndForModel() {
  uint64_t cap = kUnlimited;
  if (IsInAProbeBwState() && state_ != State::kProbeBwCruise) {
    cap = inflight_longterm_;
  } else if (state_ == State::kProbeRtt || state_ == State::kProbeBwCruise) {
    cap = InflightWithHeadroom();
  }
  cap = std::min(cap, inflight_shortterm_);
  cap = std::max(cap, min_pipe_cwnd_);
  cwnd_ = std::min(cwnd_, cap);
}

}  // namespace kite::congestion
