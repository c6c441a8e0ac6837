// QUIC packet protection with one set of keys (RFC 9001 §5): AEAD payload protection (§5.3),
// header protection (§5.4) and the key update derivation (§6.1).
//
// A PacketProtector is built once per (encryption level, direction, key phase) from a TLS
// traffic secret. It holds an initialized EVP_AEAD_CTX and header protection key schedule, so
// protecting or unprotecting a packet does no key setup and no heap allocation.
#ifndef KITE_TLS_PACKET_PROTECTOR_H_
#define KITE_TLS_PACKET_PROTECTOR_H_

#include <openssl/aead.h>
#include <openssl/aes.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tls/cipher_suite.h"
#include "tls/quic_version.h"

namespace kite::tls {

// RFC 9000 §17.1: packet numbers are 1 to 4 bytes on the wire and below 2^62.
inline constexpr size_t kMaxPacketNumberLength = 4;
inline constexpr uint64_t kMaxPacketNumber = (uint64_t{1} << 62) - 1;
// RFC 9001 §5.4.2: a 16-byte sample taken 4 bytes after the start of the Packet Number field.
inline constexpr size_t kHeaderProtectionSampleLength = 16;
inline constexpr size_t kHeaderProtectionSampleOffset = 4;
// RFC 9001 §5.4.1: one mask byte for the first byte, up to four for the packet number.
inline constexpr size_t kHeaderProtectionMaskLength = 1 + kMaxPacketNumberLength;

using HeaderProtectionMask = std::array<uint8_t, kHeaderProtectionMaskLength>;
using AeadNonce = std::array<uint8_t, kAeadNonceLength>;

// Key material for one key phase, derived from a traffic secret (RFC 9001 §5.1).
struct PacketKeyMaterial {
  std::vector<uint8_t> key;
  std::vector<uint8_t> iv;
  std::vector<uint8_t> hp;
};

// "quic key"/"quic iv"/"quic hp" (v1) or "quicv2 ..." (RFC 9369 §3.3.2) from `secret`.
absl::StatusOr<PacketKeyMaterial> DerivePacketKeyMaterial(const CipherSuite& suite,
                                                          QuicVersion version,
                                                          absl::Span<const uint8_t> secret);

// The next generation's secret: HKDF-Expand-Label(secret, "quic ku" / "quicv2 ku", "",
// Hash.length) (RFC 9001 §6.1, RFC 9369 §3.3.2).
absl::StatusOr<std::vector<uint8_t>> DeriveNextTrafficSecret(const CipherSuite& suite,
                                                             QuicVersion version,
                                                             absl::Span<const uint8_t> secret);

// The result of removing header protection (RFC 9001 §5.4.1).
struct UnmaskedHeader {
  uint8_t first_byte = 0;      // with the Reserved Bits and Packet Number Length unmasked
  size_t pn_length = 0;        // 1..4
  uint64_t truncated_pn = 0;   // the pn_length-byte encoded packet number
  size_t header_length = 0;    // pn_offset + pn_length: the AEAD associated data length
};

// The outcome of opening a payload. Failing authentication is an ordinary outcome for peer
// input (RFC 9001 §5.5: the packet is discarded and counted toward the integrity limit), so it
// is a flag rather than an error status; `status()` is only set for local misuse.
class OpenResult {
 public:
  static OpenResult Opened(size_t plaintext_length) {
    return OpenResult(Kind::kOpened, plaintext_length, absl::OkStatus());
  }
  static OpenResult AuthenticationFailed() {
    return OpenResult(Kind::kAuthenticationFailed, 0, absl::OkStatus());
  }
  static OpenResult Error(absl::Status status) {
    return OpenResult(Kind::kError, 0, std::move(status));
  }

  bool ok() const { return kind_ == Kind::kOpened; }
  bool authentication_failed() const { return kind_ == Kind::kAuthenticationFailed; }
  size_t plaintext_length() const { return plaintext_length_; }
  // OkStatus unless the caller passed invalid arguments; authentication failure reports an
  // UNAUTHENTICATED status here for logging.
  absl::Status status() const;

 private:
  enum class Kind : uint8_t { kOpened, kAuthenticationFailed, kError };
  OpenResult(Kind kind, size_t len, absl::Status status)
      : kind_(kind), plaintext_length_(len), status_(std::move(status)) {}

