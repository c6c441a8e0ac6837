// The TLS 1.3 cipher suites QUIC packet protection supports (RFC 9001 §5.3, §5.4, §6.6), keyed
// by the TLS protocol id the handshake reports (SSL_CIPHER_get_protocol_id).
// TLS_AES_128_CCM_SHA256 is not offered: RFC 9001 §5.4.3 allows it, but BoringSSL's libcrypto
// exposes no CCM AEAD with a 16-byte tag, and TLS_AES_128_CCM_8_SHA256 has no header
// protection scheme (§5.3).
#ifndef KITE_TLS_CIPHER_SUITE_H_
#define KITE_TLS_CIPHER_SUITE_H_

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"

namespace kite::tls {

enum class CipherSuiteId : uint16_t {
  kAes128GcmSha256 = 0x1301,        // TLS_AES_128_GCM_SHA256
  kAes256GcmSha384 = 0x1302,        // TLS_AES_256_GCM_SHA384
  kChaCha20Poly1305Sha256 = 0x1303,  // TLS_CHACHA20_POLY1305_SHA256
};

// RFC 9001 §5.4.3 (AES-ECB over the sample) and §5.4.4 (ChaCha20 keyed by the sample).
enum class HeaderProtectionCipher : uint8_t { kAes128, kAes256, kChaCha20 };

// RFC 9001 §6.6 usage limits, in packets.
// AEAD_AES_128_GCM / AEAD_AES_256_GCM: 2^23 packets sealed per key, 2^52 forgeries per connection.
inline constexpr uint64_t kAesGcmConfidentialityLimit = uint64_t{1} << 23;
inline constexpr uint64_t kAesGcmIntegrityLimit = uint64_t{1} << 52;
// AEAD_CHACHA20_POLY1305: the confidentiality limit exceeds the packet number space (2^62), so
// it is stated as that space and never triggers; the integrity limit is 2^36.
inline constexpr uint64_t kChaCha20ConfidentialityLimit = uint64_t{1} << 62;
inline constexpr uint64_t kChaCha20IntegrityLimit = uint64_t{1} << 36;

// Every supported AEAD uses a 12-byte nonce and a 16-byte tag, and every header protection
// scheme samples 16 bytes (RFC 9001 §5.3, §5.4.2).
inline constexpr size_t kAeadNonceLength = 12;
inline constexpr size_t kAeadTagLength = 16;
inline constexpr size_t kMaxAeadKeyLength = 32;
inline constexpr size_t kMaxHeaderProtectionKeyLength = 32;
inline constexpr size_t kMaxTrafficSecretLength = 48;  // SHA-384

struct CipherSuite {
  CipherSuiteId id;
  const char* name;
  const EVP_AEAD* (*aead)();  // BoringSSL AEAD constructor, e.g. EVP_aead_aes_128_gcm
  const EVP_MD* (*md)();      // the suite's hash: HKDF and the traffic secret length
  size_t secret_length;       // hash output length
  size_t key_length;
  size_t iv_length;
  size_t tag_length;
  HeaderProtectionCipher hp_cipher;
  size_t hp_key_length;
  uint64_t confidentiality_limit;  // RFC 9001 §6.6
  uint64_t integrity_limit;        // RFC 9001 §6.6
};

const CipherSuite& Aes128GcmSha256();
const CipherSuite& Aes256GcmSha384();
const CipherSuite& ChaCha20Poly1305Sha256();

// Looks a suite up by its TLS protocol id (0x1301..0x1303). NotFound for anything else.
absl::StatusOr<const CipherSuite*> CipherSuiteByProtocolId(uint16_t protocol_id);

}  // namespace kite::tls

#endif  // KITE_TLS_CIPHER_SUITE_H_
