#include "quic/recovery/loss_detection.h"

#include <algorithm>

#include "congestion/newreno/newreno.h"
#include "quic/codec/transport_error.h"
#include "quic/recovery/persistent_congestion.h"

namespace kite::quic {
namespace {

constexpr PacketNumberSpace kSpaces[] = {PacketNumberSpace::kInitial,
                                         PacketNumberSpace::kHandshake,
                                         PacketNumberSpace::kApplication};

congestion::ControllerParams ParamsFor(const RecoveryConfig& config) {
  congestion::ControllerParams p;
  p.max_datagram_size = config.max_datagram_size;
  return p;
}

}  // namespace

LossDetection::LossDetection(std::unique_ptr<congestion::CongestionController> controller,
                             RecoveryConfig config)
    : config_(config),
      controller_(controller != nullptr
                      ? std::move(controller)
                      : std::make_unique<congestion::NewReno>(ParamsFor(config))),
      pacer_(config.max_datagram_size, config.pacer_burst_packets),
      rtt_(config.initial_rtt) {
  config_.packet_threshold = std::max<uint64_t>(config_.packet_threshold, 1);
  config_.time_threshold = std::max(config_.time_threshold, 1.0);
  config_.granularity = std::max(config_.granularity, absl::Nanoseconds(1));
  config_.probe_packets = std::clamp<size_t>(config_.probe_packets, 1, 2);
  last_state_name_ = std::string(controller_->StateName());
}

size_t LossDetection::bytes_in_flight() const {
  size_t total = 0;
  for (const SpaceState& s : spaces_) total += s.sent.bytes_in_flight();
  return total;
}

bool LossDetection::CanSend(size_t bytes) const {
  if (pending_probes_ > 0) return true;
  return bytes_in_flight() + bytes <= controller_->CongestionWindow();
}

bool LossDetection::HasAckElicitingInFlight(PacketNumberSpace space) const {
  return state(space).sent.ack_eliciting_in_flight() > 0;
}

std::optional<uint64_t> LossDetection::largest_acked(PacketNumberSpace space) const {
  return state(space).largest_acked;
}

const SentPacketTracker& LossDetection::sent_packets(PacketNumberSpace space) const {
  return state(space).sent;
}

bool LossDetection::PeerCompletedAddressValidation() const {
  // RFC 9002 A.8: clients treat the server's address as validated implicitly; a client knows
  // the server validated it once a Handshake ACK arrived or the handshake is confirmed.
  return config_.is_server || peer_address_validated_ || handshake_confirmed_;
}

void LossDetection::OnPacketSent(PacketNumberSpace space, const SentPacket& packet) {
  SpaceState& st = state(space);
  if (st.discarded) return;
  if (st.sent.largest_sent().has_value() && packet.packet_number <= *st.sent.largest_sent()) {
    return;
  }
  SentPacket p = packet;
  if (p.in_flight) {
    size_t before = bytes_in_flight();
    UpdatePacer(p.time_sent);
    p.delivery = sampler_.OnPacketSent(p.time_sent, before, p.bytes);
    controller_->OnPacketSent(p.time_sent, p.packet_number, p.bytes, before, p.ack_eliciting);
    pacer_.OnPacketSent(p.time_sent, p.bytes);
    if (p.ack_eliciting) {
      st.time_of_last_ack_eliciting = p.time_sent;
      if (pending_probes_ > 0) --pending_probes_;
    }
  } else {
    p.delivery = congestion::DeliverySnapshot();
  }
  st.sent.Add(p);
  if (p.in_flight) SetLossDetectionTimer(p.time_sent);
}

absl::StatusOr<AckOutcome> LossDetection::OnAckReceived(PacketNumberSpace space,
                                                        const AckRanges& ack,
                                                        absl::Duration ack_delay, absl::Time now,
                                                        bool handshake_confirmed,
                                                        absl::Duration peer_max_ack_delay) {
  if (ack.ranges.empty()) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError, "ACK without ranges",
                                kAckFrameType);
  }
  for (size_t i = 0; i < ack.ranges.size(); ++i) {
    const PacketRange& r = ack.ranges[i];
    if (r.smallest > r.largest) {
      return TransportErrorStatus(TransportErrorCode::kFrameEncodingError,
                                  "ACK range with smallest above largest", kAckFrameType);
    }
    if (i > 0 && r.largest >= ack.ranges[i - 1].smallest) {
      return TransportErrorStatus(TransportErrorCode::kFrameEncodingError,
                                  "ACK ranges not in descending order", kAckFrameType);
    }
  }
  SpaceState& st = state(space);
  AckOutcome outcome;
  // Keys for a discarded space are gone, so its ACKs cannot be read; nothing to do.
  if (st.discarded) return outcome;
  const uint64_t largest = ack.ranges.front().largest;
  // RFC 9000 §13.1: acknowledging a packet never sent is a PROTOCOL_VIOLATION.
  if (!st.sent.largest_sent().has_value() || largest > *st.sent.largest_sent()) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "ACK of a packet number never sent", kAckFrameType);
  }

  if (handshake_confirmed) handshake_confirmed_ = true;
  peer_max_ack_delay_ = std::max(peer_max_ack_delay, absl::ZeroDuration());
  // A.8: a client learns the server validated its address from any Handshake ACK.
  if (space == PacketNumberSpace::kHandshake) peer_address_validated_ = true;
  const bool stale_ack = st.largest_acked.has_value() && largest < *st.largest_acked;
  st.largest_acked = std::max(st.largest_acked.value_or(0), largest);

  CheckSpuriousLosses(st, ack, now);
  const size_t prior_in_flight = bytes_in_flight();
  acked_.clear();
  lost_.clear();
  triggers_.clear();
  // Ranges are descending; walk them backwards so the result is in ascending order.
  for (auto it = ack.ranges.rbegin(); it != ack.ranges.rend(); ++it) {
    st.sent.RemoveRange(it->smallest, it->largest, &acked_);
  }
  if (acked_.empty()) {
    SetLossDetectionTimer(now);
    return outcome;
  }
  outcome.acked = acked_;

  // §5.1: sample only if the largest acknowledged is newly acknowledged and something
  // ack-eliciting was.
  const SentPacket& newest = acked_.back();
  bool any_ack_eliciting = std::any_of(acked_.begin(), acked_.end(),
                                       [](const SentPacket& p) { return p.ack_eliciting; });
  if (newest.packet_number == largest && any_ack_eliciting) {
    // §5.3: Initial packets are not delayed by the peer, so its delay is ignored there.
    absl::Duration delay = space == PacketNumberSpace::kInitial ? absl::ZeroDuration() : ack_delay;
    rtt_.OnSample(now - newest.time_sent, delay, handshake_confirmed_, peer_max_ack_delay_);
    if (!first_rtt_sample_time_.has_value()) first_rtt_sample_time_ = now;
    outcome.rtt_updated = true;
  }

  uint64_t ce_delta = ProcessEcn(space, ack.ecn, acked_, stale_ack);
  DetectAndRemoveLostPackets(space, now);
  outcome.lost = lost_;
  outcome.persistent_congestion = OnCongestionSignals(space, now, acked_, lost_, triggers_,
                                                      prior_in_flight, ce_delta);

  // §6.2.1: the backoff is reset on an acknowledgment, except at a client not yet sure the
  // server validated its address (it must keep probing the server out of its limit).
  if (PeerCompletedAddressValidation()) pto_count_ = 0;
  SetLossDetectionTimer(now);
  UpdatePacer(now);
  NotifyObserver();
  return outcome;
}

