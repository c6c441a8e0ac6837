// The records of one packet number space's ack-eliciting packets awaiting ACK or loss, indexed by
// packet number. Packet numbers are sent in increasing order (RFC 9000 §12.3) and leave in
// roughly the same order, so the store is a ring over [oldest outstanding, newest]: insert,
// lookup and removal are O(1) and nothing is allocated once the ring has grown to the window's
// size (a std::map spent a node allocation and a rebalance per packet).
#ifndef KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_STORE_H_
#define KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_STORE_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "absl/functional/function_ref.h"
#include "quic/connection/sent_packet_record.h"

namespace kite::quic {

class SentPacketRecordStore {
 public:
  // Keeps `record` for `packet_number`, which must exceed every number inserted before (the
  // call is ignored otherwise: a packet number is never reused). Returns false if ignored.
  bool Insert(uint64_t packet_number, SentPacketRecord record);

  // Moves the record for `packet_number` into `*out` and forgets it; false if there is none.
  bool Take(uint64_t packet_number, SentPacketRecord* out);

  // Visits the records held, in increasing packet number order.
  void ForEach(absl::FunctionRef<void(uint64_t, const SentPacketRecord&)> visit) const;

  void Clear();
  size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

 private:
  struct Slot {
    bool present = false;
    SentPacketRecord record;
  };
  Slot& At(uint64_t packet_number) { return ring_[(head_ + (packet_number - base_)) & mask_]; }
  const Slot& At(uint64_t packet_number) const {
    return ring_[(head_ + (packet_number - base_)) & mask_];
  }
  void Grow(size_t needed_span);

  // ring_[head_] holds packet number base_; span_ slots from there are in use (some may be
  // empty: ACK-only packets keep no record, and records leave out of order).
  std::vector<Slot> ring_;  // size is zero or a power of two
  size_t mask_ = 0;
  size_t head_ = 0;
  size_t span_ = 0;
  uint64_t base_ = 0;
  size_t count_ = 0;
  bool any_inserted_ = false;
  uint64_t largest_inserted_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_STORE_H_
