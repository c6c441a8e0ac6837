// Stateless resets (RFC 9000 §10.3): tokens derived from one static key, so any worker (or a
// restarted server) can reset a connection it has no state for, and the reset packets
// themselves, sized so that two endpoints cannot bounce resets at each other forever.
#ifndef KITE_QUIC_IO_STATELESS_RESET_H_
#define KITE_QUIC_IO_STATELESS_RESET_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/connection/connection_id_manager.h"

namespace kite::quic::io {

// RFC 9000 §10.3: 1 byte of fixed and unpredictable bits, at least 4 more unpredictable bytes
// (38 bits in all), then the 16-byte token.
inline constexpr size_t kMinStatelessResetSize = 21;
// RFC 9000 §10.3: a reset answering a packet of this size or less is one byte shorter than it.
inline constexpr size_t kStatelessResetShortTriggerSize = 43;
// Our resets never exceed this, whatever triggered them: the size of a small 1-RTT packet.
inline constexpr size_t kMaxStatelessResetSize = 256;
// The static key: 32 bytes (HMAC-SHA256's block of strength).
inline constexpr size_t kStatelessResetKeySize = 32;

class StatelessResetter {
 public:
  // `static_key` must be kStatelessResetKeySize secret random bytes, shared by every worker
  // (and kept across restarts for resets to work after one).
  static absl::StatusOr<StatelessResetter> Create(absl::Span<const uint8_t> static_key);

  // RFC 9000 §10.3.2: HMAC(static_key, connection_id) truncated to 16 bytes. The same ID always
  // gets the same token; give it to the connection for NEW_CONNECTION_ID and the
  // stateless_reset_token transport parameter.
  StatelessResetToken TokenFor(absl::Span<const uint8_t> connection_id) const;

  // The size of the reset answering a `trigger_size`-byte datagram, 0 when none may be sent.
  // RFC 9000 §10.3.3: a reset is always smaller than the packet that triggered it, so two
  // endpoints that each take the other's resets for unknown packets shrink them every round
  // until they fall below kMinStatelessResetSize and stop. It is also never three times larger
  // (§10.3), trivially. `random` chooses among sizes so resets do not all look alike.
  static size_t ResetSize(size_t trigger_size, const RandomBytes& random);

  // Writes a reset for `connection_id` (the DCID of the unknown short-header packet) answering a
  // `trigger_size`-byte datagram into `out`. Returns its size, or 0 (nothing written) when no
  // reset may be sent or `out` is too small.
  size_t WriteReset(absl::Span<const uint8_t> connection_id, size_t trigger_size,
                    absl::Span<uint8_t> out, const RandomBytes& random) const;

 private:
  explicit StatelessResetter(absl::Span<const uint8_t> key);
  std::array<uint8_t, kStatelessResetKeySize> key_{};
};

// RFC 9000 §10.3.1: whether `datagram` ends in `token`, compared in constant time. Datagrams
// shorter than kMinStatelessResetSize are never resets.
bool EndsWithStatelessResetToken(absl::Span<const uint8_t> datagram,
                                 const StatelessResetToken& token);

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_STATELESS_RESET_H_
