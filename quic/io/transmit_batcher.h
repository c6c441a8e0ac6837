// Gathers the datagrams a sans-I/O connection writes (PollTransmit into NextBuffer()) into
// UDP GSO trains, and sends them with one UdpSocket::Send.
//
// Consecutive datagrams share a train, written back to back into one pool buffer, while they
// go the same way (path and ECN codepoint) and are no larger than the train's first datagram;
// a shorter one ends the train (GSO's last segment may be short, UDP_SEGMENT in udp(7)). A
// connection emits full-sized datagrams until it runs out of data, so a burst is typically one
// train and one syscall. On a socket without GSO the same trains go out one datagram per
// sendmmsg entry. Datagrams that did not fit the socket buffer stay queued for the next Flush().
//
// Single-threaded; the pool must outlive the batcher. Buffers should be kMaxPacketBufferSize
// for long trains (a 1500-byte pool still works: one datagram per train).
#ifndef KITE_QUIC_IO_TRANSMIT_BATCHER_H_
#define KITE_QUIC_IO_TRANSMIT_BATCHER_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "buffers/packet_pool.h"
#include "quic/io/datagram.h"
#include "quic/io/udp_socket.h"

namespace kite::quic::io {

class TransmitBatcher {
 public:
  TransmitBatcher(buffers::PacketPool* pool, UdpSocket* socket);
  TransmitBatcher(const TransmitBatcher&) = delete;
  TransmitBatcher& operator=(const TransmitBatcher&) = delete;

  // Room for the next datagram, `max_datagram` bytes: the free tail of the open train, or a
  // fresh pool buffer. Empty when every train slot is taken (Flush first), the pool is
  // exhausted, or `max_datagram` exceeds the pool's buffer size.
  absl::Span<uint8_t> NextBuffer(size_t max_datagram);

  // Records that the first `size` bytes of the span NextBuffer() last returned hold a datagram
  // for `path`. Without a preceding NextBuffer() (or with `size` 0 or larger than that span)
  // nothing is recorded. Returns false if the datagram had to be dropped (no buffer to move it
  // to when it could not join the open train).
  bool Commit(size_t size, const NetworkPath& path, EcnCodepoint ecn = EcnCodepoint::kEct0);

  // Sends everything queued. What the socket could not take stays queued (result.would_block).
  absl::StatusOr<SendResult> Flush();

  bool has_pending() const { return count_ > first_; }
  size_t pending_trains() const { return count_ - first_; }
  size_t pending_datagrams() const;
  // Datagrams dropped by Commit.
  uint64_t dropped() const { return dropped_; }

 private:
  struct Train {
    buffers::PacketBuffer buffer;
    size_t offset = 0;  // start of the unsent part
    size_t used = 0;    // end of the written part
    size_t segment_size = 0;
    size_t segments = 0;
    NetworkPath path;
    EcnCodepoint ecn = EcnCodepoint::kEct0;
    bool closed = false;
  };
  enum class Staged { kNone, kTail, kFresh };

  Train* OpenTrain();
  // Moves unsent trains to the front of the array.
  void Compact();

  buffers::PacketPool* pool_;
  UdpSocket* socket_;
  std::array<Train, kMaxBatchMessages> trains_;
  size_t first_ = 0;
  size_t count_ = 0;
  // The buffer NextBuffer() handed out, and where.
  Staged staged_ = Staged::kNone;
  size_t staged_size_ = 0;
  buffers::PacketBuffer fresh_;  // kept across calls when unused, so polling allocates nothing
  std::array<OutgoingDatagram, kMaxBatchMessages> entries_;
  uint64_t dropped_ = 0;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_TRANSMIT_BATCHER_H_
