// Initial packet protection secrets (RFC 9001 §5.2, RFC 9369 §3.3.1): derived from the
// Destination Connection ID of the client's first Initial packet and a per-version salt.
#ifndef KITE_TLS_INITIAL_SECRETS_H_
#define KITE_TLS_INITIAL_SECRETS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tls/packet_protector.h"
#include "tls/quic_version.h"

namespace kite::tls {

// RFC 9000 §17.2: connection IDs are at most 20 bytes in QUIC v1 and v2.
inline constexpr size_t kMaxInitialConnectionIdLength = 20;
// Initial packets always use TLS_AES_128_GCM_SHA256, so the secrets are SHA-256 sized.
inline constexpr size_t kInitialSecretLength = 32;

// The 20-byte initial_salt for `version`.
absl::Span<const uint8_t> InitialSalt(QuicVersion version);

struct InitialSecrets {
  std::vector<uint8_t> initial_secret;  // HKDF-Extract(initial_salt, client_dcid)
  std::vector<uint8_t> client;          // "client in"
  std::vector<uint8_t> server;          // "server in"
};

absl::StatusOr<InitialSecrets> DeriveInitialSecrets(QuicVersion version,
                                                    absl::Span<const uint8_t> client_dcid);

// Initial protectors for both directions, AES-128-GCM (RFC 9001 §5.2). A client seals with
// `client` and opens with `server`; a server the reverse.
struct InitialProtectors {
  std::unique_ptr<PacketProtector> client;
  std::unique_ptr<PacketProtector> server;
};

absl::StatusOr<InitialProtectors> CreateInitialProtectors(QuicVersion version,
                                                          absl::Span<const uint8_t> client_dcid);

}  // namespace kite::tls

#endif  // KITE_TLS_INITIAL_SECRETS_H_
