#include "quic/recovery/ack_tracker.h"

#include <algorithm>

namespace kite::quic {

AckTracker::AckTracker(PacketNumberSpace space, AckPolicy policy)
    : space_(space), policy_(policy) {
  policy_.max_ack_ranges = std::clamp<size_t>(policy_.max_ack_ranges, 1, kMaxTrackedAckRanges);
  policy_.ack_eliciting_threshold = std::max<size_t>(policy_.ack_eliciting_threshold, 1);
  policy_.max_ack_delay = std::max(policy_.max_ack_delay, absl::ZeroDuration());
}

bool AckTracker::IsDuplicate(uint64_t pn) const {
  if (pn < duplicate_floor_) return true;
  // Fast path: packets mostly arrive in order, above everything received.
  if (received_.empty() || pn > received_.back().largest) return false;
  // First range whose smallest is above pn; the one before it is the only candidate.
  auto it = std::upper_bound(received_.begin(), received_.end(), pn,
                             [](uint64_t v, const PacketRange& r) { return v < r.smallest; });
  if (it == received_.begin()) return false;
  return std::prev(it)->largest >= pn;
}

void AckTracker::InsertPacketNumber(uint64_t pn) {
  // Fast path: the next packet in order extends the newest range.
  if (!received_.empty() && received_.back().largest + 1 == pn) {
    received_.back().largest = pn;
    return;
  }
  auto it = std::upper_bound(received_.begin(), received_.end(), pn,
                             [](uint64_t v, const PacketRange& r) { return v < r.smallest; });
  bool joins_next = it != received_.end() && it->smallest == pn + 1;
  if (it != received_.begin()) {
    auto prev = std::prev(it);
    if (prev->largest + 1 == pn) {
      if (joins_next) {
        prev->largest = it->largest;
        received_.erase(it);
      } else {
        prev->largest = pn;
      }
      return;
    }
  }
  if (joins_next) {
    it->smallest = pn;
    return;
  }
  received_.insert(it, PacketRange{pn, pn});
  // Bound the state a peer can make us keep by leaving gaps: forget the oldest range and treat
  // anything at or below it as a duplicate from now on.
  while (received_.size() > policy_.max_ack_ranges) {
    duplicate_floor_ = std::max(duplicate_floor_, received_.front().largest + 1);
    received_.pop_front();
  }
}

void AckTracker::OnPacketReceived(uint64_t pn, absl::Time now, bool ack_eliciting,
                                  EcnCodepoint ecn) {
  if (IsDuplicate(pn)) return;
  // RFC 9000 §13.2.1: a packet below one already received, or above the largest with missing
  // packets in between, is acknowledged at once to help the peer's loss detection.
  bool out_of_order = largest_received_.has_value() &&
                      (pn < *largest_received_ || pn > *largest_received_ + 1);
  InsertPacketNumber(pn);
  if (!largest_received_.has_value() || pn > *largest_received_) {
    largest_received_ = pn;
    largest_received_time_ = now;
  }
  switch (ecn) {
    case EcnCodepoint::kNotEct: break;
    case EcnCodepoint::kEct0: ++ecn_counts_.ect0; ecn_seen_ = true; break;
    case EcnCodepoint::kEct1: ++ecn_counts_.ect1; ecn_seen_ = true; break;
    case EcnCodepoint::kCe: ++ecn_counts_.ce; ecn_seen_ = true; break;
  }
  new_packets_ = true;
  if (!ack_eliciting) return;
  ++unacked_ack_eliciting_;
  if (!first_unacked_ack_eliciting_time_.has_value()) first_unacked_ack_eliciting_time_ = now;
  bool immediate = space_ != PacketNumberSpace::kApplication || out_of_order ||
                   ecn == EcnCodepoint::kCe ||
                   unacked_ack_eliciting_ >= policy_.ack_eliciting_threshold;
  if (immediate && !immediate_since_.has_value()) immediate_since_ = now;
}

std::optional<absl::Time> AckTracker::AckDeadline() const {
  if (immediate_since_.has_value()) return immediate_since_;
  if (first_unacked_ack_eliciting_time_.has_value()) {
    return *first_unacked_ack_eliciting_time_ + policy_.max_ack_delay;
  }
  return std::nullopt;
}

bool AckTracker::HasNewAckToSend() const {
  return new_packets_ && !received_.empty() && received_.back().largest >= report_floor_;
}

AckRanges AckTracker::BuildAck(absl::Time now) const {
  // No reserve: the common ACK fits the inline storage of AckRanges.
  AckRanges ack;
  for (auto it = received_.rbegin(); it != received_.rend(); ++it) {
    if (ack.ranges.size() >= policy_.max_ack_ranges) break;
    if (it->largest < report_floor_) break;  // ascending order: all older ranges are below too
    ack.ranges.push_back(PacketRange{std::max(it->smallest, report_floor_), it->largest});
  }
  if (ack.ranges.empty()) return ack;
  // RFC 9000 §13.2.5: the delay applies to the largest acknowledged, which is always reported.
  ack.ack_delay = std::max(absl::ZeroDuration(), now - largest_received_time_);
  if (ecn_seen_) ack.ecn = ecn_counts_;
  return ack;
}

void AckTracker::OnAckSent(uint64_t packet_number, const AckRanges& ack) {
  new_packets_ = false;
  unacked_ack_eliciting_ = 0;
  first_unacked_ack_eliciting_time_.reset();
  immediate_since_.reset();
  if (ack.empty()) return;
  if (sent_acks_.size() >= kMaxTrackedAckFrames) {
    sent_acks_.back() = SentAck{packet_number, ack.largest()};
  } else {
    sent_acks_.push_back(SentAck{packet_number, ack.largest()});
  }
}

void AckTracker::OnPacketAcked(uint64_t packet_number) {
  // Remembered ACKs are in ascending packet number order.
  if (sent_acks_.empty() || packet_number < sent_acks_.front().packet_number ||
      packet_number > sent_acks_.back().packet_number) {
    return;
  }
  auto it = std::find_if(sent_acks_.begin(), sent_acks_.end(),
                         [&](const SentAck& s) { return s.packet_number == packet_number; });
  if (it == sent_acks_.end()) return;
  report_floor_ = std::max(report_floor_, it->largest_acked + 1);
  // ACKs sent before this one reported nothing beyond it; forget them too.
  sent_acks_.erase(sent_acks_.begin(), std::next(it));
}

void AckTracker::OnPacketLost(uint64_t packet_number) {
  auto it = std::find_if(sent_acks_.begin(), sent_acks_.end(),
                         [&](const SentAck& s) { return s.packet_number == packet_number; });
  if (it != sent_acks_.end()) sent_acks_.erase(it);
}

}  // namespace kite::quic
