#include "quic/recovery/sent_packet_tracker.h"

#include <utility>

namespace kite::quic {

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

bool SentPacketTracker::Add(const SentPacket& packet) {
  if (largest_sent_.has_value() && packet.packet_number <= *largest_sent_) return false;
  largest_sent_ = packet.packet_number;
  packets_.emplace_hint(packets_.end(), packet.packet_number, packet);
  Account(packet, true);
  return true;
}

void SentPacketTracker::RemoveRange(uint64_t smallest, uint64_t largest,
                                    std::vector<SentPacket>* out) {
  auto it = packets_.lower_bound(smallest);
  while (it != packets_.end() && it->first <= largest) {
    Account(it->second, false);
    out->push_back(std::move(it->second));
    it = packets_.erase(it);
  }
}

std::optional<SentPacket> SentPacketTracker::Remove(uint64_t packet_number) {
  auto it = packets_.find(packet_number);
  if (it == packets_.end()) return std::nullopt;
  SentPacket p = std::move(it->second);
  packets_.erase(it);
  Account(p, false);
  return p;
}

const SentPacket* SentPacketTracker::Find(uint64_t packet_number) const {
  auto it = packets_.find(packet_number);
  return it == packets_.end() ? nullptr : &it->second;
}

std::vector<SentPacket> SentPacketTracker::TakeAll() {
  std::vector<SentPacket> all;
  all.reserve(packets_.size());
  for (auto& entry : packets_) all.push_back(std::move(entry.second));
  packets_.clear();
  bytes_in_flight_ = 0;
  ack_eliciting_in_flight_ = 0;
  return all;
}

SentPacketTracker::Map::iterator SentPacketTracker::Erase(Map::const_iterator it) {
  Account(it->second, false);
  return packets_.erase(it);
}

}  // namespace kite::quic
