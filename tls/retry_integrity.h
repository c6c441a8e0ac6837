// The Retry Integrity Tag (RFC 9001 §5.8, RFC 9369 §3.3.3): AES-128-GCM with a fixed
// per-version key and nonce, empty plaintext, over the Retry pseudo-packet.
#ifndef KITE_TLS_RETRY_INTEGRITY_H_
#define KITE_TLS_RETRY_INTEGRITY_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tls/quic_version.h"

namespace kite::tls {

inline constexpr size_t kRetryIntegrityTagLength = 16;
// RFC 9000 §17.2: the Original Destination Connection ID is at most 20 bytes.
inline constexpr size_t kMaxOriginalConnectionIdLength = 20;
// A Retry travels in one UDP datagram: 65535 - 8 (UDP header) bytes at most.
inline constexpr size_t kMaxRetryPacketLength = 65527;

using RetryIntegrityTag = std::array<uint8_t, kRetryIntegrityTagLength>;

// The fixed AEAD key and nonce for `version` (exposed for tests: RFC 9001 §5.8 derives them
// from a published secret with the version's "key"/"iv" labels).
absl::Span<const uint8_t> RetryIntegrityKey(QuicVersion version);
absl::Span<const uint8_t> RetryIntegrityNonce(QuicVersion version);

// The tag for `retry_without_tag` (the Retry packet up to and excluding its tag) answering an
// Initial whose Destination Connection ID was `original_dcid`.
absl::StatusOr<RetryIntegrityTag> ComputeRetryIntegrityTag(
    QuicVersion version, absl::Span<const uint8_t> original_dcid,
    absl::Span<const uint8_t> retry_without_tag);

// Checks the last 16 bytes of a received Retry packet. Returns false for a packet whose tag
// does not verify or which is too short to hold one (the client discards it, RFC 9000
// §17.2.5.2); an error only for an original DCID or packet beyond the named limits.
absl::StatusOr<bool> VerifyRetryIntegrityTag(QuicVersion version,
                                             absl::Span<const uint8_t> original_dcid,
                                             absl::Span<const uint8_t> retry_packet);

}  // namespace kite::tls

#endif  // KITE_TLS_RETRY_INTEGRITY_H_
