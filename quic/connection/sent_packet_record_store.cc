#include "quic/connection/sent_packet_record_store.h"

#include <utility>

namespace kite::quic {
namespace {
constexpr size_t kInitialRingSize = 8;
}  // namespace

bool SentPacketRecordStore::Insert(uint64_t packet_number, SentPacketRecord record) {
  if (any_inserted_ && packet_number <= largest_inserted_) return false;
  any_inserted_ = true;
  largest_inserted_ = packet_number;
  if (span_ == 0) {
    // Empty: restart the window at this packet number.
    if (ring_.empty()) Grow(1);
    base_ = packet_number;
    head_ = 0;
  }
  const uint64_t offset = packet_number - base_;
  if (offset >= ring_.size()) Grow(static_cast<size_t>(offset) + 1);
  span_ = static_cast<size_t>(offset) + 1;
  Slot& slot = At(packet_number);
  slot.present = true;
  slot.record = std::move(record);
  ++count_;
  return true;
}

bool SentPacketRecordStore::Take(uint64_t packet_number, SentPacketRecord* out) {
  if (span_ == 0 || packet_number < base_ || packet_number - base_ >= span_) return false;
  Slot& slot = At(packet_number);
  if (!slot.present) return false;
  *out = std::move(slot.record);
  slot.present = false;
  --count_;
  // Drop the empty slots at the front so the window starts at the oldest outstanding record.
  while (span_ > 0 && !ring_[head_].present) {
    head_ = (head_ + 1) & mask_;
    ++base_;
    --span_;
  }
  return true;
}

void SentPacketRecordStore::ForEach(
    absl::FunctionRef<void(uint64_t, const SentPacketRecord&)> visit) const {
  for (size_t i = 0; i < span_; ++i) {
    const Slot& slot = ring_[(head_ + i) & mask_];
    if (slot.present) visit(base_ + i, slot.record);
  }
}

void SentPacketRecordStore::Clear() {
  for (size_t i = 0; i < span_; ++i) {
    Slot& slot = ring_[(head_ + i) & mask_];
    if (slot.present) {
      slot.present = false;
      slot.record = SentPacketRecord{};
    }
  }
  head_ = 0;
  span_ = 0;
  count_ = 0;
}

void SentPacketRecordStore::Grow(size_t needed_span) {
  size_t size = ring_.empty() ? kInitialRingSize : ring_.size();
  while (size < needed_span) size *= 2;
  if (size == ring_.size()) return;
  std::vector<Slot> grown(size);
  for (size_t i = 0; i < span_; ++i) grown[i] = std::move(ring_[(head_ + i) & mask_]);
  ring_ = std::move(grown);
  mask_ = size - 1;
  head_ = 0;
}

}  // namespace kite::quic
