// What an ack-eliciting packet carried that must be resent if it is lost (RFC 9000 §13.3): not
// the packet's bytes, but descriptors from which fresh frames are built with current values.
#ifndef KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_H_
#define KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_H_

#include <cstdint>
#include <optional>

#include "absl/container/inlined_vector.h"
#include "tls/encryption_level.h"

namespace kite::quic {

struct SentStreamRange {
  uint64_t stream_id = 0;
  uint64_t offset = 0;
  uint64_t length = 0;
  bool fin = false;
};

struct SentCryptoRange {
  uint64_t offset = 0;
  uint64_t length = 0;
};

enum class SentStreamControl : uint8_t {
  kMaxStreamData,
  kStreamDataBlocked,
  kResetStream,
  kStopSending,
};

struct SentStreamControlFrame {
  uint64_t stream_id = 0;
  SentStreamControl kind = SentStreamControl::kMaxStreamData;
};

struct SentPacketRecord {
  tls::EncryptionLevel level = tls::EncryptionLevel::kInitial;
  absl::InlinedVector<SentStreamRange, 2> streams;
  absl::InlinedVector<SentCryptoRange, 1> crypto;
  absl::InlinedVector<SentStreamControlFrame, 1> stream_controls;
  absl::InlinedVector<uint64_t, 1> new_connection_ids;     // sequence numbers
  absl::InlinedVector<uint64_t, 1> retire_connection_ids;  // sequence numbers
  bool handshake_done = false;
  bool new_token = false;
  bool max_data = false;
  bool data_blocked = false;
  bool max_streams_bidi = false;
  bool max_streams_uni = false;
  bool ack_eliciting = false;
  // The largest packet number acknowledged by an ACK frame in this packet (ACK-of-ACK).
  std::optional<uint64_t> largest_acked;
  bool key_phase = false;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_SENT_PACKET_RECORD_H_
