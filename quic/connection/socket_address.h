// A UDP endpoint address, as the I/O layer (or the simulator) reports it. Compact and
// trivially copyable so it travels with every datagram.
#ifndef KITE_QUIC_CONNECTION_SOCKET_ADDRESS_H_
#define KITE_QUIC_CONNECTION_SOCKET_ADDRESS_H_

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"

namespace kite::quic {

struct SocketAddress {
  bool ipv6 = false;
  std::array<uint8_t, 16> ip{};  // IPv4 in the first 4 bytes
  uint16_t port = 0;

  static SocketAddress V4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port) {
    SocketAddress s;
    s.ip[0] = a;
    s.ip[1] = b;
    s.ip[2] = c;
    s.ip[3] = d;
    s.port = port;
    return s;
  }

  std::string ToString() const {
    if (!ipv6) return absl::StrCat(ip[0], ".", ip[1], ".", ip[2], ".", ip[3], ":", port);
    std::string s = "[";
    for (int i = 0; i < 16; i += 2) {
      if (i) s += ":";
      s += absl::StrCat(absl::Hex((ip[i] << 8) | ip[i + 1]));
    }
    return absl::StrCat(s, "]:", port);
  }

  friend bool operator==(const SocketAddress& a, const SocketAddress& b) {
    return a.ipv6 == b.ipv6 && a.ip == b.ip && a.port == b.port;
  }
  friend bool operator!=(const SocketAddress& a, const SocketAddress& b) { return !(a == b); }
  template <typename H>
  friend H AbslHashValue(H h, const SocketAddress& a) {
    return H::combine(std::move(h), a.ipv6, a.ip, a.port);
  }
};

// The path a datagram travelled: our address and the peer's.
struct NetworkPath {
  SocketAddress local;
  SocketAddress remote;
  friend bool operator==(const NetworkPath& a, const NetworkPath& b) {
    return a.local == b.local && a.remote == b.remote;
  }
  friend bool operator!=(const NetworkPath& a, const NetworkPath& b) { return !(a == b); }
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_SOCKET_ADDRESS_H_
