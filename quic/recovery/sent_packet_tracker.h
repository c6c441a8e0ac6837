// The sent packets of one packet number space awaiting acknowledgment or loss, ordered by packet
// number (RFC 9002 Appendix A.1).
//
// Packet numbers only grow (RFC 9000 §12.3), so the packets live in a ring buffer in sending
// order: adding is an append, and since acknowledgments and losses mostly take the oldest
// packets, removal is mostly a pop from the front. A packet removed from the middle leaves a
// tombstone until everything before it is gone; tombstones carry a skip distance (compressed as
// it is followed) so that walking over a long run of them, as every ACK repeating an old range
// does, costs O(1) amortized. Skipped packet numbers take no slot: a slot is found by offset
// when the numbers are contiguous and by binary search otherwise.
#ifndef KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_
#define KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "quic/recovery/sent_packet.h"

namespace kite::quic {

class SentPacketTracker {
 public:
  // Packet numbers must increase (RFC 9000 §12.3); returns false (and records nothing) if
  // `packet.packet_number` is not above every number sent before.
  bool Add(const SentPacket& packet);

  // Removes every tracked packet within `range` and appends it to `out` in ascending order.
  void RemoveRange(uint64_t smallest, uint64_t largest, std::vector<SentPacket>* out);

  std::optional<SentPacket> Remove(uint64_t packet_number);
  const SentPacket* Find(uint64_t packet_number) const;

  // Removes everything, in ascending order.
  std::vector<SentPacket> TakeAll();

  // Visits the tracked packets numbered at most `largest` in ascending order. Each one for
  // which `remove(packet)` returns true is removed and appended to `removed`.
  template <typename Predicate>
  void RemoveIfUpTo(uint64_t largest, Predicate&& remove, std::vector<SentPacket>* removed);

  // Largest packet number ever added (nullopt before the first).
  std::optional<uint64_t> largest_sent() const { return largest_sent_; }
  bool empty() const { return count_ == 0; }
  size_t size() const { return count_; }
  size_t ack_eliciting_in_flight() const { return ack_eliciting_in_flight_; }
  size_t bytes_in_flight() const { return bytes_in_flight_; }

 private:
  struct Slot {
    SentPacket packet;
    bool present = false;
    // Tombstones only: slots [i, i + skip) are all tombstones.
    uint32_t skip = 0;
  };

  void Account(const SentPacket& p, bool add);
  Slot& At(size_t logical) { return ring_[(head_ + logical) & (ring_.size() - 1)]; }
  const Slot& At(size_t logical) const { return ring_[(head_ + logical) & (ring_.size() - 1)]; }
  // Logical index of the first slot whose packet number is >= `pn` (`slots_` if none).
  size_t LowerBound(uint64_t pn) const;
  // Logical index of the first present slot at or after `logical` (`slots_` if none).
  size_t NextPresent(size_t logical);
  // Takes the present slot at `logical` out of the accounting, turns it into a tombstone and
  // drops leading tombstones; returns how many slots were dropped from the front.
  size_t Tombstone(size_t logical);
  void Grow();

  // Power-of-two sized; slots [0, slots_) from head_ are in use, the first one present.
  std::vector<Slot> ring_;
  size_t head_ = 0;
  size_t slots_ = 0;
  size_t count_ = 0;
  std::optional<uint64_t> largest_sent_;
  size_t ack_eliciting_in_flight_ = 0;
  size_t bytes_in_flight_ = 0;
};

template <typename Predicate>
void SentPacketTracker::RemoveIfUpTo(uint64_t largest, Predicate&& remove,
                                     std::vector<SentPacket>* removed) {
  size_t i = NextPresent(0);
  while (i < slots_) {
    const SentPacket& p = At(i).packet;
    if (p.packet_number > largest) return;
    size_t next = i + 1;
    if (remove(p)) {
      removed->push_back(p);
      size_t dropped = Tombstone(i);
      next = next >= dropped ? next - dropped : 0;
    }
    i = NextPresent(next);
  }
}

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_
