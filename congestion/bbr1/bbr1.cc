#include "congestion/bbr1/bbr1.h"

#include <algorithm>
#include <memory>
#include <string>

#include "congestion/registry.h"

namespace kite::congestion {
namespace {

const ControllerRegistrar kBbr1Registrar(std::string(Bbr1::kName),
                                         [](const ControllerParams& params) {
                                           return std::make_unique<Bbr1>(params);
                                         });

constexpr double kMaxU64AsDouble = 1.8e19;

uint64_t ScaleRate(uint64_t v, double gain) {
  double r = static_cast<double>(v) * gain;
  if (r <= 0) return 0;
  if (r >= kMaxU64AsDouble) return UINT64_MAX;
  return static_cast<uint64_t>(r);
}

}  // namespace

Bbr1::Bbr1(const ControllerParams& params, Options options)
    : mss_(std::max<size_t>(params.max_datagram_size, 1)),
      initial_cwnd_(std::max<uint64_t>(InitialWindowBytes(params), MinimumWindowBytes(params))),
      rng_(options.random_seed),
      cwnd_(initial_cwnd_),
      btl_bw_filter_(kBtlBwFilterLen, 0) {
  // BBRInitPacingRate without an RTT sample: InitialCwnd over 1 ms.
  pacing_rate_ = ScaleRate(initial_cwnd_ * 1000, kHighGain);
  EnterStartup();
  SetSendQuantum();
}

std::string_view Bbr1::StateName(State s) {
  switch (s) {
    case State::kStartup:
      return "startup";
    case State::kDrain:
      return "drain";
    case State::kProbeBw:
      return "probe_bw";
    case State::kProbeRtt:
      return "probe_rtt";
  }
  return "startup";
}

void Bbr1::OnPacketSent(absl::Time sent_time, uint64_t packet_number, size_t bytes,
                        size_t bytes_in_flight_before, bool is_retransmittable) {
  (void)packet_number;
  (void)is_retransmittable;
  if (rtprop_stamp_ == absl::InfinitePast()) rtprop_stamp_ = sent_time;
  // BBRHandleRestartFromIdle: pace at exactly BtlBw when resuming in ProbeBW.
  if (bytes_in_flight_before == 0 && app_limited_until_ != 0) {
    idle_restart_ = true;
    if (state_ == State::kProbeBw) SetPacingRateWithGain(1.0);
  }
  inflight_ = bytes_in_flight_before + bytes;
}

void Bbr1::OnAppLimited(size_t bytes_in_flight) {
  app_limited_until_ = std::max<uint64_t>(delivered_ + bytes_in_flight, 1);
}

void Bbr1::OnCongestionEvent(const AckEvent& ev) {
  const absl::Time now = ev.now;
  if (rtprop_stamp_ == absl::InfinitePast()) rtprop_stamp_ = now;
  const size_t prior_inflight = ev.prior_bytes_in_flight;
  inflight_ = ev.bytes_in_flight;
  if (ev.rtt.has_sample && !pacing_initialized_from_rtt_) {
    pacing_initialized_from_rtt_ = true;
    if (btl_bw_ == 0 && ev.rtt.smoothed_rtt > absl::ZeroDuration()) {
      pacing_rate_ =
          ScaleRate(initial_cwnd_, kHighGain / absl::ToDoubleSeconds(ev.rtt.smoothed_rtt));
    }
  }

  uint64_t newly_acked = 0;
  absl::Time newest_sent = absl::InfinitePast();
  bool exits_recovery = false;
  for (const AckedPacket& p : ev.acked) {
    newly_acked += p.bytes;
    newest_sent = std::max(newest_sent, p.sent_time);
    if (in_recovery_ && p.sent_time > *recovery_start_time_) exits_recovery = true;
  }
  delivered_ += newly_acked;
  uint64_t newly_lost = 0;
  absl::Time last_lost_sent = absl::InfinitePast();
  for (const LostPacket& p : ev.lost) {
    newly_lost += p.bytes;
    last_lost_sent = std::max(last_lost_sent, p.sent_time);
  }
  // A loss (or CE mark) of a packet sent after the current recovery period began starts a new
  // one (RFC 9002 §7.3.2); the draft's "upon entering Fast Recovery".
  absl::Time signal_sent = last_lost_sent;
  if (ev.ecn_ce_delta > 0) signal_sent = std::max(signal_sent, ev.largest_acked_sent_time);
  bool had_signal = newly_lost > 0 || ev.ecn_ce_delta > 0;
  if (had_signal && (!recovery_start_time_.has_value() || signal_sent > *recovery_start_time_)) {
    SaveCwnd();
    recovery_start_time_ = now;
    in_recovery_ = true;
    exits_recovery = false;
    packet_conservation_ = true;
    recovery_round_end_ = delivered_ + inflight_;
    cwnd_ = std::max<uint64_t>(inflight_ + std::max<uint64_t>(newly_acked, mss_), 2 * mss_);
  }
  if (exits_recovery) {
    in_recovery_ = false;
    packet_conservation_ = false;
    RestoreCwnd();
  }
  // Packet conservation lasts one round trip of recovery.
  if (packet_conservation_ && delivered_ >= recovery_round_end_) packet_conservation_ = false;

  if (!ev.acked.empty()) {
    const RateSample& rs = ev.rate_sample;
    uint64_t prior_delivered = rs.has_data ? rs.prior_delivered : delivered_ - newly_acked;
    uint64_t rate = rs.has_rate ? rs.delivery_rate_bytes_per_second : 0;
    bool app_limited = rs.is_app_limited ||
                       (probe_rtt_mark_until_ != 0 && prior_delivered >= probe_rtt_mark_from_ &&
                        prior_delivered <= probe_rtt_mark_until_);
    std::optional<absl::Duration> rtt;
    if (newest_sent != absl::InfinitePast() && now >= newest_sent) rtt = now - newest_sent;
    // BBRUpdateModelAndState.
    UpdateBtlBw(prior_delivered, rate, app_limited);
    UpdateGainCycle(now, prior_inflight, newly_lost > 0);
    CheckFullPipe(app_limited);
    CheckDrain(now);
    UpdateRtprop(now, rtt);
    CheckProbeRtt(now);
    // BBRUpdateControlParameters.
    SetPacingRateWithGain(pacing_gain_);
    SetSendQuantum();
  }
  SetCwnd(newly_acked, newly_lost);
  if (app_limited_until_ != 0 && delivered_ > app_limited_until_) app_limited_until_ = 0;
  if (probe_rtt_mark_until_ != 0 && delivered_ > probe_rtt_mark_until_ &&
      state_ != State::kProbeRtt) {
    probe_rtt_mark_until_ = 0;
  }
}

void Bbr1::UpdateRound(uint64_t prior_delivered) {
  if (prior_delivered >= next_round_delivered_) {
    next_round_delivered_ = delivered_;
    ++round_count_;
    round_start_ = true;
  } else {
    round_start_ = false;
  }
}

void Bbr1::UpdateBtlBw(uint64_t prior_delivered, uint64_t rate, bool app_limited) {
  UpdateRound(prior_delivered);
  // Application-limited samples only count when they raise the estimate.
  if (rate > 0 && (rate >= btl_bw_ || !app_limited)) {
    btl_bw_ = btl_bw_filter_.Update(rate, round_count_);
  }
}

void Bbr1::CheckFullPipe(bool app_limited) {
  if (filled_pipe_ || !round_start_ || app_limited) return;
  if (static_cast<double>(btl_bw_) >= static_cast<double>(full_bw_) * 1.25) {
    full_bw_ = btl_bw_;
    full_bw_count_ = 0;
    return;
  }
  ++full_bw_count_;
  if (full_bw_count_ >= 3) filled_pipe_ = true;
}

void Bbr1::CheckDrain(absl::Time now) {
  if (state_ == State::kStartup && filled_pipe_) EnterDrain();
  if (state_ == State::kDrain && inflight_ <= Inflight(1.0)) EnterProbeBw(now);
}

void Bbr1::UpdateGainCycle(absl::Time now, size_t prior_inflight, bool had_loss) {
  if (state_ != State::kProbeBw) return;
  // BBRIsNextCyclePhase: each phase lasts at least RTprop; the 5/4 phase also until inflight
  // reached 5/4 BDP (or loss), the 3/4 phase ends early once inflight fell to the BDP.
  bool is_full_length = now - cycle_stamp_ > rtprop_;
  bool next = false;
  if (pacing_gain_ == 1.0) {
    next = is_full_length;
  } else if (pacing_gain_ > 1.0) {
    next = is_full_length && (had_loss || prior_inflight >= Inflight(pacing_gain_));
  } else {
    next = is_full_length || prior_inflight <= Inflight(1.0);
  }
  if (next) AdvanceCyclePhase(now);
}

void Bbr1::AdvanceCyclePhase(absl::Time now) {
  cycle_stamp_ = now;
  cycle_index_ = (cycle_index_ + 1) % kGainCycleLength;
  pacing_gain_ = kPacingGainCycle[cycle_index_];
}

void Bbr1::UpdateRtprop(absl::Time now, std::optional<absl::Duration> rtt) {
  rtprop_expired_ = now > rtprop_stamp_ + kRtpropFilterLen;
  if (rtt.has_value() && (*rtt <= rtprop_ || rtprop_expired_)) {
    rtprop_ = *rtt;
    rtprop_stamp_ = now;
  }
}

void Bbr1::CheckProbeRtt(absl::Time now) {
  if (state_ != State::kProbeRtt && rtprop_expired_ && !idle_restart_) {
    EnterProbeRtt();
    SaveCwnd();
    probe_rtt_done_stamp_.reset();
  }
  if (state_ == State::kProbeRtt) HandleProbeRtt(now);
  idle_restart_ = false;
}

void Bbr1::HandleProbeRtt(absl::Time now) {
  // Ignore low rate samples during ProbeRTT.
  if (probe_rtt_mark_until_ == 0) probe_rtt_mark_from_ = delivered_;
  probe_rtt_mark_until_ = std::max<uint64_t>(delivered_ + inflight_, 1);
  if (!probe_rtt_done_stamp_.has_value() && inflight_ <= MinPipeCwnd()) {
    probe_rtt_done_stamp_ = now + kProbeRttDuration;
    probe_rtt_round_done_ = false;
    next_round_delivered_ = delivered_;
  } else if (probe_rtt_done_stamp_.has_value()) {
    if (round_start_) probe_rtt_round_done_ = true;
    if (probe_rtt_round_done_ && now > *probe_rtt_done_stamp_) {
      rtprop_stamp_ = now;
      RestoreCwnd();
      ExitProbeRtt(now);
    }
  }
}

void Bbr1::EnterStartup() {
  state_ = State::kStartup;
  pacing_gain_ = kHighGain;
  cwnd_gain_ = kHighGain;
}

void Bbr1::EnterDrain() {
  state_ = State::kDrain;
  pacing_gain_ = kDrainGain;  // pace slowly
  cwnd_gain_ = kHighGain;     // maintain cwnd
}

void Bbr1::EnterProbeBw(absl::Time now) {
  state_ = State::kProbeBw;
  pacing_gain_ = 1.0;
  cwnd_gain_ = kProbeBwCwndGain;
  // A random phase other than the 3/4 one: index = 7 - random[0..6], then advanced by one.
  cycle_index_ = kGainCycleLength - 1 - static_cast<int>(rng_() % (kGainCycleLength - 1));
  AdvanceCyclePhase(now);
}

void Bbr1::EnterProbeRtt() {
  state_ = State::kProbeRtt;
  pacing_gain_ = 1.0;
  cwnd_gain_ = 1.0;
}

void Bbr1::ExitProbeRtt(absl::Time now) {
  if (filled_pipe_) {
    EnterProbeBw(now);
  } else {
    EnterStartup();
  }
}

void Bbr1::SetPacingRateWithGain(double gain) {
  uint64_t rate = ScaleRate(btl_bw_, gain);
  if (filled_pipe_ || rate > pacing_rate_) pacing_rate_ = rate;
}

void Bbr1::SetSendQuantum() {
  // 1 packet below 1.2 Mbit/s, 2 below 24 Mbit/s, else 1 ms of data up to 64 KB.
  if (pacing_rate_ < 1200000 / 8) {
    send_quantum_ = mss_;
  } else if (pacing_rate_ < 24000000 / 8) {
    send_quantum_ = 2 * mss_;
  } else {
    send_quantum_ = std::min<uint64_t>(pacing_rate_ / 1000, 64 * 1024);
  }
}

uint64_t Bbr1::Bdp(double gain) const {
  double bdp = static_cast<double>(btl_bw_) * absl::ToDoubleSeconds(rtprop_) * gain;
  if (bdp >= kMaxU64AsDouble) return UINT64_MAX / 2;
  return static_cast<uint64_t>(bdp);
}

uint64_t Bbr1::Inflight(double gain) const {
  if (rtprop_ == absl::InfiniteDuration()) return initial_cwnd_;
  return Bdp(gain) + 3 * send_quantum_;
}

void Bbr1::SetCwnd(uint64_t newly_acked, uint64_t newly_lost) {
  const uint64_t target = Inflight(cwnd_gain_);
  // BBRModulateCwndForRecovery.
  if (newly_lost > 0) {
    cwnd_ = cwnd_ > newly_lost + 2 * mss_ ? cwnd_ - newly_lost : 2 * mss_;
  }
  if (packet_conservation_) {
    cwnd_ = std::max<uint64_t>(cwnd_, inflight_ + newly_acked);
  } else if (newly_acked > 0) {
    if (filled_pipe_) {
      cwnd_ = std::min(cwnd_ + newly_acked, target);
    } else if (cwnd_ < target || delivered_ < initial_cwnd_) {
      cwnd_ += newly_acked;
    }
    cwnd_ = std::max<uint64_t>(cwnd_, MinPipeCwnd());
  }
  // BBRModulateCwndForProbeRTT.
  if (state_ == State::kProbeRtt) cwnd_ = std::min<uint64_t>(cwnd_, MinPipeCwnd());
}

void Bbr1::SaveCwnd() {
  if (!in_recovery_ && state_ != State::kProbeRtt) {
    prior_cwnd_ = cwnd_;
  } else {
    prior_cwnd_ = std::max(prior_cwnd_, cwnd_);
  }
}

void Bbr1::RestoreCwnd() { cwnd_ = std::max(cwnd_, prior_cwnd_); }

void Bbr1::OnPersistentCongestion(absl::Time now) {
  (void)now;
  // Upon RTO the draft drops to one packet; RFC 9002 §7.6.2's minimum window is two.
  SaveCwnd();
  cwnd_ = 2 * mss_;
  packet_conservation_ = false;
}

}  // namespace kite::congestion
