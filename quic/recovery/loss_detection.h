// Loss detection and the loss-detection timer (RFC 9002 §6 and Appendix A) for one connection
// path: per packet number space sent-packet tracking, RTT, packet- and time-threshold loss,
// PTO with backoff and the handshake rules of §6.2.2.1, persistent congestion (§7.6), basic ECN
// validation (RFC 9000 §13.4.2.1). It owns the congestion controller, the shared delivery-rate
// sampler and the pacer, and feeds them; it never reads a clock.
#ifndef KITE_QUIC_RECOVERY_LOSS_DETECTION_H_
#define KITE_QUIC_RECOVERY_LOSS_DETECTION_H_

#include <array>
#include <cstddef>
#include <deque>
#include <utility>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "congestion/congestion_controller.h"
#include "congestion/delivery_rate_sampler.h"
#include "congestion/pacer.h"
#include "quic/recovery/ack_ranges.h"
#include "quic/recovery/recovery_observer.h"
#include "quic/recovery/rtt_estimator.h"
#include "quic/recovery/sent_packet.h"
#include "quic/recovery/sent_packet_tracker.h"
#include "tls/encryption_level.h"

namespace kite::quic {

// Lost packets remembered per space for spurious-loss detection.
inline constexpr size_t kMaxRememberedLostPackets = 256;
// Ceilings on the adaptive reordering thresholds (RecoveryConfig::adaptive_reordering): the
// peer's reordering raises them, so they are bounded. Past them, loss detection waits at most
// two round trips, which is what keeps a true loss from going unnoticed for long.
inline constexpr uint64_t kMaxAdaptivePacketThreshold = 256;
inline constexpr double kMaxAdaptiveTimeThreshold = 2.0;

using tls::PacketNumberSpace;

struct RecoveryConfig {
  absl::Duration initial_rtt = kDefaultInitialRtt;  // RFC 9002 §6.2.2 kInitialRtt
  size_t max_datagram_size = 1200;
  uint64_t packet_threshold = 3;                   // §6.1.1 kPacketThreshold
  double time_threshold = 9.0 / 8.0;               // §6.1.2 kTimeThreshold
  // RFC 9002 §6.1.1/§6.1.2 allow adaptive thresholds. When on, a loss that proves spurious (the
  // "lost" packet is acknowledged after all: reordering, not loss) raises the packet threshold
  // to the reordering distance it showed and the time threshold to the delay it showed (plus
  // 1/8), up to kMaxAdaptive*; they never shrink within the connection. Off: the RFC constants.
  bool adaptive_reordering = true;
  absl::Duration granularity = kTimerGranularity;  // §6.1.2 kGranularity
  bool is_server = false;
  // Probe datagrams per PTO (§6.2.4 allows up to two); the client's anti-deadlock PTO always
  // asks for one.
  size_t probe_packets = 2;
  size_t pacer_burst_packets = congestion::Pacer::kDefaultBurstPackets;
};

// The lists view storage owned by the LossDetection that produced them (so that an ACK allocates
// nothing): they stay valid until its next OnAckReceived or OnLossDetectionTimeout.
struct AckOutcome {
  // Every newly acknowledged packet (in flight or not), ascending packet number.
  absl::Span<const SentPacket> acked;
  // Every packet newly declared lost, ascending packet number.
  absl::Span<const SentPacket> lost;
  bool rtt_updated = false;
  bool persistent_congestion = false;
};

struct TimeoutOutcome {
  enum class Kind : uint8_t {
    kNone,          // nothing was due (early or spurious wake-up)
    kLossDetected,  // time-threshold loss: retransmit `lost`
    kProbe,         // PTO: send `probe_packets` ack-eliciting packets in `space`
  };
  Kind kind = Kind::kNone;
  PacketNumberSpace space = PacketNumberSpace::kInitial;
  std::vector<SentPacket> lost;
  size_t probe_packets = 0;
  // §6.2.2.1 client anti-deadlock probe: nothing is in flight; send a Handshake packet if
  // `space` is Handshake, else an Initial in a datagram padded to at least 1200 bytes.
  bool anti_deadlock = false;
  bool persistent_congestion = false;
};

class LossDetection {
 public:
  // Upper bound on the PTO backoff exponent; the idle timeout ends the connection long before.
  static constexpr uint32_t kMaxPtoBackoffExponent = 16;
  // Frame type of ACK (RFC 9000 §19.3), reported with errors about its content.
  static constexpr uint64_t kAckFrameType = 0x02;

  LossDetection(std::unique_ptr<congestion::CongestionController> controller,
                RecoveryConfig config = RecoveryConfig());

  // Records a sent packet (RFC 9002 A.5). Packets in a discarded space and packet numbers not
  // above the largest already sent in that space are ignored.
  void OnPacketSent(PacketNumberSpace space, const SentPacket& packet);