uint64_t LossDetection::ProcessEcn(PacketNumberSpace space, const std::optional<AckEcnCounts>& counts,
                                   absl::Span<const SentPacket> newly_acked, bool stale_ack) {
  if (ecn_validation_failed_) return 0;
  uint64_t sent_ect0 = 0;
  uint64_t sent_ect1 = 0;
  for (const SentPacket& p : newly_acked) {
    if (p.ecn == EcnCodepoint::kEct0) ++sent_ect0;
    if (p.ecn == EcnCodepoint::kEct1) ++sent_ect1;
  }
  // RFC 9000 §13.4.2.1: ECT-marked packets acknowledged without ECN counts fail validation.
  if (!counts.has_value()) {
    if (sent_ect0 + sent_ect1 > 0) ecn_validation_failed_ = true;
    return 0;
  }
  // A reordered, older ACK may carry smaller counts; it says nothing new.
  if (stale_ack) return 0;
  AckEcnCounts& prev = state(space).peer_ecn;
  if (counts->ect0 < prev.ect0 || counts->ect1 < prev.ect1 || counts->ce < prev.ce) {
    ecn_validation_failed_ = true;
    return 0;
  }
  uint64_t ect0_inc = counts->ect0 - prev.ect0;
  uint64_t ect1_inc = counts->ect1 - prev.ect1;
  uint64_t ce_inc = counts->ce - prev.ce;
  // Every newly acknowledged ECT packet must be counted as ECT or CE (bleaching or a lying
  // peer otherwise).
  if (ect0_inc + ce_inc < sent_ect0 || ect1_inc + ce_inc < sent_ect1) {
    ecn_validation_failed_ = true;
    return 0;
  }
  prev = *counts;
  return ce_inc;
}

