// A bounded, cross-thread queue of datagrams with an eventfd, for handing a datagram that
// reached the wrong worker to the one that owns it (see worker_pool.h).
//
// Datagrams are copied into fixed slots allocated once, so pushing and draining allocate
// nothing and pool buffers never cross threads (a PacketPool is single-threaded). A full inbox
// drops the datagram and counts it: UDP may lose packets and QUIC recovers, while an unbounded
// queue would let one worker's backlog grow without limit.
#ifndef KITE_QUIC_IO_DATAGRAM_INBOX_H_
#define KITE_QUIC_IO_DATAGRAM_INBOX_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "quic/io/datagram.h"

namespace kite::quic::io {

// Forwarded datagrams are single datagrams (GRO trains are split first) within an Ethernet-ish
// path MTU; anything larger is dropped rather than given a bigger slot.
inline constexpr size_t kMaxForwardedDatagramSize = 1500;
inline constexpr size_t kDefaultInboxCapacity = 256;

class DatagramInbox {
 public:
  // `capacity` slots, at least 1.
  static absl::StatusOr<std::unique_ptr<DatagramInbox>> Create(size_t capacity);
  ~DatagramInbox();
  DatagramInbox(const DatagramInbox&) = delete;
  DatagramInbox& operator=(const DatagramInbox&) = delete;

  // The eventfd to watch for readability on the consumer's loop.
  int fd() const { return event_fd_; }

  // Any thread. Copies `d`; false (and counted) when full or too large.
  bool Push(const ReceivedDatagram& d);

  // Consumer thread only. Hands every queued datagram to `fn` (outside the lock) and clears the
  // eventfd. Returns how many were handled.
  size_t Drain(absl::FunctionRef<void(const ReceivedDatagram&)> fn);

  uint64_t dropped() const;

 private:
  struct Slot {
    NetworkPath path;
    EcnCodepoint ecn = EcnCodepoint::kNotEct;
    uint16_t length = 0;
    std::array<uint8_t, kMaxForwardedDatagramSize> bytes;
  };

  DatagramInbox(size_t capacity, int event_fd);

  const int event_fd_;
  mutable absl::Mutex mutex_;
  std::vector<Slot> ring_ ABSL_GUARDED_BY(mutex_);
  size_t head_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t count_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t dropped_ ABSL_GUARDED_BY(mutex_) = 0;
  // Consumer-side copy, so handlers run without the lock.
  std::vector<Slot> scratch_;
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_DATAGRAM_INBOX_H_
