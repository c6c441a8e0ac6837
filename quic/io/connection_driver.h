// Runs one sans-I/O connection on an event loop: hands it received datagrams with the loop's
// time, pulls everything it wants to send into a TransmitBatcher (so bursts become GSO
// trains), and keeps one loop timer armed at its NextDeadline().
//
// A template over the connection type so the I/O layer does not depend on the connection
// library: any type with
//   void OnDatagram(absl::Time, const NetworkPath&, absl::Span<const uint8_t>, EcnCodepoint);
//   std::optional<T> PollTransmit(absl::Time, absl::Span<uint8_t>);  // T has .size, .path, .ecn
//   std::optional<absl::Time> NextDeadline() const;
//   void OnTimeout(absl::Time);
// fits, kite::quic::Connection among them.
#ifndef KITE_QUIC_IO_CONNECTION_DRIVER_H_
#define KITE_QUIC_IO_CONNECTION_DRIVER_H_

#include <cstddef>
#include <cstdint>
#include <optional>

#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/io/datagram.h"
#include "quic/io/event_loop.h"
#include "quic/io/transmit_batcher.h"

namespace kite::quic::io {

// RFC 9000 §14: kite's datagrams stay within an Ethernet MTU until path MTU discovery says more.
inline constexpr size_t kDefaultMaxDatagramSize = 1452;

template <typename Connection>
class ConnectionDriver {
 public:
  // None of the pointers is owned; all must outlive the driver. The batcher may be shared by
  // the connections of one worker.
  ConnectionDriver(EventLoop* loop, Connection* connection, TransmitBatcher* batcher,
                   size_t max_datagram_size = kDefaultMaxDatagramSize)
      : loop_(loop),
        connection_(connection),
        batcher_(batcher),
        max_datagram_size_(max_datagram_size),
        timer_(loop->AddTimer([this] {
          connection_->OnTimeout(loop_->Now());
          Flush();
        })) {}
  ~ConnectionDriver() { loop_->RemoveTimer(timer_); }
  ConnectionDriver(const ConnectionDriver&) = delete;
  ConnectionDriver& operator=(const ConnectionDriver&) = delete;

  // One datagram for this connection (the caller routed it), with its ECN codepoint for the
  // connection's ACK ECN counts (RFC 9000 §13.4.1).
  void OnDatagram(const ReceivedDatagram& d) {
    connection_->OnDatagram(loop_->Now(), d.path, d.data, d.ecn);
  }

  // Pulls datagrams until the connection has none left (or the batcher and socket are full),
  // sends them, and re-arms the timer. Returns the datagrams pulled.
  size_t Flush() {
    const absl::Time now = loop_->Now();
    size_t pulled = 0;
    for (;;) {
      absl::Span<uint8_t> out = batcher_->NextBuffer(max_datagram_size_);
      if (out.empty()) {
        absl::StatusOr<SendResult> sent = batcher_->Flush();
        if (!sent.ok() || sent->would_block) break;
        out = batcher_->NextBuffer(max_datagram_size_);
        if (out.empty()) break;
      }
      auto transmit = connection_->PollTransmit(now, out);
      if (!transmit.has_value()) break;
      // The connection picks the codepoint: ECT(0) while ECN validation holds, Not-ECT after
      // it failed (RFC 9000 §13.4.2).
      if (batcher_->Commit(transmit->size, transmit->path, transmit->ecn)) ++pulled;
    }
    last_send_ = batcher_->Flush();
    RearmTimer();
    return pulled;
  }

  const absl::StatusOr<SendResult>& last_send() const { return last_send_; }
  TimerId timer() const { return timer_; }

 private:
  void RearmTimer() {
    std::optional<absl::Time> deadline = connection_->NextDeadline();
    if (deadline.has_value()) {
      loop_->ArmTimer(timer_, *deadline);
    } else {
      loop_->DisarmTimer(timer_);
    }
  }

  EventLoop* loop_;
  Connection* connection_;
  TransmitBatcher* batcher_;
  size_t max_datagram_size_;
  TimerId timer_;
  absl::StatusOr<SendResult> last_send_ = SendResult{};
};

}  // namespace kite::quic::io

#endif  // KITE_QUIC_IO_CONNECTION_DRIVER_H_
