#include "http3/endpoint/secure_random.h"

#include <openssl/rand.h>

namespace kite::http3 {

quic::RandomBytes SecureRandom() {
  return [](uint8_t* out, size_t len) { RAND_bytes(out, len); };
}

std::vector<uint8_t> SecureRandomVector(size_t n) {
  std::vector<uint8_t> v(n);
  RAND_bytes(v.data(), v.size());
  return v;
}

}  // namespace kite::http3
