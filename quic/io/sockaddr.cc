#include "quic/io/sockaddr.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace kite::quic::io {
namespace {

constexpr uint8_t kV4MappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

}  // namespace

socklen_t ToSockaddr(const SocketAddress& address, bool as_ipv6, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (!address.ipv6 && !as_ipv6) {
    auto* sin = reinterpret_cast<sockaddr_in*>(out);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(address.port);
    std::memcpy(&sin->sin_addr, address.ip.data(), 4);
    return sizeof(sockaddr_in);
  }
  auto* sin6 = reinterpret_cast<sockaddr_in6*>(out);
  sin6->sin6_family = AF_INET6;
  sin6->sin6_port = htons(address.port);
  if (address.ipv6) {
    std::memcpy(&sin6->sin6_addr, address.ip.data(), 16);
  } else {
    std::memcpy(&sin6->sin6_addr, kV4MappedPrefix, 12);
    std::memcpy(reinterpret_cast<uint8_t*>(&sin6->sin6_addr) + 12, address.ip.data(), 4);
  }
  return sizeof(sockaddr_in6);
}

std::optional<SocketAddress> FromSockaddr(const sockaddr* address, socklen_t length) {
  SocketAddress out;
  if (address->sa_family == AF_INET && length >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(address);
    std::memcpy(out.ip.data(), &sin->sin_addr, 4);
    out.port = ntohs(sin->sin_port);
    return out;
  }
  if (address->sa_family == AF_INET6 && length >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(address);
    const auto* bytes = reinterpret_cast<const uint8_t*>(&sin6->sin6_addr);
    out.port = ntohs(sin6->sin6_port);
    if (std::memcmp(bytes, kV4MappedPrefix, 12) == 0) {
      std::memcpy(out.ip.data(), bytes + 12, 4);
    } else {
      out.ipv6 = true;
      std::memcpy(out.ip.data(), bytes, 16);
    }
    return out;
  }
  return std::nullopt;
}

bool IsWildcard(const SocketAddress& address) {
  size_t n = address.ipv6 ? 16 : 4;
  for (size_t i = 0; i < n; ++i) {
    if (address.ip[i] != 0) return false;
  }
  return true;
}

std::optional<SocketAddress> ParseIp(const char* text, uint16_t port) {
  SocketAddress out;
  out.port = port;
  if (inet_pton(AF_INET, text, out.ip.data()) == 1) return out;
  if (inet_pton(AF_INET6, text, out.ip.data()) == 1) {
    out.ipv6 = true;
    return out;
  }
  return std::nullopt;
}

}  // namespace kite::quic::io