void LossDetection::DetectAndRemoveLostPackets(PacketNumberSpace space, absl::Time now) {
  SpaceState& st = state(space);
  lost_.clear();
  triggers_.clear();
  st.loss_time.reset();
  if (!st.largest_acked.has_value()) return;
  const uint64_t largest_acked = *st.largest_acked;
  const absl::Duration loss_delay = CurrentLossDelay();
  const absl::Time lost_send_time = now - loss_delay;

  st.sent.RemoveIfUpTo(
      largest_acked,
      [&](const SentPacket& p) {
        // §6.1.1 (the packet threshold assumes no sender-induced gaps in packet numbers).
        bool by_count = largest_acked >= p.packet_number + config_.packet_threshold;
        bool by_time = p.time_sent <= lost_send_time;
        if (by_count || by_time) {
          triggers_.push_back(by_count ? LossTrigger::kPacketThreshold
                                       : LossTrigger::kTimeThreshold);
          if (p.in_flight) RememberLost(st, p, now);
          return true;
        }
        absl::Time when = p.time_sent + loss_delay;
        if (!st.loss_time.has_value() || when < *st.loss_time) st.loss_time = when;
        return false;
      },
      &lost_);
}

absl::Duration LossDetection::CurrentLossDelay() {
  LossDelay& c = loss_delay_;
  if (c.valid && c.latest_rtt == rtt_.latest_rtt() && c.smoothed_rtt == rtt_.smoothed_rtt() &&
      c.time_threshold == config_.time_threshold && c.granularity == config_.granularity) {
    return c.delay;
  }
  c.valid = true;
  c.latest_rtt = rtt_.latest_rtt();
  c.smoothed_rtt = rtt_.smoothed_rtt();
  c.time_threshold = config_.time_threshold;
  c.granularity = config_.granularity;
  // §6.1.2: max(kTimeThreshold * max(smoothed_rtt, latest_rtt), kGranularity).
  c.delay = std::max(std::max(c.latest_rtt, c.smoothed_rtt) * c.time_threshold, c.granularity);
  return c.delay;
}

void LossDetection::RememberLost(SpaceState& st, const SentPacket& p, absl::Time now) {
  // Bounded both in count and in age: a packet acknowledged later than a few RTTs after being
  // declared lost says little about the loss signal. The oldest packet numbers go first.
  const absl::Duration horizon = 4 * std::max(rtt_.smoothed_rtt(), config_.granularity);
  std::vector<LostRecord>& lost = st.recently_lost;
  size_t expired = 0;
  while (expired < lost.size() && (lost.size() - expired >= kMaxRememberedLostPackets ||
                                   lost[expired].sent + horizon < now)) {
    ++expired;
  }
  lost.erase(lost.begin(), lost.begin() + static_cast<std::ptrdiff_t>(expired));
  auto at = lost.end();
  if (!lost.empty() && lost.back().packet_number >= p.packet_number) {
    at = std::lower_bound(lost.begin(), lost.end(), p.packet_number,
                          [](const LostRecord& r, uint64_t pn) { return r.packet_number < pn; });
    if (at != lost.end() && at->packet_number == p.packet_number) return;
  }
  lost.insert(at, LostRecord{p.packet_number, p.time_sent});
}

