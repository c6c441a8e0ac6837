#include "quic/sim/drop_tail_queue.h"

namespace kite::quic::sim {

bool DropTailQueue::Enqueue(const QueuedPacket& packet) {
  if (bytes_ + packet.size > capacity_bytes_) return false;
  queue_.push_back(packet);
  bytes_ += packet.size;
  return true;
}

std::optional<QueuedPacket> DropTailQueue::Dequeue(absl::Time /*now*/,
                                                   std::vector<QueuedPacket>* /*dropped*/) {
  if (queue_.empty()) return std::nullopt;
  QueuedPacket p = queue_.front();
  queue_.pop_front();
  bytes_ -= p.size;
  return p;
}

}  // namespace kite::quic::sim
