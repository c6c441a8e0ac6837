// Address validation tokens (RFC 9000 §8.1): the tokens a server puts in Retry packets
// (§8.1.2) and NEW_TOKEN frames (§8.1.3), and their validation when a client's Initial carries
// one back (§8.1.4).
//
// A token is sealed with AES-128-GCM under a server key, so only servers holding the key can
// read or forge it (§8.1.4: "a token MUST be difficult to guess"; the contents are private,
// §8.1.3 linkability). Layout:
//
//   key id (1) | kind (1) | nonce (12) | AEAD(issue time (8) | ODCID length (1) | ODCID) | tag (16)
//
// The client address is not stored but bound as associated data: IP and port for Retry tokens
// (used within one round trip, §8.1.2), the IP only for NEW_TOKEN tokens since a client's port
// changes between connections (§8.1.3). A token shown from another address, with a flipped bit
// or under an unknown key fails to open. Tokens expire (§8.1.3: a short lifetime for Retry,
// longer for NEW_TOKEN), checked against a time the caller passes in.
//
// Keys rotate: tokens under the current or the previous key are accepted, new ones use the
// current key. What the caller does with a rejected token differs by kind (§8.1.3, §8.1.4): a
// bad Retry token closes the connection with INVALID_TOKEN, a bad NEW_TOKEN token is treated as
// no token at all.
#ifndef KITE_QUIC_IO_ADDRESS_TOKEN_H_
#define KITE_QUIC_IO_ADDRESS_TOKEN_H_

#include <openssl/aead.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/connection/connection_id_manager.h"
#include "quic/connection/socket_address.h"

namespace kite::quic::io {

enum class AddressTokenKind : uint8_t {
  kRetry = 1,     // from a Retry packet; carries the original DCID
  kNewToken = 2,  // from a NEW_TOKEN frame
};

inline constexpr size_t kAddressTokenKeySize = 16;  // AES-128
inline constexpr size_t kAddressTokenNonceSize = 12;
inline constexpr size_t kAddressTokenTagSize = 16;
inline constexpr size_t kAddressTokenHeaderSize = 2 + kAddressTokenNonceSize;
// The largest token: header, issue time, ODCID length and a 20-byte ODCID, tag.
inline constexpr size_t kMaxAddressTokenSize =
    kAddressTokenHeaderSize + 8 + 1 + kMaxConnectionIdLength + kAddressTokenTagSize;

struct AddressTokenConfig {
  // RFC 9000 §8.1.2: a Retry token is used in the client's next Initial, one round trip later.
  absl::Duration retry_lifetime = absl::Seconds(10);
  // RFC 9000 §8.1.3: NEW_TOKEN tokens serve future connections; a day by default.
  absl::Duration new_token_lifetime = absl::Hours(24);
  // Tokens stamped up to this far in the future (another server's clock) are accepted.
  absl::Duration max_clock_skew = absl::Seconds(5);
};

struct AddressTokenKey {
  uint8_t id = 0;
  std::array<uint8_t, kAddressTokenKeySize> key{};
};

// What a valid token said.
struct ValidatedAddressToken {
  AddressTokenKind kind = AddressTokenKind::kNewToken;
  absl::Time issued;
  // Retry tokens: the Destination Connection ID of the client's first Initial, which the server
  // echoes in original_destination_connection_id (RFC 9000 §7.3).
  ConnectionId original_dcid;
};

class AddressTokenCodec {
 public:
  static absl::StatusOr<AddressTokenCodec> Create(const AddressTokenKey& key,
                                                  const AddressTokenConfig& config = {});
  AddressTokenCodec(AddressTokenCodec&&) noexcept = default;
  AddressTokenCodec& operator=(AddressTokenCodec&&) noexcept = default;

  // Makes `key` current and the current key previous; the old previous key is forgotten, so
  // tokens under it stop validating. InvalidArgument if `key.id` equals the current key's.
  absl::Status Rotate(const AddressTokenKey& key);
  uint8_t current_key_id() const { return current_.id; }

  // Write a token into `out` (at least kMaxAddressTokenSize bytes is always enough) and return
  // its length. `random` supplies the nonce. InvalidArgument if `out` is too small.
  absl::StatusOr<size_t> IssueRetryToken(const SocketAddress& client,
                                         const ConnectionId& original_dcid, absl::Time now,
                                         const RandomBytes& random, absl::Span<uint8_t> out) const;
  absl::StatusOr<size_t> IssueNewToken(const SocketAddress& client, absl::Time now,
                                       const RandomBytes& random, absl::Span<uint8_t> out) const;

  // InvalidArgument: not a token of ours (wrong size, unknown kind). Unauthenticated: unknown
  // key, tampered, or shown from another address. DeadlineExceeded: expired, or stamped too far
  // in the future.
  absl::StatusOr<ValidatedAddressToken> Validate(absl::Span<const uint8_t> token,
                                                 const SocketAddress& client,
                                                 absl::Time now) const;

 private:
  struct KeyState {
    uint8_t id = 0;
    std::unique_ptr<EVP_AEAD_CTX, void (*)(EVP_AEAD_CTX*)> ctx{nullptr, EVP_AEAD_CTX_free};
  };

  explicit AddressTokenCodec(const AddressTokenConfig& config) : config_(config) {}
  static absl::StatusOr<KeyState> MakeKey(const AddressTokenKey& key);
  absl::StatusOr<size_t> Issue(AddressTokenKind kind, const SocketAddress& client,
                               const ConnectionId* original_dcid, absl::Time now,
                               const RandomBytes& random, absl::Span<uint8_t> out) const;

  AddressTokenConfig config_;
  KeyState current_;
  std::optional<KeyState> previous_;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_ADDRESS_TOKEN_H_
