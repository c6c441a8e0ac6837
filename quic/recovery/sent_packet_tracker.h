// The sent packets of one packet number space awaiting acknowledgment or loss, ordered by packet
// number (RFC 9002 Appendix A.1).
#ifndef KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_
#define KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/container/btree_map.h"
#include "quic/recovery/sent_packet.h"

namespace kite::quic {

class SentPacketTracker {
 public:
  using Map = absl::btree_map<uint64_t, SentPacket>;

  // Packet numbers must increase (RFC 9000 §12.3); returns false (and records nothing) if
  // `packet.packet_number` is not above every number sent before.
  bool Add(const SentPacket& packet);

  // Removes every tracked packet within `range` and appends it to `out` in ascending order.
  void RemoveRange(uint64_t smallest, uint64_t largest, std::vector<SentPacket>* out);

  std::optional<SentPacket> Remove(uint64_t packet_number);
  const SentPacket* Find(uint64_t packet_number) const;

  // Removes everything, in ascending order.
  std::vector<SentPacket> TakeAll();

  // Largest packet number ever added (nullopt before the first).
  std::optional<uint64_t> largest_sent() const { return largest_sent_; }
  bool empty() const { return packets_.empty(); }
  size_t size() const { return packets_.size(); }
  size_t ack_eliciting_in_flight() const { return ack_eliciting_in_flight_; }
  size_t bytes_in_flight() const { return bytes_in_flight_; }

  Map::const_iterator begin() const { return packets_.begin(); }
  Map::const_iterator end() const { return packets_.end(); }
  // Removes the packet at `it`; returns the next iterator.
  Map::iterator Erase(Map::const_iterator it);

 private:
  void Account(const SentPacket& p, bool add);

  Map packets_;
  std::optional<uint64_t> largest_sent_;
  size_t ack_eliciting_in_flight_ = 0;
  size_t bytes_in_flight_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_RECOVERY_SENT_PACKET_TRACKER_H_