void LossDetection::CheckSpuriousLosses(SpaceState& st, const AckRanges& ack, absl::Time now) {
  std::vector<LostRecord>& lost = st.recently_lost;
  if (lost.empty()) return;
  const uint64_t lowest_lost = lost.front().packet_number;
  const uint64_t highest_lost = lost.back().packet_number;
  // Ranges are in descending order: stop once they fall below every remembered packet.
  for (const PacketRange& r : ack.ranges) {
    if (r.largest < lowest_lost) break;
    if (r.smallest > highest_lost) continue;
    auto first = std::lower_bound(
        lost.begin(), lost.end(), r.smallest,
        [](const LostRecord& rec, uint64_t pn) { return rec.packet_number < pn; });
    auto last = first;
    for (; last != lost.end() && last->packet_number <= r.largest; ++last) {
      AdaptReorderingThresholds(last->packet_number, last->sent, ack.ranges.front().largest, now);
      controller_->OnSpuriousLoss(last->packet_number, last->sent, now);
      ++spurious_losses_;
    }
    lost.erase(first, last);
    if (lost.empty()) return;
  }
}

void LossDetection::AdaptReorderingThresholds(uint64_t packet_number, absl::Time sent,
                                              uint64_t ack_largest, absl::Time now) {
  if (!config_.adaptive_reordering) return;
  // Packet threshold: the packet arrived behind at least `ack_largest - packet_number` later
  // ones (ACK ranges are descending: the first range holds the largest).
  if (ack_largest >= packet_number) {
    const uint64_t distance = std::min(ack_largest - packet_number + 1, kMaxAdaptivePacketThreshold);
    config_.packet_threshold = std::max(config_.packet_threshold, distance);
  }
  // Time threshold: it was acknowledged `now - sent` after being sent, in units of the RTT the
  // loss delay is built on (§6.1.2); wait that long (and an eighth more) next time.
  const absl::Duration rtt = std::max(rtt_.latest_rtt(), rtt_.smoothed_rtt());
  if (rtt > absl::ZeroDuration() && now > sent) {
    const double shown = absl::FDivDuration(now - sent, rtt) + 1.0 / 8.0;
    config_.time_threshold =
        std::max(config_.time_threshold, std::min(shown, kMaxAdaptiveTimeThreshold));
  }
}

bool LossDetection::OnCongestionSignals(PacketNumberSpace space, absl::Time now,
                                        absl::Span<const SentPacket> acked,
                                        absl::Span<const SentPacket> lost,
                                        absl::Span<const LossTrigger> triggers,
                                        size_t prior_in_flight, uint64_t ecn_ce_delta) {
  congestion::AckEvent ev;
  ev.acked.swap(acked_scratch_);
  ev.lost.swap(lost_scratch_);
  ev.acked.clear();
  ev.lost.clear();
  ev.now = now;
  ev.prior_bytes_in_flight = prior_in_flight;
  ev.bytes_in_flight = bytes_in_flight();
  ev.ecn_ce_delta = ecn_ce_delta;
  for (const SentPacket& p : acked) {
    ev.largest_acked_sent_time = std::max(ev.largest_acked_sent_time, p.time_sent);
    if (!p.in_flight) continue;
    ev.acked.push_back({p.packet_number, p.bytes, p.time_sent});
    sampler_.OnPacketAcked(now, p.packet_number, p.time_sent, p.bytes, p.delivery);
  }
  for (size_t i = 0; i < lost.size(); ++i) {
    const SentPacket& p = lost[i];
    if (observer_ != nullptr) observer_->OnPacketLost(space, p.packet_number, p.bytes, triggers[i]);
    if (!p.in_flight) continue;
    ev.lost.push_back({p.packet_number, p.bytes, p.time_sent});
    sampler_.OnPacketLost(p.bytes);
  }
  ev.rtt.has_sample = rtt_.has_sample();
  ev.rtt.latest_rtt = rtt_.latest_rtt();
  ev.rtt.smoothed_rtt = rtt_.smoothed_rtt();
  ev.rtt.min_rtt = rtt_.min_rtt();
  ev.rtt.rttvar = rtt_.rttvar();
  ev.rate_sample = sampler_.GenerateSample(rtt_.min_rtt());
  bool persistent = false;
  if (!ev.lost.empty()) {
    // §7.6.1: the duration includes max_ack_delay whatever the space.
    absl::Duration duration = PtoBase(/*include_max_ack_delay=*/true) *
                              static_cast<int64_t>(kPersistentCongestionThreshold);
    persistent = EstablishesPersistentCongestion(lost, duration, first_rtt_sample_time_);
  }
  if (!ev.acked.empty() || !ev.lost.empty() || ev.ecn_ce_delta > 0) {
    controller_->OnCongestionEvent(ev);
  }
  if (persistent) {
    controller_->OnPersistentCongestion(now);
    // §5.2: min_rtt restarts from the newest sample after persistent congestion.
    rtt_.ResetMinRttToLatest();
  }
  acked_scratch_.swap(ev.acked);
  lost_scratch_.swap(ev.lost);
  return persistent;
}

