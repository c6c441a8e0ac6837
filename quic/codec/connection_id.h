// Connection IDs (RFC 9000 §5.1): 0 to 20 bytes in QUIC v1/v2, stored inline.
#ifndef KITE_QUIC_CODEC_CONNECTION_ID_H_
#define KITE_QUIC_CODEC_CONNECTION_ID_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "absl/types/span.h"

namespace kite::quic {

inline constexpr size_t kMaxConnectionIdLength = 20;
inline constexpr size_t kStatelessResetTokenLength = 16;
using StatelessResetToken = std::array<uint8_t, kStatelessResetTokenLength>;

class ConnectionId {
 public:
  ConnectionId() = default;
  // Truncates nothing: callers check length <= kMaxConnectionIdLength first (IsValidLength).
  ConnectionId(const uint8_t* data, size_t len) {
    len_ = static_cast<uint8_t>(len > kMaxConnectionIdLength ? kMaxConnectionIdLength : len);
    if (len_ > 0) std::memcpy(bytes_.data(), data, len_);
  }
  explicit ConnectionId(absl::Span<const uint8_t> s) : ConnectionId(s.data(), s.size()) {}

  static constexpr bool IsValidLength(size_t len) { return len <= kMaxConnectionIdLength; }

  size_t length() const { return len_; }
  bool empty() const { return len_ == 0; }
  const uint8_t* data() const { return bytes_.data(); }
  absl::Span<const uint8_t> span() const { return absl::Span<const uint8_t>(bytes_.data(), len_); }

  std::string ToHex() const {
    static const char kHex[] = "0123456789abcdef";
    std::string s;
    for (size_t i = 0; i < len_; ++i) {
      s.push_back(kHex[bytes_[i] >> 4]);
      s.push_back(kHex[bytes_[i] & 0xf]);
    }
    return s;
  }

  friend bool operator==(const ConnectionId& a, const ConnectionId& b) {
    return a.len_ == b.len_ && std::memcmp(a.bytes_.data(), b.bytes_.data(), a.len_) == 0;
  }
  friend bool operator!=(const ConnectionId& a, const ConnectionId& b) { return !(a == b); }
  friend bool operator<(const ConnectionId& a, const ConnectionId& b) {
    int c = std::memcmp(a.bytes_.data(), b.bytes_.data(), a.len_ < b.len_ ? a.len_ : b.len_);
    return c != 0 ? c < 0 : a.len_ < b.len_;
  }
  template <typename H>
  friend H AbslHashValue(H h, const ConnectionId& id) {
    return H::combine(H::combine_contiguous(std::move(h), id.bytes_.data(), id.len_), id.len_);
  }

 private:
  std::array<uint8_t, kMaxConnectionIdLength> bytes_{};
  uint8_t len_ = 0;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_CONNECTION_ID_H_
