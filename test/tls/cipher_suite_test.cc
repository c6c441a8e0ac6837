#include "tls/cipher_suite.h"

#include <openssl/aead.h>
#include <openssl/digest.h>

#include <catch2/catch.hpp>

namespace kite::tls {
namespace {

TEST_CASE("Cipher suites are found by TLS protocol id", "[tls][cipher_suite]") {
  CHECK(*CipherSuiteByProtocolId(0x1301) == &Aes128GcmSha256());
  CHECK(*CipherSuiteByProtocolId(0x1302) == &Aes256GcmSha384());
  CHECK(*CipherSuiteByProtocolId(0x1303) == &ChaCha20Poly1305Sha256());
  // TLS_AES_128_CCM_SHA256 and TLS_AES_128_CCM_8_SHA256 are not supported.
  CHECK(absl::IsNotFound(CipherSuiteByProtocolId(0x1304).status()));
  CHECK(absl::IsNotFound(CipherSuiteByProtocolId(0x1305).status()));
  CHECK(absl::IsNotFound(CipherSuiteByProtocolId(0x0000).status()));
}

TEST_CASE("Cipher suite parameters agree with BoringSSL's AEADs and hashes",
          "[tls][cipher_suite]") {
  for (const CipherSuite* s : {&Aes128GcmSha256(), &Aes256GcmSha384(),
                               &ChaCha20Poly1305Sha256()}) {
    INFO(s->name);
    CHECK(static_cast<uint16_t>(s->id) >= 0x1301);
    CHECK(EVP_AEAD_key_length(s->aead()) == s->key_length);
    CHECK(EVP_AEAD_nonce_length(s->aead()) == s->iv_length);
    CHECK(EVP_AEAD_max_tag_len(s->aead()) == s->tag_length);
    CHECK(EVP_MD_size(s->md()) == s->secret_length);
    CHECK(s->secret_length <= kMaxTrafficSecretLength);
    CHECK(s->key_length <= kMaxAeadKeyLength);
    CHECK(s->hp_key_length <= kMaxHeaderProtectionKeyLength);
  }
  CHECK(Aes128GcmSha256().hp_cipher == HeaderProtectionCipher::kAes128);
  CHECK(Aes128GcmSha256().hp_key_length == 16);
  CHECK(Aes256GcmSha384().hp_cipher == HeaderProtectionCipher::kAes256);
  CHECK(Aes256GcmSha384().hp_key_length == 32);
  CHECK(ChaCha20Poly1305Sha256().hp_cipher == HeaderProtectionCipher::kChaCha20);
  CHECK(ChaCha20Poly1305Sha256().hp_key_length == 32);
}

TEST_CASE("AEAD usage limits follow RFC 9001 §6.6", "[tls][cipher_suite]") {
  CHECK(Aes128GcmSha256().confidentiality_limit == 8388608u);  // 2^23
  CHECK(Aes256GcmSha384().confidentiality_limit == 8388608u);
  CHECK(Aes128GcmSha256().integrity_limit == 4503599627370496ull);  // 2^52
  CHECK(Aes256GcmSha384().integrity_limit == 4503599627370496ull);
  CHECK(ChaCha20Poly1305Sha256().integrity_limit == 68719476736ull);  // 2^36
  CHECK(ChaCha20Poly1305Sha256().confidentiality_limit == 4611686018427387904ull);  // 2^62
}

}  // namespace
}  // namespace kite::tls