std::optional<std::pair<absl::Time, PacketNumberSpace>> LossDetection::EarliestLossTime() const {
  std::optional<std::pair<absl::Time, PacketNumberSpace>> best;
  for (PacketNumberSpace s : kSpaces) {
    const SpaceState& st = state(s);
    if (!st.loss_time.has_value()) continue;
    if (!best.has_value() || *st.loss_time < best->first) best = std::make_pair(*st.loss_time, s);
  }
  return best;
}

absl::Duration LossDetection::PtoBase(bool include_max_ack_delay) const {
  absl::Duration pto = rtt_.smoothed_rtt() + std::max(rtt_.rttvar() * 4, config_.granularity);
  if (include_max_ack_delay) pto += peer_max_ack_delay_;
  return pto;
}

int64_t LossDetection::PtoBackoff() const {
  return int64_t{1} << std::min(pto_count_, kMaxPtoBackoffExponent);
}

bool LossDetection::AnyEligibleAckElicitingInFlight() const {
  // The Application Data space does not arm a PTO before the handshake is confirmed (§6.2.1),
  // so its packets then do not keep the client's anti-deadlock timer (§6.2.2.1) from arming.
  return HasAckElicitingInFlight(PacketNumberSpace::kInitial) ||
         HasAckElicitingInFlight(PacketNumberSpace::kHandshake) ||
         (handshake_confirmed_ && HasAckElicitingInFlight(PacketNumberSpace::kApplication));
}

const LossDetection::PtoPeriods& LossDetection::CurrentPtoPeriods() const {
  PtoPeriods& p = pto_periods_;
  if (p.valid && p.smoothed_rtt == rtt_.smoothed_rtt() && p.rttvar == rtt_.rttvar() &&
      p.peer_max_ack_delay == peer_max_ack_delay_ && p.pto_count == pto_count_) {
    return p;
  }
  p.valid = true;
  p.smoothed_rtt = rtt_.smoothed_rtt();
  p.rttvar = rtt_.rttvar();
  p.peer_max_ack_delay = peer_max_ack_delay_;
  p.pto_count = pto_count_;
  const int64_t backoff = PtoBackoff();
  p.any_space = PtoBase(/*include_max_ack_delay=*/false) * backoff;
  p.application = p.any_space + peer_max_ack_delay_ * backoff;
  return p;
}

