// QUIC packet headers: long headers for v1 and v2 (Initial, 0-RTT, Handshake, Retry), the short
// (1-RTT) header, and Version Negotiation (RFC 9000 §17, RFC 8999, RFC 9369 §3.2).
//
// Receiving is split in two phases because the packet number length, the reserved bits and
// the key phase are covered by header protection (RFC 9001 §5.4):
//   1. ParsePacketHeader reads what is on the wire in the clear: form, version, connection
//      IDs, token, Length (so coalesced packets can be split, RFC 9000 §12.2) and the offset
//      of the packet number field, which is where header protection sampling starts.
//   2. After tls/ removes header protection in place, ReadUnprotectedHeaderBits reads the
//      packet number length, the truncated packet number, the key phase and the reserved bits.
//
// A header that fails to parse means "discard the packet" (RFC 9000 §5.2, §12.2): the errors
// are plain InvalidArgument statuses, not transport errors, since no peer is told about them.
#ifndef KITE_QUIC_CODEC_PACKET_HEADER_H_
#define KITE_QUIC_CODEC_PACKET_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/packet_type.h"

namespace kite::quic {

// RFC 9001 §5.8: the Retry Integrity Tag is a 128-bit AEAD tag.
inline constexpr size_t kRetryIntegrityTagLength = 16;
// RFC 8999 §5.1: version-independent connection IDs are up to 255 bytes; v1 and v2 limit them
// to kMaxConnectionIdLength (RFC 9000 §17.2).
inline constexpr size_t kMaxInvariantConnectionIdLength = 255;
// Bound on the Supported Version list of a received Version Negotiation packet. Real servers
// list a handful; a packet listing more is discarded rather than half-read.
inline constexpr size_t kMaxVersionNegotiationVersions = 128;

// First-byte bits (RFC 9000 §17.2, §17.3.1).
inline constexpr uint8_t kHeaderFormBit = 0x80;
inline constexpr uint8_t kFixedBit = 0x40;
inline constexpr uint8_t kSpinBit = 0x20;
inline constexpr uint8_t kKeyPhaseBit = 0x04;
inline constexpr uint8_t kLongHeaderReservedBits = 0x0c;
inline constexpr uint8_t kShortHeaderReservedBits = 0x18;
inline constexpr uint8_t kPacketNumberLengthBits = 0x03;

constexpr bool IsLongHeader(uint8_t first_byte) { return (first_byte & kHeaderFormBit) != 0; }

// The two Long Packet Type bits (already shifted down to 0..3) for `type` in `version`, the
// only place where the v1 and v2 mappings live (RFC 9000 §17.2 Table 5, RFC 9369 §3.2).
// nullopt for an unsupported version or a type that has no long header.
std::optional<uint8_t> LongPacketTypeBits(uint32_t version, PacketType type);
// Inverse of LongPacketTypeBits; `bits` is 0..3. nullopt for an unsupported version.
std::optional<PacketType> LongPacketTypeFromBits(uint32_t version, uint8_t bits);

struct PacketHeaderParseOptions {
  // RFC 9000 §17.2/§17.3.1: packets whose Fixed Bit is 0 are discarded. Set this once the peer
  // has sent grease_quic_bit (RFC 9287) to accept them.
  bool allow_missing_fixed_bit = false;
};

// All spans point into the datagram passed to ParsePacketHeader; they are valid as long as it is.
struct PacketHeader {
  bool long_header = false;
  // kInitial, kZeroRtt, kHandshake, kRetry, kOneRtt or kVersionNegotiation. Meaningless (left
  // kInitial) when `version_supported` is false: the type bits of unknown versions have no
  // defined meaning, so check `version_supported` first.
  PacketType type = PacketType::kOneRtt;
  // Long headers only (short headers carry no version; 0 there).
  uint32_t version = 0;
  // False for a long header whose nonzero version kite does not speak: only the invariant
  // fields (RFC 8999 §5.1) are filled in, so a server can answer with Version Negotiation
  // (RFC 9000 §5.2.2, §6.1). Such a packet consumes the rest of the datagram.
  bool version_supported = true;
  // As received, i.e. still under header protection for Initial/0-RTT/Handshake/1-RTT.
  uint8_t first_byte = 0;
  // Set when the connection ID fits kMaxConnectionIdLength (always for supported versions and
  // short headers; not for an unsupported version's or a VN packet's over-long IDs).
  ConnectionId dcid;
  ConnectionId scid;  // long headers only
  // The raw connection IDs, up to kMaxInvariantConnectionIdLength bytes, for echoing in
  // Version Negotiation.
  absl::Span<const uint8_t> dcid_bytes;
  absl::Span<const uint8_t> scid_bytes;
  // Initial: the Token field (may be empty).
  absl::Span<const uint8_t> token;
  // Initial, 0-RTT, Handshake: the value of the Length field (packet number + payload).
  uint64_t length_field = 0;
  // Initial, 0-RTT, Handshake, 1-RTT: offset of the Packet Number field from the packet start.
  size_t pn_offset = 0;
  // Bytes of this packet within the datagram: pn_offset + Length for Initial/0-RTT/Handshake,
  // the rest of the datagram otherwise. The next coalesced packet starts right after it.
  size_t packet_length = 0;
  // Retry: the Retry Token and the Retry Integrity Tag (checked by tls/, RFC 9001 §5.8).
  absl::Span<const uint8_t> retry_token;
  absl::Span<const uint8_t> retry_integrity_tag;
  // Version Negotiation: the Supported Version list, in wire order (at least one entry).
  std::vector<uint32_t> supported_versions;
  // 1-RTT: the latency spin bit, which header protection does not cover (RFC 9000 §17.4).
  bool spin_bit = false;
};

// Parses the header of the first packet in `datagram` (the bytes from this packet's start to
// the end of the UDP payload). `short_header_dcid_len` is the length of the connection IDs
// this endpoint issued (0..20), needed because short headers do not carry it.
absl::StatusOr<PacketHeader> ParsePacketHeader(absl::Span<const uint8_t> datagram,
                                               size_t short_header_dcid_len,
                                               const PacketHeaderParseOptions& options = {});

// The header fields that were under header protection.
struct UnprotectedHeaderBits {
  size_t pn_length = 0;       // 1..4
  uint64_t truncated_pn = 0;  // feed to DecodePacketNumber with pn_length * 8 bits
  bool key_phase = false;     // 1-RTT only
  // RFC 9000 §17.2, §17.3.1: nonzero reserved bits are a PROTOCOL_VIOLATION, but only once
  // packet protection has also been removed successfully, so this is reported, not judged.
  bool reserved_bits_set = false;
};

// Reads the protected fields of a packet whose header protection has been removed in place.
// `packet` holds this packet's bytes (at least header.packet_length of them) with the first
// byte and packet number unmasked. Fails for packets without a packet number (Retry, VN,
// unsupported versions) and when the packet number runs past `header.packet_length`.
absl::StatusOr<UnprotectedHeaderBits> ReadUnprotectedHeaderBits(const PacketHeader& header,
                                                                absl::Span<const uint8_t> packet);

// The destination connection ID of the packet at the start of `datagram`, for routing
// datagrams to connections; nullopt if it is truncated or (long header) longer than
// kMaxConnectionIdLength. Reads nothing but the form bit, the length and the ID.
std::optional<ConnectionId> PeekDestinationConnectionId(absl::Span<const uint8_t> datagram,
                                                        size_t short_header_dcid_len);

struct LongHeaderFields {
  PacketType type = PacketType::kInitial;  // kInitial, kZeroRtt or kHandshake
  uint32_t version = kQuicVersion1;        // kQuicVersion1 or kQuicVersion2
  ConnectionId dcid;
  ConnectionId scid;
  absl::Span<const uint8_t> token;  // Initial only; must be empty for other types
};

// Writes an Initial, 0-RTT or Handshake header with reserved bits 0, a packet number field of
// `pn_len` bytes (1..4) holding `truncated_pn`, and a Length field of `length_field_len` bytes
// (1, 2, 4 or 8) holding 0 for the caller to fill with PatchLongHeaderLength once the payload
// size is known. Offsets are relative to the writer's start. Fails, writing nothing, on bad
// arguments or lack of room.
bool WriteLongHeader(DataWriter& writer, const LongHeaderFields& fields, size_t pn_len,
                     uint64_t truncated_pn, size_t length_field_len, size_t* length_field_offset,
                     size_t* pn_offset);

// Stores `length` (packet number + payload + AEAD tag) in the Length field written by
// WriteLongHeader. Fails if it does not fit the field or the buffer.
bool PatchLongHeaderLength(absl::Span<uint8_t> buffer, size_t length_field_offset,
                           size_t length_field_len, uint64_t length);

// Writes a 1-RTT header (RFC 9000 §17.3.1) with reserved bits 0. Fails, writing nothing, on bad
// arguments or lack of room.
bool WriteShortHeader(DataWriter& writer, const ConnectionId& dcid, bool spin, bool key_phase,
                      size_t pn_len, uint64_t truncated_pn, size_t* pn_offset);

// Writes a whole Version Negotiation packet (RFC 9000 §17.2.1). `dcid` must be the received
// packet's Source Connection ID and `scid` its Destination Connection ID (each at most
// kMaxInvariantConnectionIdLength bytes). The low 6 bits of `unused_bits` (random, from the
// caller) fill the Unused field; 0x40 is always set, as RFC 9000 §17.2.1 recommends. `versions`
// must hold 1..kMaxVersionNegotiationVersions entries. Fails, writing nothing, otherwise.
bool WriteVersionNegotiation(DataWriter& writer, absl::Span<const uint8_t> dcid,
                             absl::Span<const uint8_t> scid, absl::Span<const uint32_t> versions,
                             uint8_t unused_bits);

// Writes a Retry packet up to, not including, its Retry Integrity Tag (RFC 9000 §17.2.5); tls/
// computes the tag over the pseudo-packet and the caller appends it. The low 4 bits of
// `unused_bits` (random, from the caller) fill the Unused field. `token` must not be empty
// (RFC 9000 §17.2.5.2 has clients discard such a Retry).
bool WriteRetryPacketWithoutTag(DataWriter& writer, uint32_t version, const ConnectionId& dcid,
                                const ConnectionId& scid, absl::Span<const uint8_t> token,
                                uint8_t unused_bits);

}  // namespace kite::quic

#endif  // KITE_QUIC_CODEC_PACKET_HEADER_H_
