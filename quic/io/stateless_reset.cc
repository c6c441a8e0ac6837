#include "quic/io/stateless_reset.h"

#include <openssl/digest.h>
#include <openssl/hmac.h>
#include <openssl/mem.h>

#include <algorithm>
#include <cstring>

namespace kite::quic::io {

absl::StatusOr<StatelessResetter> StatelessResetter::Create(absl::Span<const uint8_t> static_key) {
  if (static_key.size() != kStatelessResetKeySize) {
    return absl::InvalidArgumentError("stateless reset key must be 32 bytes");
  }
  return StatelessResetter(static_key);
}

StatelessResetter::StatelessResetter(absl::Span<const uint8_t> key) {
  std::memcpy(key_.data(), key.data(), key_.size());
}

StatelessResetToken StatelessResetter::TokenFor(absl::Span<const uint8_t> connection_id) const {
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned mac_len = 0;
  StatelessResetToken token{};
  // HMAC-SHA256 over the ID cannot fail with a valid key and digest; on the impossible failure
  // the token stays zero, which no peer will ever match against a real reset.
  if (HMAC(EVP_sha256(), key_.data(), key_.size(), connection_id.data(), connection_id.size(), mac,
           &mac_len) != nullptr &&
      mac_len >= token.size()) {
    std::memcpy(token.data(), mac, token.size());
  }
  return token;
}

size_t StatelessResetter::ResetSize(size_t trigger_size, const RandomBytes& random) {
  if (trigger_size <= kMinStatelessResetSize) return 0;
  const size_t largest = std::min(trigger_size - 1, kMaxStatelessResetSize);
  // RFC 9000 §10.3: one byte shorter than a short trigger.
  if (trigger_size <= kStatelessResetShortTriggerSize) return largest;
  // Otherwise anywhere in [43, largest].
  const size_t smallest = kStatelessResetShortTriggerSize;
  uint8_t r[2];
  random(r, sizeof(r));
  size_t span = largest - smallest + 1;
  return smallest + ((static_cast<size_t>(r[0]) << 8) | r[1]) % span;
}

size_t StatelessResetter::WriteReset(absl::Span<const uint8_t> connection_id,
                                     size_t trigger_size, absl::Span<uint8_t> out,
                                     const RandomBytes& random) const {
  size_t size = ResetSize(trigger_size, random);
  if (size == 0 || out.size() < size) return 0;
  const size_t unpredictable = size - kStatelessResetTokenLength;
  random(out.data(), unpredictable);
  // RFC 9000 §10.3: it looks like a short header: form bit 0, fixed bit 1.
  out[0] = static_cast<uint8_t>((out[0] & 0x3f) | 0x40);
  StatelessResetToken token = TokenFor(connection_id);
  std::memcpy(out.data() + unpredictable, token.data(), token.size());
  return size;
}

bool EndsWithStatelessResetToken(absl::Span<const uint8_t> datagram,
                                 const StatelessResetToken& token) {
  if (datagram.size() < kMinStatelessResetSize) return false;
  return CRYPTO_memcmp(datagram.data() + datagram.size() - token.size(), token.data(),
                       token.size()) == 0;
}

}  // namespace kite::quic::io
