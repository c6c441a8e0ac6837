// Conversions between kite's SocketAddress and the kernel's sockaddr structures.
#ifndef KITE_QUIC_IO_SOCKADDR_H_
#define KITE_QUIC_IO_SOCKADDR_H_

#include <sys/socket.h>

#include <optional>

#include "quic/connection/socket_address.h"

namespace kite::quic::io {

// Fills `out` and returns the length to pass to the kernel. With `as_ipv6` set, an IPv4 address
// is written as an IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2), for dual-stack sockets.
socklen_t ToSockaddr(const SocketAddress& address, bool as_ipv6, sockaddr_storage* out);

// nullopt for a family other than AF_INET/AF_INET6 or a short length. IPv4-mapped IPv6
// addresses come back as IPv4, so one peer has one address whichever socket it reached.
std::optional<SocketAddress> FromSockaddr(const sockaddr* address, socklen_t length);

// True when the IP is all zeros (0.0.0.0 or ::).
bool IsWildcard(const SocketAddress& address);

// Parses "1.2.3.4" or "::1" (no port); nullopt if it is neither.
std::optional<SocketAddress> ParseIp(const char* text, uint16_t port);

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_SOCKADDR_H_