std::optional<std::pair<absl::Time, PacketNumberSpace>> LossDetection::PtoTimeAndSpace(
    absl::Time now) const {
  const PtoPeriods& periods = CurrentPtoPeriods();
  const absl::Duration duration = periods.any_space;
  if (!AnyEligibleAckElicitingInFlight()) {
    if (PeerCompletedAddressValidation()) return std::nullopt;
    // §6.2.2.1 anti-deadlock: armed from now.
    PacketNumberSpace space =
        has_handshake_keys_ ? PacketNumberSpace::kHandshake : PacketNumberSpace::kInitial;
    return std::make_pair(now + duration, space);
  }
  bool found = false;
  absl::Time best_time;
  PacketNumberSpace best_space = PacketNumberSpace::kInitial;
  for (PacketNumberSpace s : kSpaces) {
    const SpaceState& st = state(s);
    if (!HasAckElicitingInFlight(s) || !st.time_of_last_ack_eliciting.has_value()) continue;
    const absl::Duration* d = &duration;
    if (s == PacketNumberSpace::kApplication) {
      if (!handshake_confirmed_) break;
      d = &periods.application;
    }
    absl::Time t = *st.time_of_last_ack_eliciting + *d;
    if (!found || t < best_time) {
      found = true;
      best_time = t;
      best_space = s;
    }
  }
  if (!found) return std::nullopt;
  return std::make_pair(best_time, best_space);
}

void LossDetection::SetLossDetectionTimer(absl::Time now) {
  timer_inputs_changed_ = false;
  // EarliestLossTime() without building its result: this runs for every packet sent.
  const absl::Time* loss_time = nullptr;
  for (const SpaceState& st : spaces_) {
    if (st.loss_time.has_value() && (loss_time == nullptr || *st.loss_time < *loss_time)) {
      loss_time = &*st.loss_time;
    }
  }
  if (loss_time != nullptr) {
    timer_ = *loss_time;
    return;
  }
  // A.8: a server at its anti-amplification limit could not send a probe anyway.
  if (amplification_blocked_ && config_.is_server) {
    timer_.reset();
    return;
  }
  auto pto = PtoTimeAndSpace(now);
  if (pto.has_value()) {
    timer_ = pto->first;
  } else {
    timer_.reset();
  }
}

TimeoutOutcome LossDetection::OnLossDetectionTimeout(absl::Time now) {
  TimeoutOutcome out;
  if (!timer_.has_value() || now < *timer_) return out;

  if (auto loss = EarliestLossTime()) {
    // Time-threshold loss (A.9).
    PacketNumberSpace space = loss->second;
    size_t prior_in_flight = bytes_in_flight();
    out.kind = TimeoutOutcome::Kind::kLossDetected;
    out.space = space;
    DetectAndRemoveLostPackets(space, now);
    out.lost = lost_;
    out.persistent_congestion =
        OnCongestionSignals(space, now, {}, lost_, triggers_, prior_in_flight, 0);
    SetLossDetectionTimer(now);
    UpdatePacer(now);
    NotifyObserver();
    return out;
  }

  if (!AnyEligibleAckElicitingInFlight()) {
    if (PeerCompletedAddressValidation()) {
      SetLossDetectionTimer(now);
      return out;
    }
    // §6.2.2.1: the client's anti-deadlock probe.
    out.kind = TimeoutOutcome::Kind::kProbe;
    out.anti_deadlock = true;
    out.space = has_handshake_keys_ ? PacketNumberSpace::kHandshake : PacketNumberSpace::kInitial;
    out.probe_packets = 1;
  } else {
    auto pto = PtoTimeAndSpace(now);
    if (!pto.has_value()) {
      SetLossDetectionTimer(now);
      return out;
    }
    out.kind = TimeoutOutcome::Kind::kProbe;
    out.space = pto->second;
    out.probe_packets = config_.probe_packets;
  }
  // §6.2.1: each expiry doubles the next PTO period.
  ++pto_count_;
  pending_probes_ = out.probe_packets;
  SetLossDetectionTimer(now);
  NotifyObserver();
  return out;
}

std::vector<SentPacket> LossDetection::RemoveAllFromFlight(PacketNumberSpace space) {
  SpaceState& st = state(space);
  size_t before = st.sent.bytes_in_flight();
  std::vector<SentPacket> all = st.sent.TakeAll();
  if (before > 0) controller_->OnPacketsDiscarded(before);
  st.loss_time.reset();
  st.time_of_last_ack_eliciting.reset();
  return all;
}

