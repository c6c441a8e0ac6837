// Encryption levels (RFC 9001 §4) and the packet number spaces they map to (RFC 9000 §12.3).
#ifndef KITE_TLS_ENCRYPTION_LEVEL_H_
#define KITE_TLS_ENCRYPTION_LEVEL_H_

#include <cstdint>

namespace kite::tls {

enum class EncryptionLevel : uint8_t {
  kInitial = 0,
  kEarlyData = 1,  // 0-RTT
  kHandshake = 2,
  kApplication = 3,  // 1-RTT
};
inline constexpr int kNumEncryptionLevels = 4;

enum class PacketNumberSpace : uint8_t {
  kInitial = 0,
  kHandshake = 1,
  kApplication = 2,  // 0-RTT and 1-RTT share it
};
inline constexpr int kNumPacketNumberSpaces = 3;

constexpr PacketNumberSpace SpaceOf(EncryptionLevel level) {
  switch (level) {
    case EncryptionLevel::kInitial: return PacketNumberSpace::kInitial;
    case EncryptionLevel::kHandshake: return PacketNumberSpace::kHandshake;
    default: return PacketNumberSpace::kApplication;
  }
}

constexpr const char* EncryptionLevelName(EncryptionLevel level) {
  switch (level) {
    case EncryptionLevel::kInitial: return "initial";
    case EncryptionLevel::kEarlyData: return "0rtt";
    case EncryptionLevel::kHandshake: return "handshake";
    case EncryptionLevel::kApplication: return "1rtt";
  }
  return "?";
}

}  // namespace kite::tls

#endif  // KITE_TLS_ENCRYPTION_LEVEL_H_
