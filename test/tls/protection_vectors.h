// The packet protection test vectors of RFC 9001 Appendix A and RFC 9369 Appendix A, as hex,
// shared by the tls tests and tools/initial_demo.
#ifndef KITE_TEST_TLS_PROTECTION_VECTORS_H_
#define KITE_TEST_TLS_PROTECTION_VECTORS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tls/quic_version.h"

namespace kite::tls::testing {

struct ProtectionVectors {
  QuicVersion version;
  std::string_view dcid;
  // A.1: the encoded HkdfLabel structures.
  std::string_view label_client_in;
  std::string_view label_server_in;
  std::string_view label_key;
  std::string_view label_iv;
  std::string_view label_hp;
  // A.1 keys.
  std::string_view initial_secret;
  std::string_view client_secret;
  std::string_view client_key;
  std::string_view client_iv;
  std::string_view client_hp;
  std::string_view server_secret;
  std::string_view server_key;
  std::string_view server_iv;
  std::string_view server_hp;
  // A.2 client Initial: the CRYPTO frame is padded with PADDING to a 1162-byte payload.
  std::string_view client_crypto_frame;
  std::string_view client_header;
  std::string_view client_sample;
  std::string_view client_mask;
  std::string_view client_protected_header;
  std::string_view client_packet;
  // A.3 server Initial.
  std::string_view server_payload;
  std::string_view server_header;
  std::string_view server_sample;
  std::string_view server_mask;
  std::string_view server_protected_header;
  std::string_view server_packet;
  // A.4 Retry (tag included), answering the A.2 DCID.
  std::string_view retry_packet;
  // A.5 ChaCha20-Poly1305 short header packet.
  std::string_view chacha_secret;
  std::string_view chacha_key;
  std::string_view chacha_iv;
  std::string_view chacha_hp;
  std::string_view chacha_ku;
  std::string_view chacha_nonce;
  std::string_view chacha_header;
  std::string_view chacha_plaintext;
  std::string_view chacha_ciphertext;
  std::string_view chacha_sample;
  std::string_view chacha_mask;
  std::string_view chacha_protected_header;
  std::string_view chacha_packet;
};

// A.2/A.3 packet numbers and sizes.
inline constexpr uint64_t kClientInitialPacketNumber = 2;
inline constexpr size_t kClientInitialPnLength = 4;
inline constexpr size_t kClientInitialPayloadLength = 1162;
inline constexpr uint64_t kServerInitialPacketNumber = 1;
inline constexpr size_t kServerInitialPnLength = 2;
// A.5.
inline constexpr uint64_t kChaChaPacketNumber = 654360564;
inline constexpr size_t kChaChaPnLength = 3;

const ProtectionVectors& Rfc9001Vectors();
const ProtectionVectors& Rfc9369Vectors();
const ProtectionVectors& VectorsFor(QuicVersion version);

// Decodes hex (whitespace ignored). Aborts the test binary on malformed input: the inputs
// are the constants above, never peer data.
std::vector<uint8_t> HexToBytes(std::string_view hex);
std::string BytesToHex(const uint8_t* data, size_t len);
inline std::string BytesToHex(const std::vector<uint8_t>& v) {
  return BytesToHex(v.data(), v.size());
}

// The A.2 unprotected client Initial: header followed by the CRYPTO frame and PADDING up to
// 1162 payload bytes.
std::vector<uint8_t> ClientInitialUnprotected(const ProtectionVectors& v);

}  // namespace kite::tls::testing

#endif  // KITE_TEST_TLS_PROTECTION_VECTORS_H_
