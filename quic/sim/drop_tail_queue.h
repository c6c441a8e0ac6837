// First-in first-out with a byte limit: an arrival that would push the occupancy past the limit
// is dropped. The buffer of most real bottlenecks, and the one loss-based controllers fill.
#ifndef KITE_QUIC_SIM_DROP_TAIL_QUEUE_H_
#define KITE_QUIC_SIM_DROP_TAIL_QUEUE_H_

#include <cstddef>
#include <deque>
#include <optional>
#include <vector>

#include "quic/sim/queue_discipline.h"

namespace kite::quic::sim {

class DropTailQueue : public QueueDiscipline {
 public:
  explicit DropTailQueue(size_t capacity_bytes) : capacity_bytes_(capacity_bytes) {}

  bool Enqueue(const QueuedPacket& packet) override;
  std::optional<QueuedPacket> Dequeue(absl::Time now, std::vector<QueuedPacket>* dropped) override;

  size_t queued_bytes() const override { return bytes_; }
  size_t queued_packets() const override { return queue_.size(); }
  size_t capacity_bytes() const { return capacity_bytes_; }

 private:
  const size_t capacity_bytes_;
  std::deque<QueuedPacket> queue_;
  size_t bytes_ = 0;
};

}  // namespace kite::quic::sim

#endif  // KITE_QUIC_SIM_DROP_TAIL_QUEUE_H_
