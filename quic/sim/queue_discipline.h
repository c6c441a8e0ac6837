// The queue discipline of a simulated bottleneck: what happens to a datagram between arriving at
// a full-rate link and being put on the wire. Disciplines only see handles, sizes and times; the
// simulator keeps the bytes. Enqueue may refuse (tail drop); Dequeue may drop from the head
// (active queue management) before returning the datagram to transmit.
#ifndef KITE_QUIC_SIM_QUEUE_DISCIPLINE_H_
#define KITE_QUIC_SIM_QUEUE_DISCIPLINE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/time/time.h"

namespace kite::quic::sim {

struct QueuedPacket {
  uint64_t handle = 0;  // the simulator's name for the datagram
  size_t size = 0;      // bytes
  absl::Time enqueued;  // arrival time at the queue
};

class QueueDiscipline {
 public:
  virtual ~QueueDiscipline() = default;

  // Offers a datagram arriving at `packet.enqueued`. False: tail-dropped (the caller frees it).
  virtual bool Enqueue(const QueuedPacket& packet) = 0;
  // The next datagram to transmit at `now`, or nullopt when the queue is empty. Datagrams the
  // discipline drops on the way are appended to `dropped` (the caller frees them).
  virtual std::optional<QueuedPacket> Dequeue(absl::Time now,
                                              std::vector<QueuedPacket>* dropped) = 0;

  virtual size_t queued_bytes() const = 0;
  virtual size_t queued_packets() const = 0;
};

}  // namespace kite::quic::sim

#endif  // KITE_QUIC_SIM_QUEUE_DISCIPLINE_H_
