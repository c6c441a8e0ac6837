#include "quic/sim/codel_queue.h"

#include <cmath>

namespace kite::quic::sim {

absl::Time CoDelQueue::ControlLaw(absl::Time t, absl::Duration interval, uint32_t count) {
  return t + interval / std::sqrt(static_cast<double>(count == 0 ? 1 : count));
}

bool CoDelQueue::Enqueue(const QueuedPacket& packet) {
  if (bytes_ + packet.size > params_.capacity_bytes) return false;
  queue_.push_back(packet);
  bytes_ += packet.size;
  return true;
}

CoDelQueue::Head CoDelQueue::DoDequeue(absl::Time now) {
  Head r;
  if (queue_.empty()) {
    first_above_time_ = absl::InfinitePast();
    return r;
  }
  r.packet = queue_.front();
  queue_.pop_front();
  bytes_ -= r.packet->size;
  absl::Duration sojourn = now - r.packet->enqueued;
  if (sojourn < params_.target || bytes_ <= params_.mtu_bytes) {
    // Below target, or too little queued to matter (§5.3): the good-queue state.
    first_above_time_ = absl::InfinitePast();
  } else if (first_above_time_ == absl::InfinitePast()) {
    // Just went above target: allow one interval for the queue to drain by itself.
    first_above_time_ = now + params_.interval;
  } else if (now >= first_above_time_) {
    r.ok_to_drop = true;
  }
  return r;
}

std::optional<QueuedPacket> CoDelQueue::Dequeue(absl::Time now,
                                                std::vector<QueuedPacket>* dropped) {
  Head r = DoDequeue(now);
  if (!r.packet.has_value()) {
    dropping_ = false;
    return std::nullopt;
  }
  if (dropping_) {
    if (!r.ok_to_drop) {
      // Sojourn fell below target: leave the dropping state (§5.4).
      dropping_ = false;
    }
    // One drop per control-law step; several when dequeues are sparse (§5.4).
    while (dropping_ && now >= drop_next_) {
      dropped->push_back(*r.packet);
      ++count_;
      r = DoDequeue(now);
      if (!r.packet.has_value()) {
        dropping_ = false;
        return std::nullopt;
      }
      if (!r.ok_to_drop) {
        dropping_ = false;
      } else {
        drop_next_ = ControlLaw(drop_next_, params_.interval, count_);
      }
    }
  } else if (r.ok_to_drop) {
    // Enter the dropping state with a drop (§5.4).
    dropped->push_back(*r.packet);
    r = DoDequeue(now);
    dropping_ = true;
    // If we were dropping recently, resume near the old drop rate rather than at 1 (§5.4,
    // "count - lastcount"), since the standing queue likely persists.
    uint32_t delta = count_ - last_count_;
    count_ = 1;
    if (delta > 1 && now - drop_next_ < 16 * params_.interval) count_ = delta;
    drop_next_ = ControlLaw(now, params_.interval, count_);
    last_count_ = count_;
    if (!r.packet.has_value()) return std::nullopt;
  }
  return r.packet;
}

}  // namespace kite::quic::sim
