// Once its buffers have grown, the QlogWriter builds every packet record without touching the
// heap (the brief for kite's observers: logging must not add per-packet allocations).
#include <catch2/catch.hpp>

#include <cstdint>
#include <string_view>

#include "quic/qlog/qlog_writer.h"
#include "test/buffers/counting_new.h"

namespace kite::quic::qlog::test {
namespace {

// Counts bytes and records; keeps nothing.
class CountingSink : public QlogSink {
 public:
  void Write(std::string_view bytes) override {
    bytes_ += bytes.size();
    for (char c : bytes) records_ += c == '\x1e';
  }
  uint64_t bytes_ = 0;
  uint64_t records_ = 0;
};

TEST_CASE("steady-state packet logging does not allocate", "[qlog]") {
  CountingSink sink;
  QlogOptions o;
  const uint8_t cid[] = {1, 2, 3, 4, 5, 6, 7, 8};
  o.odcid = ConnectionId(cid, sizeof(cid));
  QlogWriter w(o, &sink);
  const uint8_t payload[1100] = {};
  absl::Time now = absl::FromUnixSeconds(1700000000);
  uint64_t pn = 0;

  auto round = [&] {
    now += absl::Microseconds(250);
    // A sent 1-RTT packet: ACK + STREAM.
    PacketInfo tx;
    tx.type = PacketType::kOneRtt;
    tx.packet_number = pn;
    AckFrame ack;
    ack.ranges = {AckRange{pn + 5, pn + 9}, AckRange{pn, pn + 3}};
    ack.ack_delay = 40;
    w.OnFrame(now, tx, ack, true);
    StreamFrame s;
    s.stream_id = 4;
    s.offset = pn * 1100;
    s.data = absl::MakeConstSpan(payload);
    w.OnFrame(now, tx, s, true);
    tx.size = 1200;
    w.OnPacketSent(now, tx);
    // A received packet with an ACK, then what the ACK caused.
    PacketInfo rx;
    rx.type = PacketType::kOneRtt;
    rx.packet_number = pn;
    rx.size = 45;
    w.OnPacketReceived(now, rx);
    w.OnFrame(now, rx, ack, false);
    w.OnPacketLost(now, PacketType::kOneRtt, pn, 1200);
    w.OnRecoveryMetrics(now, 12000 + pn, 6000 + (pn % 7) * 1200, absl::Milliseconds(20),
                        absl::Milliseconds(18), absl::Microseconds(20000 + pn % 100),
                        absl::Milliseconds(4), 0);
    ++pn;
  };

  for (int i = 0; i < 200; ++i) round();  // let the buffers reach their working size
  const uint64_t records_before = sink.records_;
  const uint64_t before = kite::testing::HeapAllocationCount();
  for (int i = 0; i < 2000; ++i) round();
  const uint64_t allocations = kite::testing::HeapAllocationCount() - before;
  CHECK(allocations == 0);
  // Every round wrote packet_sent, packet_received, packet_lost and metrics (the previous
  // round's received packet is closed by this round's packet_sent).
  CHECK(sink.records_ - records_before == 2000 * 4);
  // The counter does count (a direct call, which the compiler may not elide).
  const uint64_t probe = kite::testing::HeapAllocationCount();
  void* p = ::operator new(100);
  CHECK(kite::testing::HeapAllocationCount() == probe + 1);
  ::operator delete(p);
}

}  // namespace
}  // namespace kite::quic::qlog::test
