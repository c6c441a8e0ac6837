#include "tls/cipher_suite.h"

#include <openssl/aead.h>
#include <openssl/digest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tls {
namespace {

const CipherSuite kAes128Gcm = {
    CipherSuiteId::kAes128GcmSha256,
    "TLS_AES_128_GCM_SHA256",
    &EVP_aead_aes_128_gcm,
    &EVP_sha256,
    /*secret_length=*/32,
    /*key_length=*/16,
    kAeadNonceLength,
    kAeadTagLength,
    HeaderProtectionCipher::kAes128,
    /*hp_key_length=*/16,
    kAesGcmConfidentialityLimit,
    kAesGcmIntegrityLimit,
};

const CipherSuite kAes256Gcm = {
    CipherSuiteId::kAes256GcmSha384,
    "TLS_AES_256_GCM_SHA384",
    &EVP_aead_aes_256_gcm,
    &EVP_sha384,
    /*secret_length=*/48,
    /*key_length=*/32,
    kAeadNonceLength,
    kAeadTagLength,
    HeaderProtectionCipher::kAes256,
    /*hp_key_length=*/32,
    kAesGcmConfidentialityLimit,
    kAesGcmIntegrityLimit,
};

const CipherSuite kChaCha20 = {
    CipherSuiteId::kChaCha20Poly1305Sha256,
    "TLS_CHACHA20_POLY1305_SHA256",
    &EVP_aead_chacha20_poly1305,
    &EVP_sha256,
    /*secret_length=*/32,
    /*key_length=*/32,
    kAeadNonceLength,
    kAeadTagLength,
    HeaderProtectionCipher::kChaCha20,
    /*hp_key_length=*/32,
    kChaCha20ConfidentialityLimit,
    kChaCha20IntegrityLimit,
};

}  // namespace

const CipherSuite& Aes128GcmSha256() { return kAes128Gcm; }
const CipherSuite& Aes256GcmSha384() { return kAes256Gcm; }
const CipherSuite& ChaCha20Poly1305Sha256() { return kChaCha20; }

absl::StatusOr<const CipherSuite*> CipherSuiteByProtocolId(uint16_t protocol_id) {
  switch (protocol_id) {
    case static_cast<uint16_t>(CipherSuiteId::kAes128GcmSha256): return &kAes128Gcm;
    case static_cast<uint16_t>(CipherSuiteId::kAes256GcmSha384): return &kAes256Gcm;
    case static_cast<uint16_t>(CipherSuiteId::kChaCha20Poly1305Sha256): return &kChaCha20;
    default:
      return absl::NotFoundError(
          absl::StrCat("unsupported TLS 1.3 cipher suite 0x", absl::Hex(protocol_id)));
  }
}

}  // namespace kite::tls
