// CoDel, "Controlled Delay" active queue management (RFC 8289).
//
// CoDel watches each datagram's sojourn time (dequeue time minus enqueue time). Once the
// sojourn has stayed above `target` for a whole `interval` (RFC 8289 §4.2, §4.3), it enters the
// dropping state: it drops at the head and schedules the next drop at
// interval / sqrt(count) later (the control law, §4.3 and §5.5), so the drop rate rises until the
// standing queue goes away, and leaves the dropping state as soon as the sojourn falls below
// target (or the queue holds at most one MTU). A byte limit still tail-drops on overflow (§4.1:
// CoDel runs over a finite buffer).
#ifndef KITE_QUIC_SIM_CODEL_QUEUE_H_
#define KITE_QUIC_SIM_CODEL_QUEUE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "absl/time/time.h"
#include "quic/sim/queue_discipline.h"

namespace kite::quic::sim {

struct CoDelParams {
  absl::Duration target = absl::Milliseconds(5);     // RFC 8289 §4.4
  absl::Duration interval = absl::Milliseconds(100); // RFC 8289 §4.5
  // "maxpacket" of RFC 8289 §5.2: no drop while the queue holds at most this many bytes.
  size_t mtu_bytes = 1500;
  size_t capacity_bytes = size_t{1} << 24;
};

class CoDelQueue : public QueueDiscipline {
 public:
  explicit CoDelQueue(const CoDelParams& params) : params_(params) {}

  bool Enqueue(const QueuedPacket& packet) override;
  std::optional<QueuedPacket> Dequeue(absl::Time now, std::vector<QueuedPacket>* dropped) override;

  size_t queued_bytes() const override { return bytes_; }
  size_t queued_packets() const override { return queue_.size(); }
  bool dropping() const { return dropping_; }
  uint32_t count() const { return count_; }

  // RFC 8289 §5.5: the next drop time, `interval / sqrt(count)` after `t`.
  static absl::Time ControlLaw(absl::Time t, absl::Duration interval, uint32_t count);

 private:
  struct Head {
    std::optional<QueuedPacket> packet;
    bool ok_to_drop = false;
  };
  // RFC 8289 §5.3 dodequeue: pops the head and says whether the sojourn has been above target
  // for at least an interval.
  Head DoDequeue(absl::Time now);

  const CoDelParams params_;
  std::deque<QueuedPacket> queue_;
  size_t bytes_ = 0;
  // RFC 8289 §5.2 state.
  absl::Time first_above_time_ = absl::InfinitePast();  // InfinitePast stands for "0"
  absl::Time drop_next_ = absl::InfinitePast();
  uint32_t count_ = 0;
  uint32_t last_count_ = 0;
  bool dropping_ = false;
};

}  // namespace kite::quic::sim

#endif  // KITE_QUIC_SIM_CODEL_QUEUE_H_
