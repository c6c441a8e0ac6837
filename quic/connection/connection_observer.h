// One interface through which a connection reports everything a qlog writer, a test or a
// simulator wants to see: packets sent, received, dropped and lost, every frame, recovery
// metrics and state changes. Every method has an empty default, so an observer overrides only
// what it needs. Called synchronously from inside the connection; must not call back into it.
#ifndef KITE_QUIC_CONNECTION_CONNECTION_OBSERVER_H_
#define KITE_QUIC_CONNECTION_CONNECTION_OBSERVER_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "absl/time/time.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_type.h"

namespace kite::quic {

enum class PacketDropReason : uint8_t {
  kHeaderParseError,
  kNoKeys,             // keys for that level not (yet, or any more) available
  kDecryptionFailure,  // AEAD authentication failed
  kDuplicate,
  kUnexpectedPacket,   // e.g. a second Retry, a Retry after an Initial was processed
  kUnsupportedVersion,
  kConnectionClosed,
  kBuffered,           // held for keys to arrive (not a drop; reported for visibility)
};

struct PacketInfo {
  PacketType type = PacketType::kOneRtt;
  uint64_t packet_number = 0;
  size_t size = 0;  // bytes on the wire, header and tag included
  bool key_phase = false;
};

class ConnectionObserver {
 public:
  virtual ~ConnectionObserver() = default;

  virtual void OnPacketSent(absl::Time /*now*/, const PacketInfo& /*packet*/) {}
  virtual void OnPacketReceived(absl::Time /*now*/, const PacketInfo& /*packet*/) {}
  virtual void OnPacketDropped(absl::Time /*now*/, PacketType /*type*/, size_t /*size*/,
                               PacketDropReason /*reason*/) {}
  // A frame written into (sent = true) or read from a packet.
  virtual void OnFrame(absl::Time /*now*/, const PacketInfo& /*packet*/, const Frame& /*frame*/,
                       bool /*sent*/) {}
  virtual void OnPacketLost(absl::Time /*now*/, PacketType /*type*/, uint64_t /*pn*/,
                            size_t /*bytes*/) {}
  virtual void OnRecoveryMetrics(absl::Time /*now*/, uint64_t /*cwnd*/,
                                 uint64_t /*bytes_in_flight*/, absl::Duration /*smoothed_rtt*/,
                                 absl::Duration /*min_rtt*/, absl::Duration /*latest_rtt*/,
                                 absl::Duration /*rttvar*/, uint32_t /*pto_count*/) {}
  virtual void OnCongestionStateChanged(absl::Time /*now*/, std::string_view /*state*/) {}
  virtual void OnConnectionStateChanged(absl::Time /*now*/, std::string_view /*state*/) {}
  virtual void OnKeyUpdated(absl::Time /*now*/, std::string_view /*key_type*/,
                            uint64_t /*generation*/) {}
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_CONNECTION_OBSERVER_H_
