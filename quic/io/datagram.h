// What travels with one UDP datagram between the socket and the rest of kite: its path
// (addresses), its ECN codepoint (RFC 3168 §5, RFC 9000 §13.4) and its bytes.
#ifndef KITE_QUIC_IO_DATAGRAM_H_
#define KITE_QUIC_IO_DATAGRAM_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "quic/connection/socket_address.h"
#include "quic/recovery/ack_ranges.h"

namespace kite::quic::io {

// The ECN codepoint type the connection uses (RFC 3168 §5; RFC 9000 §13.4), so datagrams pass
// between socket and connection without conversion.
using ::kite::quic::EcnCodepoint;

inline constexpr uint8_t kEcnMask = 0b11;

// One datagram as received. `data` points into a RecvBatch buffer and is valid until the next
// Receive() on that batch (or until the buffer is taken).
struct ReceivedDatagram {
  // local: the address the datagram was sent to (IP_PKTINFO / IPV6_PKTINFO) with the socket's
  // port; remote: its source.
  NetworkPath path;
  EcnCodepoint ecn = EcnCodepoint::kNotEct;
  absl::Span<const uint8_t> data;
};

// One datagram, or a train of equal-sized datagrams to one destination, to send.
struct OutgoingDatagram {
  absl::Span<const uint8_t> data;
  // remote: the destination. local: the source IP to send from (port ignored); all-zero lets
  // the kernel choose. Only used on a socket bound to a wildcard address, where it keeps replies
  // coming from the address the peer wrote to.
  NetworkPath path;
  // RFC 9000 §13.4.2: QUIC endpoints mark their packets ECT(0) while ECN validation succeeds.
  EcnCodepoint ecn = EcnCodepoint::kEct0;
  // 0, or >= data.size(): `data` is one datagram. Otherwise `data` is several datagrams of
  // `segment_size` bytes back to back, the last one possibly shorter, sent with one UDP GSO
  // call where the kernel offers it and one by one otherwise.
  size_t segment_size = 0;

  size_t segment_count() const {
    if (segment_size == 0 || segment_size >= data.size()) return 1;
    return (data.size() + segment_size - 1) / segment_size;
  }
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_DATAGRAM_H_