  // Processes one ACK frame (RFC 9002 A.7). `ack_delay` is already decoded with the peer's
  // ack_delay_exponent (the one in `ack` is ignored). Errors: FRAME_ENCODING_ERROR for ranges
  // that are empty, inverted or not in descending order; PROTOCOL_VIOLATION for acknowledging
  // a packet number never sent in that space (RFC 9000 §13.1).
  absl::StatusOr<AckOutcome> OnAckReceived(PacketNumberSpace space, const AckRanges& ack,
                                           absl::Duration ack_delay, absl::Time now,
                                           bool handshake_confirmed,
                                           absl::Duration peer_max_ack_delay);

  // When OnLossDetectionTimeout should run; nullopt when no timer is armed.
  std::optional<absl::Time> LossDetectionDeadline() const { return timer_; }
  // RFC 9002 A.9. Returns kNone if called before the deadline.
  TimeoutOutcome OnLossDetectionTimeout(absl::Time now);

  // §6.4 / A.10: keys for `space` were discarded. Its packets leave flight without ack or loss.
  void DiscardSpace(PacketNumberSpace space, absl::Time now);
  // Retry (§6.3) or 0-RTT rejection: every unacknowledged packet of `space` is removed from
  // flight with no congestion response and returned for retransmission in new packets.
  std::vector<SentPacket> TakeUnackedForRetransmission(PacketNumberSpace space, absl::Time now);

  // §7.8 / delivery-rate sampling: the sender had nothing to send while allowed to.
  void OnApplicationLimited();

  // Inputs of the §6.2.2.1 / A.8 pseudo-code. Each re-arms the timer, hence `now`.
  // Client: the server validated our address (e.g. Handshake ACK received, handshake confirmed);
  // servers always count as validated.
  void SetPeerAddressValidated(bool validated, absl::Time now);
  void SetHandshakeConfirmed(bool confirmed, absl::Time now);
  void SetHandshakeKeysAvailable(bool available, absl::Time now);
  // Server: at the anti-amplification limit, no PTO is armed. When a datagram unblocks it, call
  // with false and run OnLossDetectionTimeout if the deadline has already passed (A.6).
  void SetAmplificationBlocked(bool blocked, absl::Time now);
  void SetPeerMaxAckDelay(absl::Duration max_ack_delay) {
    peer_max_ack_delay_ = max_ack_delay;
    timer_inputs_changed_ = true;
  }
  void SetMaxDatagramSize(size_t max_datagram_size);
  // Not owned; may be null.
  void SetObserver(RecoveryObserver* observer) { observer_ = observer; }

  size_t bytes_in_flight() const;
  size_t CongestionWindow() const { return controller_->CongestionWindow(); }
  // §7: bytes_in_flight + bytes must fit the window, unless PTO probes are owed (§7.5).
  bool CanSend(size_t bytes) const;
  // When the next paced (in-flight) packet may leave; pure ACKs are not paced.
  absl::Time NextPacingTime(absl::Time now) const { return pacer_.NextSendTime(now); }
  const RttEstimator& rtt() const { return rtt_; }
  uint32_t pto_count() const { return pto_count_; }
  size_t pending_probe_packets() const { return pending_probes_; }
  bool HasAckElicitingInFlight(PacketNumberSpace space) const;
  std::optional<uint64_t> largest_acked(PacketNumberSpace space) const;
  const SentPacketTracker& sent_packets(PacketNumberSpace space) const;
  bool ecn_validation_failed() const { return ecn_validation_failed_; }
  // Packets declared lost and acknowledged afterwards (reported to the controller).
  uint64_t spurious_losses() const { return spurious_losses_; }
  // The reordering thresholds in force (RecoveryConfig::adaptive_reordering moves them).
  uint64_t packet_threshold() const { return config_.packet_threshold; }
  double time_threshold() const { return config_.time_threshold; }
  bool PeerCompletedAddressValidation() const;
  const congestion::CongestionController& controller() const { return *controller_; }
  const congestion::Pacer& pacer() const { return pacer_; }

 private:
  struct LostRecord {
    uint64_t packet_number;
    absl::Time sent;
  };
  struct SpaceState {
    SentPacketTracker sent;
    std::optional<uint64_t> largest_acked;
    std::optional<absl::Time> time_of_last_ack_eliciting;
    std::optional<absl::Time> loss_time;
    AckEcnCounts peer_ecn;
    bool discarded = false;
    // In-flight packets declared lost, kept a while so a late ACK can reveal a spurious loss
    // (RFC 9002 §6.1.2 notes losses may be spurious; RFC 9438 §4.9 undoes their reduction).
    // Ascending packet numbers, so an ACK range finds its members by binary search. Losses are
    // declared in ascending order, so remembering one is normally an append.
    std::vector<LostRecord> recently_lost;
  };
  void RememberLost(SpaceState& st, const SentPacket& p, absl::Time now);
  void CheckSpuriousLosses(SpaceState& st, const AckRanges& ack, absl::Time now);
  // A packet declared lost was acknowledged by an ACK whose largest is `ack_largest`.
  void AdaptReorderingThresholds(uint64_t packet_number, absl::Time sent, uint64_t ack_largest,
                                 absl::Time now);

