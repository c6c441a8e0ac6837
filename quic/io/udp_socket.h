// A non-blocking IPv4 or IPv6 UDP socket for QUIC (Linux): batch receive with recvmmsg into
// pool buffers, batch send with sendmmsg, UDP GSO (UDP_SEGMENT) and GRO (UDP_GRO) where the
// kernel has them, per-datagram ECN (RFC 9000 §13.4) and per-datagram local address.
//
// Offloads are probed when the socket is created and can be forced off (the fallback sends
// each segment as its own datagram and lets the kernel hand every datagram up separately);
// both paths put the same datagrams on the wire. A GSO send the kernel refuses with EIO
// (no checksum offload on the route) switches the socket to the fallback for good.
//
// Threading: one socket belongs to one event loop thread; nothing here locks.
#ifndef KITE_QUIC_IO_UDP_SOCKET_H_
#define KITE_QUIC_IO_UDP_SOCKET_H_

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "buffers/packet_pool.h"
#include "quic/connection/socket_address.h"
#include "quic/io/datagram.h"

namespace kite::quic::io {

// Messages per recvmmsg/sendmmsg call (the kernel caps a call at UIO_MAXIOV = 1024; 64 keeps
// the scratch arrays small and a batch within one loop iteration's budget).
inline constexpr size_t kMaxBatchMessages = 64;
// Segments in one GSO send: the kernel's UDP_MAX_SEGMENTS was 64 for years (newer kernels
// allow 128), so 64 works everywhere.
inline constexpr size_t kMaxGsoSegments = 64;
// A GSO train and a GRO-coalesced receive both fit one 64 KiB IP payload.
inline constexpr size_t kMaxGsoBytes = 65535 - 8 - 40;
// Receive buffers smaller than this cannot take a GRO super-datagram; the socket turns GRO off
// when handed such a batch rather than have the kernel truncate coalesced datagrams.
inline constexpr size_t kGroBufferSize = buffers::kMaxPacketBufferSize;
// Control-message room per message: PKTINFO + TOS/TCLASS + GRO/GSO segment size, for either
// family, with slack for a dual-stack socket receiving both IP_TOS and IP_PKTINFO.
inline constexpr size_t kControlBytes = 256;

struct UdpSocketOptions {
  // Try UDP_SEGMENT for sends. false forces the fallback (one datagram per sendmmsg entry).
  bool gso = true;
  // Try UDP_GRO for receives. false forces the fallback (the kernel splits coalesced packets).
  bool gro = true;
  // Ask for IP_RECVTOS / IPV6_RECVTCLASS so received datagrams report their ECN codepoint.
  bool receive_ecn = true;
  // SO_REUSEPORT: several sockets (one per worker) on one port, the kernel hashing flows over them.
  bool reuse_port = false;
  // IPV6_V6ONLY for an IPv6 socket; false makes a wildcard IPv6 socket dual-stack.
  bool ipv6_only = true;
  // SO_RCVBUF / SO_SNDBUF when > 0.
  int receive_buffer_bytes = 0;
  int send_buffer_bytes = 0;
};

// A batch of receive slots, each holding a pool buffer, reused across Receive() calls: in the
// steady state a receive acquires and releases nothing. The pool must outlive the batch.
class RecvBatch {
 public:
  struct Message {
    buffers::PacketBuffer buffer;  // size() is the received length
    NetworkPath path;
    EcnCodepoint ecn = EcnCodepoint::kNotEct;
    // GRO: the size of each coalesced datagram (the last may be shorter); 0 for one datagram.
    size_t segment_size = 0;
    // The datagram did not fit the buffer (MSG_TRUNC) and must be dropped.
    bool truncated = false;
  };

  // `max_messages` is clamped to [1, kMaxBatchMessages].
  RecvBatch(buffers::PacketPool* pool, size_t max_messages);
  RecvBatch(const RecvBatch&) = delete;
  RecvBatch& operator=(const RecvBatch&) = delete;

  size_t max_messages() const { return slots_.size(); }
  size_t buffer_size() const { return pool_->buffer_size(); }
  // Messages filled by the last Receive().
  size_t message_count() const { return count_; }
  Message& message(size_t i) { return slots_[i]; }
  const Message& message(size_t i) const { return slots_[i]; }
  // Total datagrams of the last Receive() once GRO trains are split.
  size_t datagram_count() const;