  Kind kind_;
  size_t plaintext_length_;
  absl::Status status_;
};

class PacketProtector {
 public:
  // Derives key, iv and hp from `secret` (the suite's hash length, as TLS hands it over).
  static absl::StatusOr<std::unique_ptr<PacketProtector>> Create(
      const CipherSuite& suite, QuicVersion version, absl::Span<const uint8_t> secret);

  PacketProtector(const PacketProtector&) = delete;
  PacketProtector& operator=(const PacketProtector&) = delete;
  ~PacketProtector();

  const CipherSuite& suite() const { return *suite_; }
  QuicVersion version() const { return version_; }
  size_t tag_length() const { return suite_->tag_length; }

  // RFC 9001 §5.3: the 62-bit packet number, left-padded to the IV length, XORed with the IV.
  AeadNonce MakeNonce(uint64_t pn) const;

  // Encrypts `buffer[0, plaintext_len)` in place and appends the tag; `buffer.size()` is the
  // capacity. Returns the ciphertext length (plaintext_len + tag_length()).
  absl::StatusOr<size_t> SealPayload(uint64_t pn, absl::Span<const uint8_t> associated_data,
                                     absl::Span<uint8_t> buffer, size_t plaintext_len) const;

  // Decrypts `ciphertext` (tag included) into `out`, which must either be exactly
  // `ciphertext.data()` (in place) or not overlap it, and hold ciphertext.size() -
  // tag_length() bytes. On authentication failure BoringSSL zeroes `out`, so an in-place
  // caller that wants to try another key phase must decrypt into a separate buffer.
  OpenResult OpenPayload(uint64_t pn, absl::Span<const uint8_t> header,
                         absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out) const;

  // RFC 9001 §5.4.3 / §5.4.4: the header protection mask for a 16-byte sample.
  absl::StatusOr<HeaderProtectionMask> ComputeHeaderProtectionMask(
      absl::Span<const uint8_t> sample) const;

  // Protects a packet in place. `packet[0, header_len)` is the unprotected header ending with
  // the `pn_len`-byte encoding of `pn`; `packet[header_len, header_len + plaintext_len)` is
  // the payload; `capacity` bytes are writable. Encrypts the payload, appends the tag, then
  // masks the first byte (0x0f for long headers, 0x1f for short) and the packet number with
  // the sample at pn_offset + 4 (RFC 9001 §5.4.2). Returns the protected packet length.
  absl::StatusOr<size_t> ProtectPacket(uint8_t* packet, size_t header_len, size_t pn_len,
                                       uint64_t pn, size_t plaintext_len,
                                       size_t capacity) const;

  // Removes header protection in place from a received packet whose Packet Number field
  // starts at `pn_offset`: afterwards packet[0, result.header_length) is the unprotected
  // header (the AEAD associated data). Fails, leaving the packet untouched, if the packet is
  // too short to hold the sample (RFC 9001 §5.4.2: such packets are discarded).
  absl::StatusOr<UnmaskedHeader> RemoveHeaderProtection(uint8_t* packet, size_t packet_len,
                                                        size_t pn_offset) const;

  // RFC 9001 §6: the protector for the next key phase. New key and IV from the "ku"-derived
  // secret; the header protection key is not updated (§6.1).
  absl::StatusOr<std::unique_ptr<PacketProtector>> NextGeneration() const;

 private:
  PacketProtector(const CipherSuite& suite, QuicVersion version);
  absl::Status Init(absl::Span<const uint8_t> secret, absl::Span<const uint8_t> key,
                    absl::Span<const uint8_t> iv, absl::Span<const uint8_t> hp);

  const CipherSuite* suite_;
  QuicVersion version_;
  EVP_AEAD_CTX aead_ctx_;
  AES_KEY hp_aes_key_;
  std::array<uint8_t, kAeadNonceLength> iv_{};
  std::array<uint8_t, kMaxHeaderProtectionKeyLength> hp_key_{};
  std::array<uint8_t, kMaxTrafficSecretLength> secret_{};
  size_t secret_length_ = 0;
};

}  // namespace kite::tls

#endif  // KITE_TLS_PACKET_PROTECTOR_H_