  static size_t Index(PacketNumberSpace s) { return static_cast<size_t>(s); }
  SpaceState& state(PacketNumberSpace s) { return spaces_[Index(s)]; }
  const SpaceState& state(PacketNumberSpace s) const { return spaces_[Index(s)]; }

  // Fills lost_ and triggers_ (cleared first).
  void DetectAndRemoveLostPackets(PacketNumberSpace space, absl::Time now);
  // Feeds the controller and sampler with one event; returns whether persistent congestion was
  // established.
  bool OnCongestionSignals(PacketNumberSpace space, absl::Time now,
                           absl::Span<const SentPacket> acked,
                           absl::Span<const SentPacket> lost,
                           absl::Span<const LossTrigger> triggers, size_t prior_in_flight,
                           uint64_t ecn_ce_delta);
  uint64_t ProcessEcn(PacketNumberSpace space, const std::optional<AckEcnCounts>& counts,
                      absl::Span<const SentPacket> newly_acked, bool stale_ack);

  std::optional<std::pair<absl::Time, PacketNumberSpace>> EarliestLossTime() const;
  std::optional<std::pair<absl::Time, PacketNumberSpace>> PtoTimeAndSpace(absl::Time now) const;
  bool AnyEligibleAckElicitingInFlight() const;
  absl::Duration PtoBase(bool include_max_ack_delay) const;
  int64_t PtoBackoff() const;
  // The PTO periods with backoff (§6.2.1): PtoBase(false) * backoff for every space, plus
  // peer_max_ack_delay * backoff for Application Data. The timer is re-armed for every packet
  // sent while its inputs change at most once per ACK, so they are kept and recomputed only
  // when an input differs.
  struct PtoPeriods {
    bool valid = false;
    absl::Duration smoothed_rtt;
    absl::Duration rttvar;
    absl::Duration peer_max_ack_delay;
    uint32_t pto_count = 0;
    absl::Duration any_space;
    absl::Duration application;
  };
  const PtoPeriods& CurrentPtoPeriods() const;
  // §6.1.2 loss delay, kept with its inputs (they change at most once per RTT sample, it is
  // needed on every ACK).
  struct LossDelay {
    bool valid = false;
    absl::Duration latest_rtt;
    absl::Duration smoothed_rtt;
    double time_threshold = 0;
    absl::Duration granularity;
    absl::Duration delay;
  };
  absl::Duration CurrentLossDelay();
  // RFC 9002 §7.7 window-based pacing rate, kept with its inputs like the above.
  struct WindowRate {
    bool valid = false;
    size_t congestion_window = 0;
    absl::Duration smoothed_rtt;
    uint64_t bytes_per_second = 0;
  };
  void SetLossDetectionTimer(absl::Time now);
  std::vector<SentPacket> RemoveAllFromFlight(PacketNumberSpace space);
  void UpdatePacer(absl::Time now);
  void NotifyObserver();

  RecoveryConfig config_;
  std::unique_ptr<congestion::CongestionController> controller_;
  congestion::DeliveryRateSampler sampler_;
  congestion::Pacer pacer_;
  RttEstimator rtt_;
  std::array<SpaceState, tls::kNumPacketNumberSpaces> spaces_;

  std::optional<absl::Time> first_rtt_sample_time_;
  std::optional<absl::Time> timer_;
  mutable PtoPeriods pto_periods_;
  LossDelay loss_delay_;
  WindowRate window_rate_;
  uint32_t pto_count_ = 0;
  size_t pending_probes_ = 0;
  absl::Duration peer_max_ack_delay_ = absl::Milliseconds(25);  // RFC 9000 §18.2 default

  bool handshake_confirmed_ = false;
  bool peer_address_validated_ = false;
  bool has_handshake_keys_ = false;
  bool amplification_blocked_ = false;
  // An input of the timer changed without re-arming it (SetPeerMaxAckDelay takes no time).
  bool timer_inputs_changed_ = false;
  bool ecn_validation_failed_ = false;
  uint64_t spurious_losses_ = 0;

  RecoveryObserver* observer_ = nullptr;
  std::string last_state_name_;
  // Storage lent to each AckEvent's lists (kept between ACKs so that they do not allocate).
  std::vector<congestion::AckedPacket> acked_scratch_;
  std::vector<congestion::LostPacket> lost_scratch_;
  // What the last ACK (or loss timeout) acknowledged and declared lost, with the trigger of each
  // loss; AckOutcome views them.
  std::vector<SentPacket> acked_;
  std::vector<SentPacket> lost_;
  std::vector<LossTrigger> triggers_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_LOSS_DETECTION_H_