  // Calls `fn` once per datagram of the last Receive(), GRO trains split by segment size,
  // truncated messages skipped.
  void ForEachDatagram(absl::FunctionRef<void(const ReceivedDatagram&)> fn) const;

 private:
  friend class UdpSocket;

  buffers::PacketPool* pool_;
  std::vector<Message> slots_;
  size_t count_ = 0;
  // Kernel-facing scratch, sized once.
  std::vector<mmsghdr> headers_;
  std::vector<iovec> iovecs_;
  std::vector<sockaddr_storage> names_;
  std::vector<std::array<uint64_t, kControlBytes / sizeof(uint64_t)>> controls_;
};

// What Send() got done. Entries [0, entries_done) are finished (sent, or dropped on a hard error
// counted in `dropped`); the first `partial_segments` datagrams of entry `entries_done` were
// also sent (only when the fallback path was cut short by a full socket buffer). The caller
// resumes at that entry, skipping those segments.
struct SendResult {
  size_t entries_done = 0;
  size_t partial_segments = 0;
  size_t datagrams_sent = 0;
  size_t dropped = 0;
  // The last hard error (not EAGAIN), OK if none.
  absl::Status last_error;
  // The socket buffer filled: wait for writability before sending the rest.
  bool would_block = false;
};

class UdpSocket {
 public:
  // Creates a non-blocking socket of `local`'s family, applies `options`, binds (port 0 picks a
  // free port) and probes the offloads.
  static absl::StatusOr<std::unique_ptr<UdpSocket>> Bind(const SocketAddress& local,
                                                         const UdpSocketOptions& options = {});
  ~UdpSocket();
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;

  // Restricts the socket to one peer (the kernel then also reports ICMP errors from it).
  absl::Status Connect(const SocketAddress& remote);

  int fd() const { return fd_; }
  // The bound address, with the port the kernel picked.
  const SocketAddress& local_address() const { return local_; }
  bool ipv6() const { return ipv6_; }
  bool gso_enabled() const { return gso_; }
  bool gro_enabled() const { return gro_; }
  // Whether received datagrams report their ECN codepoint.
  bool ecn_receive_enabled() const { return ecn_receive_; }

  // Reads up to batch.max_messages() datagrams (or GRO trains) without blocking. Returns the
  // message count, 0 when nothing is waiting. ResourceExhausted if the pool has no buffer for
  // even one slot.
  absl::StatusOr<size_t> Receive(RecvBatch& batch);

  // Sends `entries` in order without blocking, with as few syscalls as the offloads allow.
  // InvalidArgument (nothing sent) if an entry has more than kMaxGsoSegments segments or more
  // than kMaxGsoBytes of data with segments.
  absl::StatusOr<SendResult> Send(absl::Span<const OutgoingDatagram> entries);

  // Turns GSO off (for tests of the fallback, or after the kernel refused it).
  void DisableGso() { gso_ = false; }
  // Turns GRO off on the socket.
  void DisableGro();

 private:
  UdpSocket(int fd, bool ipv6, const SocketAddress& local);

  // Fills one send header for `segment` bytes of `entry`; `gso_segment` > 0 adds UDP_SEGMENT.
  void PrepareSend(size_t slot, const OutgoingDatagram& entry, absl::Span<const uint8_t> bytes,
                   uint16_t gso_segment);
  // One sendmmsg over slots [0, count): the number sent, 0 with *would_block, or -errno.
  int SendSlots(size_t count, bool* would_block);

  int fd_;
  bool ipv6_;
  bool wildcard_;
  SocketAddress local_;
  bool gso_ = false;
  bool gro_ = false;
  bool ecn_receive_ = false;

  std::array<mmsghdr, kMaxBatchMessages> send_headers_{};
  std::array<iovec, kMaxBatchMessages> send_iovecs_{};
  std::array<sockaddr_storage, kMaxBatchMessages> send_names_{};
  std::array<std::array<uint64_t, kControlBytes / sizeof(uint64_t)>, kMaxBatchMessages>
      send_controls_{};
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_UDP_SOCKET_H_
