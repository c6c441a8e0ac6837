// The version-independent header fields (RFC 8999 §5): enough of a packet to route it before
// knowing its version, and to answer an unknown version with Version Negotiation.
#ifndef KITE_QUIC_IO_INVARIANT_HEADER_H_
#define KITE_QUIC_IO_INVARIANT_HEADER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/types/span.h"

namespace kite::quic::io {

struct InvariantHeader {
  bool long_header = false;
  uint8_t first_byte = 0;
  uint32_t version = 0;                // long headers only
  absl::Span<const uint8_t> dcid;      // up to 255 bytes (RFC 8999 §5.1)
  absl::Span<const uint8_t> scid;      // long headers only
};

// Parses the invariant fields of the first packet in `datagram`. A short header carries no
// length for its Destination Connection ID, so the caller says how long the IDs it issued are
// (`short_header_dcid_len`). nullopt when the datagram is too short to hold the fields.
std::optional<InvariantHeader> ParseInvariantHeader(absl::Span<const uint8_t> datagram,
                                                    size_t short_header_dcid_len);

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_INVARIANT_HEADER_H_
