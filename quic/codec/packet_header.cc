#include "quic/codec/packet_header.h"

#include <string>

#include "absl/status/status.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/varint.h"

namespace kite::quic {
namespace {

absl::Status Malformed(const char* what) {
  return absl::InvalidArgumentError(std::string("malformed packet header: ") + what);
}

// The Long Packet Type field occupies bits 0x30 of the first byte (RFC 9000 §17.2).
constexpr uint8_t kLongPacketTypeShift = 4;
constexpr uint8_t kLongPacketTypeMask = 0x30;
// Retry packets carry 4 unused bits where other long headers have reserved + PN length bits.
constexpr uint8_t kRetryUnusedBits = 0x0f;
// RFC 9000 §17.2.1: servers SHOULD set 0x40 in a VN packet's Unused field.
constexpr uint8_t kVersionNegotiationUnusedMask = 0x3f;

// Reads a one-byte connection ID length and the ID, bounded by `max_len`.
bool ReadConnectionId(DataReader& reader, size_t max_len, absl::Span<const uint8_t>* out) {
  uint8_t len = 0;
  if (!reader.PeekUInt8(&len) || len > max_len) return false;
  DataReader copy = reader;
  uint8_t ignored = 0;
  if (!copy.ReadUInt8(&ignored) || !copy.ReadBytes(len, out)) return false;
  reader = copy;
  return true;
}

// Whether a connection-ID-length byte at the reader's position says more than `max_len`.
bool ConnectionIdTooLong(const DataReader& reader, size_t max_len) {
  uint8_t len = 0;
  return reader.PeekUInt8(&len) && len > max_len;
}

bool ValidPacketNumber(size_t pn_len, uint64_t truncated_pn) {
  if (pn_len < 1 || pn_len > 4) return false;
  return truncated_pn < (uint64_t{1} << (8 * pn_len));
}

bool ValidLengthFieldLength(size_t len) { return len == 1 || len == 2 || len == 4 || len == 8; }

absl::StatusOr<PacketHeader> ParseShortHeader(absl::Span<const uint8_t> datagram,
                                              size_t short_header_dcid_len) {
  PacketHeader header;
  header.long_header = false;
  header.type = PacketType::kOneRtt;
  header.first_byte = datagram[0];
  header.spin_bit = (datagram[0] & kSpinBit) != 0;
  DataReader reader(datagram);
  reader.Skip(1);
  if (!reader.ReadBytes(short_header_dcid_len, &header.dcid_bytes)) {
    return Malformed("short header truncated in Destination Connection ID");
  }
  header.dcid = ConnectionId(header.dcid_bytes);
  header.pn_offset = reader.offset();
  // At least one packet number byte must follow (RFC 9000 §17.3.1); the header protection
  // sample requirement (RFC 9001 §5.4.2) is checked by tls/.
  if (reader.remaining() < 1) return Malformed("short header without packet number");
  header.packet_length = datagram.size();
  return header;
}

absl::Status ParseVersionNegotiation(DataReader& reader, PacketHeader& header) {
  // RFC 9000 §17.2.1: the rest of the datagram is a list of 32-bit versions, at least one
  // (a packet without any cannot do its job and RFC 8999 §6 gives it no other meaning).
  const size_t rest = reader.remaining();
  if (rest == 0) return Malformed("Version Negotiation without versions");
  if (rest % 4 != 0) return Malformed("Version Negotiation with a truncated version");
  if (rest / 4 > kMaxVersionNegotiationVersions) {
    return Malformed("Version Negotiation lists too many versions");
  }
  header.supported_versions.reserve(rest / 4);
  while (!reader.empty()) {
    uint32_t v = 0;
    if (!reader.ReadUInt32(&v)) return Malformed("Version Negotiation truncated");
    header.supported_versions.push_back(v);
  }
  return absl::OkStatus();
}

absl::StatusOr<PacketHeader> ParseLongHeader(absl::Span<const uint8_t> datagram,
                                             const PacketHeaderParseOptions& options) {
  PacketHeader header;
  header.long_header = true;
  header.first_byte = datagram[0];
  DataReader reader(datagram);
  reader.Skip(1);
  if (!reader.ReadUInt32(&header.version)) return Malformed("long header truncated in Version");

  // Versions kite does not speak are parsed only as far as RFC 8999 §5.1 defines them.
  const bool known = header.version == 0 || IsSupportedVersion(header.version);
  const size_t max_cid = known && header.version != 0 ? kMaxConnectionIdLength
                                                      : kMaxInvariantConnectionIdLength;
  if (ConnectionIdTooLong(reader, max_cid)) {
    return Malformed("Destination Connection ID longer than 20 bytes");
  }
  if (!ReadConnectionId(reader, max_cid, &header.dcid_bytes)) {
    return Malformed("long header truncated in Destination Connection ID");
  }
  if (ConnectionIdTooLong(reader, max_cid)) {
    return Malformed("Source Connection ID longer than 20 bytes");
  }
  if (!ReadConnectionId(reader, max_cid, &header.scid_bytes)) {
    return Malformed("long header truncated in Source Connection ID");
  }
  if (ConnectionId::IsValidLength(header.dcid_bytes.size())) {
    header.dcid = ConnectionId(header.dcid_bytes);
  }
  if (ConnectionId::IsValidLength(header.scid_bytes.size())) {
    header.scid = ConnectionId(header.scid_bytes);
  }

  if (header.version == 0) {
    // The Fixed Bit of VN is part of the Unused field and means nothing (RFC 9000 §17.2.1).
    header.type = PacketType::kVersionNegotiation;
    header.packet_length = datagram.size();
    absl::Status s = ParseVersionNegotiation(reader, header);
    if (!s.ok()) return s;
    return header;
  }
  if (!IsSupportedVersion(header.version)) {
    header.version_supported = false;
    header.type = PacketType::kInitial;
    header.packet_length = datagram.size();
    return header;
  }

  if ((header.first_byte & kFixedBit) == 0 && !options.allow_missing_fixed_bit) {
    return Malformed("Fixed Bit is 0");
  }
  const uint8_t type_bits =
      static_cast<uint8_t>((header.first_byte & kLongPacketTypeMask) >> kLongPacketTypeShift);
  std::optional<PacketType> type = LongPacketTypeFromBits(header.version, type_bits);
  if (!type.has_value()) return Malformed("unknown long packet type");
  header.type = *type;

  if (header.type == PacketType::kRetry) {
    // RFC 9000 §17.2.5: Retry Token fills everything up to the 16-byte tag; clients discard a
    // Retry whose token is empty (§17.2.5.2), so such a packet is malformed here.
    if (reader.remaining() <= kRetryIntegrityTagLength) {
      return Malformed("Retry too short for a token and an integrity tag");
    }
    reader.ReadBytes(reader.remaining() - kRetryIntegrityTagLength, &header.retry_token);
    reader.ReadBytes(kRetryIntegrityTagLength, &header.retry_integrity_tag);
    header.packet_length = datagram.size();
    return header;
  }

  if (header.type == PacketType::kInitial) {
    // RFC 9000 §17.2.2. The token length is bounded by the datagram it arrived in.
    uint64_t token_len = 0;
    if (!reader.ReadVarInt(&token_len)) return Malformed("Initial truncated in Token Length");
    if (token_len > reader.remaining() ||
        !reader.ReadBytes(static_cast<size_t>(token_len), &header.token)) {
      return Malformed("Initial token longer than the datagram");
    }
  }

  uint64_t length = 0;
  if (!reader.ReadVarInt(&length)) return Malformed("long header truncated in Length");
  // RFC 9000 §17.2: Length covers the packet number and the payload, which must both be in
  // this datagram; a zero Length leaves no room even for the packet number.
  if (length == 0) return Malformed("Length is zero");
  if (length > reader.remaining()) return Malformed("Length exceeds the datagram");
  header.length_field = length;
  header.pn_offset = reader.offset();
  header.packet_length = header.pn_offset + static_cast<size_t>(length);
  return header;
}

}  // namespace

std::optional<uint8_t> LongPacketTypeBits(uint32_t version, PacketType type) {
  if (version == kQuicVersion1) {
    // RFC 9000 §17.2, Table 5.
    switch (type) {
      case PacketType::kInitial: return 0x0;
      case PacketType::kZeroRtt: return 0x1;
      case PacketType::kHandshake: return 0x2;
      case PacketType::kRetry: return 0x3;
      default: return std::nullopt;
    }
  }
  if (version == kQuicVersion2) {
    // RFC 9369 §3.2.
    switch (type) {
      case PacketType::kInitial: return 0x1;
      case PacketType::kZeroRtt: return 0x2;
      case PacketType::kHandshake: return 0x3;
      case PacketType::kRetry: return 0x0;
      default: return std::nullopt;
    }
  }
  return std::nullopt;
}

std::optional<PacketType> LongPacketTypeFromBits(uint32_t version, uint8_t bits) {
  if (bits > 3 || !IsSupportedVersion(version)) return std::nullopt;
  for (PacketType t : {PacketType::kInitial, PacketType::kZeroRtt, PacketType::kHandshake,
                       PacketType::kRetry}) {
    std::optional<uint8_t> b = LongPacketTypeBits(version, t);
    if (b.has_value() && *b == bits) return t;
  }
  return std::nullopt;
}

absl::StatusOr<PacketHeader> ParsePacketHeader(absl::Span<const uint8_t> datagram,
                                               size_t short_header_dcid_len,
                                               const PacketHeaderParseOptions& options) {
  if (datagram.empty()) return Malformed("empty packet");
  if (IsLongHeader(datagram[0])) return ParseLongHeader(datagram, options);
  if (short_header_dcid_len > kMaxConnectionIdLength) {
    return absl::InvalidArgumentError("short header connection ID length above 20");
  }
  // RFC 9000 §17.3.1: a 1-RTT packet with the Fixed Bit 0 is discarded.
  if ((datagram[0] & kFixedBit) == 0 && !options.allow_missing_fixed_bit) {
    return Malformed("Fixed Bit is 0");
  }
  return ParseShortHeader(datagram, short_header_dcid_len);
}

absl::StatusOr<UnprotectedHeaderBits> ReadUnprotectedHeaderBits(
    const PacketHeader& header, absl::Span<const uint8_t> packet) {
  const bool has_pn =
      header.long_header
          ? header.version_supported && (header.type == PacketType::kInitial ||
                                         header.type == PacketType::kZeroRtt ||
                                         header.type == PacketType::kHandshake)
          : header.type == PacketType::kOneRtt;
  if (!has_pn) return absl::InvalidArgumentError("packet type has no packet number");
  if (packet.empty() || header.packet_length > packet.size() ||
      header.pn_offset >= header.packet_length) {
    return absl::InvalidArgumentError("packet shorter than its parsed header");
  }
  UnprotectedHeaderBits bits;
  const uint8_t first = packet[0];
  bits.pn_length = static_cast<size_t>(first & kPacketNumberLengthBits) + 1;
  if (header.long_header) {
    bits.reserved_bits_set = (first & kLongHeaderReservedBits) != 0;
  } else {
    bits.reserved_bits_set = (first & kShortHeaderReservedBits) != 0;
    bits.key_phase = (first & kKeyPhaseBit) != 0;
  }
  DataReader reader(packet.subspan(0, header.packet_length));
  if (!reader.Skip(header.pn_offset) || !reader.ReadUIntN(bits.pn_length, &bits.truncated_pn)) {
    return Malformed("packet number runs past the packet");
  }
  return bits;
}

std::optional<ConnectionId> PeekDestinationConnectionId(absl::Span<const uint8_t> datagram,
                                                        size_t short_header_dcid_len) {
  if (datagram.empty()) return std::nullopt;
  DataReader reader(datagram);
  reader.Skip(1);
  absl::Span<const uint8_t> dcid;
  if (IsLongHeader(datagram[0])) {
    if (!reader.Skip(4) || !ReadConnectionId(reader, kMaxConnectionIdLength, &dcid)) {
      return std::nullopt;
    }
  } else {
    if (short_header_dcid_len > kMaxConnectionIdLength ||
        !reader.ReadBytes(short_header_dcid_len, &dcid)) {
      return std::nullopt;
    }
  }
  return ConnectionId(dcid);
}

bool WriteLongHeader(DataWriter& writer, const LongHeaderFields& fields, size_t pn_len,
                     uint64_t truncated_pn, size_t length_field_len, size_t* length_field_offset,
                     size_t* pn_offset) {
  if (fields.type != PacketType::kInitial && fields.type != PacketType::kZeroRtt &&
      fields.type != PacketType::kHandshake) {
    return false;
  }
  std::optional<uint8_t> type_bits = LongPacketTypeBits(fields.version, fields.type);
  if (!type_bits.has_value() || !ValidPacketNumber(pn_len, truncated_pn) ||
      !ValidLengthFieldLength(length_field_len)) {
    return false;
  }
  const bool initial = fields.type == PacketType::kInitial;
  if (!initial && !fields.token.empty()) return false;
  const size_t token_len_len = initial ? VarIntLength(fields.token.size()) : 0;
  if (initial && token_len_len == 0) return false;
  const size_t needed = 1 + 4 + 1 + fields.dcid.length() + 1 + fields.scid.length() +
                        token_len_len + fields.token.size() + length_field_len + pn_len;
  if (writer.remaining() < needed) return false;

  const uint8_t first = static_cast<uint8_t>(kHeaderFormBit | kFixedBit |
                                             (*type_bits << kLongPacketTypeShift) | (pn_len - 1));
  bool ok = writer.WriteUInt8(first) && writer.WriteUInt32(fields.version) &&
            writer.WriteUInt8(static_cast<uint8_t>(fields.dcid.length())) &&
            writer.WriteBytes(fields.dcid.span()) &&
            writer.WriteUInt8(static_cast<uint8_t>(fields.scid.length())) &&
            writer.WriteBytes(fields.scid.span());
  if (ok && initial) {
    ok = writer.WriteVarInt(fields.token.size()) && writer.WriteBytes(fields.token);
  }
  const size_t length_offset = writer.length();
  ok = ok && writer.WriteVarIntWithLength(0, length_field_len);
  const size_t pn_start = writer.length();
  ok = ok && writer.WriteUIntN(pn_len, truncated_pn);
  // Room was checked up front, so every write above succeeds.
  if (!ok) return false;
  if (length_field_offset != nullptr) *length_field_offset = length_offset;
  if (pn_offset != nullptr) *pn_offset = pn_start;
  return true;
}

bool PatchLongHeaderLength(absl::Span<uint8_t> buffer, size_t length_field_offset,
                           size_t length_field_len, uint64_t length) {
  if (!ValidLengthFieldLength(length_field_len) || length_field_offset > buffer.size() ||
      buffer.size() - length_field_offset < length_field_len) {
    return false;
  }
  DataWriter writer(buffer.subspan(length_field_offset, length_field_len));
  return writer.WriteVarIntWithLength(length, length_field_len);
}

bool WriteShortHeader(DataWriter& writer, const ConnectionId& dcid, bool spin, bool key_phase,
                      size_t pn_len, uint64_t truncated_pn, size_t* pn_offset) {
  if (!ValidPacketNumber(pn_len, truncated_pn)) return false;
  if (writer.remaining() < 1 + dcid.length() + pn_len) return false;
  uint8_t first = static_cast<uint8_t>(kFixedBit | (pn_len - 1));
  if (spin) first |= kSpinBit;
  if (key_phase) first |= kKeyPhaseBit;
  bool ok = writer.WriteUInt8(first) && writer.WriteBytes(dcid.span());
  const size_t pn_start = writer.length();
  ok = ok && writer.WriteUIntN(pn_len, truncated_pn);
  if (!ok) return false;
  if (pn_offset != nullptr) *pn_offset = pn_start;
  return true;
}

bool WriteVersionNegotiation(DataWriter& writer, absl::Span<const uint8_t> dcid,
                             absl::Span<const uint8_t> scid, absl::Span<const uint32_t> versions,
                             uint8_t unused_bits) {
  if (dcid.size() > kMaxInvariantConnectionIdLength ||
      scid.size() > kMaxInvariantConnectionIdLength || versions.empty() ||
      versions.size() > kMaxVersionNegotiationVersions) {
    return false;
  }
  if (writer.remaining() < 1 + 4 + 1 + dcid.size() + 1 + scid.size() + 4 * versions.size()) {
    return false;
  }
  const uint8_t first =
      static_cast<uint8_t>(kHeaderFormBit | kFixedBit | (unused_bits & kVersionNegotiationUnusedMask));
  bool ok = writer.WriteUInt8(first) && writer.WriteUInt32(0) &&
            writer.WriteUInt8(static_cast<uint8_t>(dcid.size())) && writer.WriteBytes(dcid) &&
            writer.WriteUInt8(static_cast<uint8_t>(scid.size())) && writer.WriteBytes(scid);
  for (uint32_t v : versions) ok = ok && writer.WriteUInt32(v);
  return ok;
}

bool WriteRetryPacketWithoutTag(DataWriter& writer, uint32_t version, const ConnectionId& dcid,
                                const ConnectionId& scid, absl::Span<const uint8_t> token,
                                uint8_t unused_bits) {
  std::optional<uint8_t> type_bits = LongPacketTypeBits(version, PacketType::kRetry);
  if (!type_bits.has_value() || token.empty()) return false;
  if (writer.remaining() < 1 + 4 + 1 + dcid.length() + 1 + scid.length() + token.size()) {
    return false;
  }
  const uint8_t first =
      static_cast<uint8_t>(kHeaderFormBit | kFixedBit | (*type_bits << kLongPacketTypeShift) |
                           (unused_bits & kRetryUnusedBits));
  return writer.WriteUInt8(first) && writer.WriteUInt32(version) &&
         writer.WriteUInt8(static_cast<uint8_t>(dcid.length())) &&
         writer.WriteBytes(dcid.span()) &&
         writer.WriteUInt8(static_cast<uint8_t>(scid.length())) &&
         writer.WriteBytes(scid.span()) && writer.WriteBytes(token);
}

}  // namespace kite::quic
