#include "quic/recovery/sent_packet_tracker.h"

#include <algorithm>
#include <utility>

namespace kite::quic {
namespace {

constexpr size_t kInitialSlots = 64;

}  // namespace

void SentPacketTracker::Account(const SentPacket& p, bool add) {
  if (!p.in_flight) return;
  if (add) {
    bytes_in_flight_ += p.bytes;
    if (p.ack_eliciting) ++ack_eliciting_in_flight_;
  } else {
    bytes_in_flight_ -= p.bytes;
    if (p.ack_eliciting) --ack_eliciting_in_flight_;
  }
}

void SentPacketTracker::Grow() {
  std::vector<Slot> bigger(ring_.empty() ? kInitialSlots : 2 * ring_.size());
  for (size_t i = 0; i < slots_; ++i) bigger[i] = At(i);
  ring_.swap(bigger);
  head_ = 0;
}

bool SentPacketTracker::Add(const SentPacket& packet) {
  if (largest_sent_.has_value() && packet.packet_number <= *largest_sent_) return false;
  largest_sent_ = packet.packet_number;
  if (slots_ == ring_.size()) Grow();
  Slot& slot = At(slots_);
  slot.packet = packet;
  slot.present = true;
  slot.skip = 0;
  ++slots_;
  ++count_;
  Account(packet, true);
  return true;
}

size_t SentPacketTracker::LowerBound(uint64_t pn) const {
  if (slots_ == 0) return 0;
  const uint64_t front = At(0).packet.packet_number;
  if (pn <= front) return 0;
  if (pn > *largest_sent_) return slots_;
  // The slot at offset k holds a packet number of at least front + k, so the answer is at most
  // pn - front, and exactly that when no packet number in between was skipped.
  const uint64_t offset = pn - front;
  if (offset < slots_ && At(offset).packet.packet_number == pn) return offset;
  size_t lo = 1;
  size_t hi = static_cast<size_t>(std::min<uint64_t>(offset, slots_));
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (At(mid).packet.packet_number < pn) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t SentPacketTracker::NextPresent(size_t logical) {
  size_t end = logical;
  while (end < slots_ && !At(end).present) end += At(end).skip;
  // Path compression: every tombstone passed now skips straight to `end`.
  for (size_t k = logical; k < end;) {
    Slot& s = At(k);
    size_t next = k + s.skip;
    s.skip = static_cast<uint32_t>(end - k);
    k = next;
  }
  return end;
}

size_t SentPacketTracker::Tombstone(size_t logical) {
  Slot& slot = At(logical);
  Account(slot.packet, false);
  slot.present = false;
  slot.skip = 1;
  --count_;
  size_t dropped = 0;
  while (slots_ > 0 && !At(0).present) {
    size_t run = At(0).skip;
    head_ = (head_ + run) & (ring_.size() - 1);
    slots_ -= run;
    dropped += run;
  }
  if (slots_ == 0) head_ = 0;
  return dropped;
}

void SentPacketTracker::RemoveRange(uint64_t smallest, uint64_t largest,
                                    std::vector<SentPacket>* out) {
  if (count_ == 0 || smallest > largest) return;
  size_t i = NextPresent(LowerBound(smallest));
  while (i < slots_) {
    const Slot& slot = At(i);
    if (slot.packet.packet_number > largest) return;
    out->push_back(slot.packet);
    size_t dropped = Tombstone(i);
    i = NextPresent(i + 1 >= dropped ? i + 1 - dropped : 0);
  }
}

std::optional<SentPacket> SentPacketTracker::Remove(uint64_t packet_number) {
  size_t i = LowerBound(packet_number);
  if (i >= slots_) return std::nullopt;
  const Slot& slot = At(i);
  if (!slot.present || slot.packet.packet_number != packet_number) return std::nullopt;
  SentPacket p = slot.packet;
  Tombstone(i);
  return p;
}

const SentPacket* SentPacketTracker::Find(uint64_t packet_number) const {
  size_t i = LowerBound(packet_number);
  if (i >= slots_) return nullptr;
  const Slot& slot = At(i);
  if (!slot.present || slot.packet.packet_number != packet_number) return nullptr;
  return &slot.packet;
}

std::vector<SentPacket> SentPacketTracker::TakeAll() {
  std::vector<SentPacket> all;
  all.reserve(count_);
  for (size_t i = NextPresent(0); i < slots_; i = NextPresent(i + 1)) {
    all.push_back(At(i).packet);
  }
  head_ = 0;
  slots_ = 0;
  count_ = 0;
  bytes_in_flight_ = 0;
  ack_eliciting_in_flight_ = 0;
  return all;
}

}  // namespace kite::quic
