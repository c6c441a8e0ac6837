// Randomness for real-network endpoints: BoringSSL's CSPRNG behind the RandomBytes signature
// the sans-I/O layers take (connection IDs, reset tokens, path challenges, token nonces must be
// unpredictable, RFC 9000 §5.1, §8.2, §10.3).
#ifndef KITE_HTTP3_ENDPOINT_SECURE_RANDOM_H_
#define KITE_HTTP3_ENDPOINT_SECURE_RANDOM_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quic/connection/connection_id_manager.h"

namespace kite::http3 {

quic::RandomBytes SecureRandom();
std::vector<uint8_t> SecureRandomVector(size_t n);

}  // namespace kite::http3

#endif  // KITE_HTTP3_ENDPOINT_SECURE_RANDOM_H_
