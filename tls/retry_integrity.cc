#include "tls/retry_integrity.h"

#include <openssl/aead.h>
#include <openssl/err.h>
#include <openssl/mem.h>

#include <vector>

#include "absl/status/status.h"

namespace kite::tls {
namespace {

// RFC 9001 §5.8.
constexpr uint8_t kV1Key[] = {0xbe, 0x0c, 0x69, 0x0b, 0x9f, 0x66, 0x57, 0x5a,
                              0x1d, 0x76, 0x6b, 0x54, 0xe3, 0x68, 0xc8, 0x4e};
constexpr uint8_t kV1Nonce[] = {0x46, 0x15, 0x99, 0xd3, 0x5d, 0x63,
                                0x2b, 0xf2, 0x23, 0x98, 0x25, 0xbb};
// RFC 9369 §3.3.3.
constexpr uint8_t kV2Key[] = {0x8f, 0xb4, 0xb0, 0x1b, 0x56, 0xac, 0x48, 0xe2,
                              0x60, 0xfb, 0xcb, 0xce, 0xad, 0x7c, 0xcc, 0x92};
constexpr uint8_t kV2Nonce[] = {0xd8, 0x69, 0x69, 0xbc, 0x2d, 0x7c,
                                0x6d, 0x99, 0x90, 0xef, 0xb0, 0x4a};

}  // namespace

absl::Span<const uint8_t> RetryIntegrityKey(QuicVersion version) {
  return version == QuicVersion::kV2 ? absl::MakeConstSpan(kV2Key) : absl::MakeConstSpan(kV1Key);
}

absl::Span<const uint8_t> RetryIntegrityNonce(QuicVersion version) {
  return version == QuicVersion::kV2 ? absl::MakeConstSpan(kV2Nonce)
                                     : absl::MakeConstSpan(kV1Nonce);
}

absl::StatusOr<RetryIntegrityTag> ComputeRetryIntegrityTag(
    QuicVersion version, absl::Span<const uint8_t> original_dcid,
    absl::Span<const uint8_t> retry_without_tag) {
  if (original_dcid.size() > kMaxOriginalConnectionIdLength) {
    return absl::InvalidArgumentError(
        "original destination connection ID longer than 20 bytes (RFC 9000 §17.2)");
  }
  if (retry_without_tag.size() > kMaxRetryPacketLength - kRetryIntegrityTagLength) {
    return absl::InvalidArgumentError("Retry packet larger than a UDP datagram");
  }
  // RFC 9001 §5.8 Retry Pseudo-Packet: ODCID Length, ODCID, then the Retry packet without
  // its tag. Retry is rare, so building it in a heap buffer is fine.
  std::vector<uint8_t> pseudo;
  pseudo.reserve(1 + original_dcid.size() + retry_without_tag.size());
  pseudo.push_back(static_cast<uint8_t>(original_dcid.size()));
  pseudo.insert(pseudo.end(), original_dcid.begin(), original_dcid.end());
  pseudo.insert(pseudo.end(), retry_without_tag.begin(), retry_without_tag.end());

  const absl::Span<const uint8_t> key = RetryIntegrityKey(version);
  const absl::Span<const uint8_t> nonce = RetryIntegrityNonce(version);
  EVP_AEAD_CTX ctx;
  if (EVP_AEAD_CTX_init(&ctx, EVP_aead_aes_128_gcm(), key.data(), key.size(),
                        kRetryIntegrityTagLength, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError("EVP_AEAD_CTX_init failed for the Retry integrity key");
  }
  RetryIntegrityTag tag;
  size_t tag_len = 0;
  const int ok = EVP_AEAD_CTX_seal(&ctx, tag.data(), &tag_len, tag.size(), nonce.data(),
                                   nonce.size(), /*in=*/nullptr, 0, pseudo.data(),
                                   pseudo.size());
  EVP_AEAD_CTX_cleanup(&ctx);
  if (ok != 1 || tag_len != kRetryIntegrityTagLength) {
    ERR_clear_error();
    return absl::InternalError("EVP_AEAD_CTX_seal failed for the Retry integrity tag");
  }
  return tag;
}

absl::StatusOr<bool> VerifyRetryIntegrityTag(QuicVersion version,
                                             absl::Span<const uint8_t> original_dcid,
                                             absl::Span<const uint8_t> retry_packet) {
  if (retry_packet.size() > kMaxRetryPacketLength) {
    return absl::InvalidArgumentError("Retry packet larger than a UDP datagram");
  }
  if (retry_packet.size() < kRetryIntegrityTagLength) return false;
  const size_t body_len = retry_packet.size() - kRetryIntegrityTagLength;
  absl::StatusOr<RetryIntegrityTag> expected =
      ComputeRetryIntegrityTag(version, original_dcid, retry_packet.first(body_len));
  if (!expected.ok()) return expected.status();
  return CRYPTO_memcmp(expected->data(), retry_packet.data() + body_len,
                       kRetryIntegrityTagLength) == 0;
}

}  // namespace kite::tls