void LossDetection::DiscardSpace(PacketNumberSpace space, absl::Time now) {
  SpaceState& st = state(space);
  if (st.discarded) return;
  RemoveAllFromFlight(space);
  st.discarded = true;
  // Discarding Initial keys happens once Handshake keys are in use (RFC 9001 §4.9.1).
  if (space == PacketNumberSpace::kInitial) has_handshake_keys_ = true;
  // A.10: discarding keys is progress; the PTO backoff restarts.
  pto_count_ = 0;
  SetLossDetectionTimer(now);
  UpdatePacer(now);
  NotifyObserver();
}

std::vector<SentPacket> LossDetection::TakeUnackedForRetransmission(PacketNumberSpace space,
                                                                    absl::Time now) {
  std::vector<SentPacket> all = RemoveAllFromFlight(space);
  SetLossDetectionTimer(now);
  NotifyObserver();
  return all;
}

void LossDetection::OnApplicationLimited() {
  size_t in_flight = bytes_in_flight();
  sampler_.OnAppLimited(in_flight);
  controller_->OnAppLimited(in_flight);
  NotifyObserver();
}

void LossDetection::SetPeerAddressValidated(bool validated, absl::Time now) {
  peer_address_validated_ = validated;
  SetLossDetectionTimer(now);
}

void LossDetection::SetHandshakeConfirmed(bool confirmed, absl::Time now) {
  handshake_confirmed_ = confirmed;
  SetLossDetectionTimer(now);
}

void LossDetection::SetHandshakeKeysAvailable(bool available, absl::Time now) {
  has_handshake_keys_ = available;
  SetLossDetectionTimer(now);
}

void LossDetection::SetAmplificationBlocked(bool blocked, absl::Time now) {
  // The connection reports this before every datagram it builds. When nothing changed, re-arming
  // would give the same deadline: every other input re-arms the timer as it changes, and only
  // the client's anti-deadlock timer (§6.2.2.1) depends on `now`.
  if (blocked == amplification_blocked_ && !timer_inputs_changed_ &&
      PeerCompletedAddressValidation()) {
    return;
  }
  amplification_blocked_ = blocked;
  SetLossDetectionTimer(now);
}

void LossDetection::SetMaxDatagramSize(size_t max_datagram_size) {
  config_.max_datagram_size = max_datagram_size;
  pacer_.SetMaxDatagramSize(max_datagram_size);
}

void LossDetection::UpdatePacer(absl::Time now) {
  std::optional<uint64_t> rate = controller_->PacingRateBytesPerSecond();
  if (!rate.has_value()) {
    WindowRate& w = window_rate_;
    const size_t cwnd = controller_->CongestionWindow();
    if (!w.valid || w.congestion_window != cwnd || w.smoothed_rtt != rtt_.smoothed_rtt()) {
      w.valid = true;
      w.congestion_window = cwnd;
      w.smoothed_rtt = rtt_.smoothed_rtt();
      w.bytes_per_second = congestion::Pacer::WindowBasedRate(cwnd, w.smoothed_rtt);
    }
    rate = w.bytes_per_second;
  }
  pacer_.SetRate(now, *rate);
}

void LossDetection::NotifyObserver() {
  std::string_view state_name = controller_->StateName();
  bool state_changed = state_name != last_state_name_;
  if (state_changed) last_state_name_ = std::string(state_name);
  if (observer_ == nullptr) return;
  if (state_changed) observer_->OnCongestionStateChanged(last_state_name_);
  RecoveryMetrics m;
  m.congestion_window = controller_->CongestionWindow();
  m.bytes_in_flight = bytes_in_flight();
  m.smoothed_rtt = rtt_.smoothed_rtt();
  m.min_rtt = rtt_.min_rtt();
  m.latest_rtt = rtt_.latest_rtt();
  m.rttvar = rtt_.rttvar();
  m.pacing_rate_bytes_per_second = pacer_.rate();
  m.pto_count = pto_count_;
  observer_->OnMetricsUpdated(m);
}

}  // namespace kite::quic
