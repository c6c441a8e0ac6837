#include "quic/io/invariant_header.h"

#include "quic/codec/data_reader.h"

namespace kite::quic::io {

std::optional<InvariantHeader> ParseInvariantHeader(absl::Span<const uint8_t> datagram,
                                                    size_t short_header_dcid_len) {
  DataReader reader(datagram);
  InvariantHeader h;
  if (!reader.ReadUInt8(&h.first_byte)) return std::nullopt;
  // RFC 8999 §5.1: the most significant bit of the first byte is the Header Form.
  h.long_header = (h.first_byte & 0x80) != 0;
  if (!h.long_header) {
    // RFC 8999 §5.2: Short Header = form bit, 7 version-specific bits, DCID.
    if (!reader.ReadBytes(short_header_dcid_len, &h.dcid)) return std::nullopt;
    return h;
  }
  // RFC 8999 §5.1: Version (32), DCID Length (8), DCID (0..2040), SCID Length (8), SCID.
  uint8_t len = 0;
  if (!reader.ReadUInt32(&h.version) || !reader.ReadUInt8(&len) ||
      !reader.ReadBytes(len, &h.dcid) || !reader.ReadUInt8(&len) ||
      !reader.ReadBytes(len, &h.scid)) {
    return std::nullopt;
  }
  return h;
}

}  // namespace kite::quic::io
