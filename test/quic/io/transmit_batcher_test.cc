#include "quic/io/transmit_batcher.h"

#include <poll.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "quic/io/clock.h"
#include "quic/io/connection_driver.h"
#include "quic/io/event_loop.h"
#include "quic/io/sockaddr.h"
#include "quic/io/udp_socket.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

std::unique_ptr<UdpSocket> MustBind(const UdpSocketOptions& options = {}) {
  auto s = UdpSocket::Bind(*ParseIp("127.0.0.1", 0), options);
  REQUIRE(s.ok());
  return std::move(*s);
}

std::unique_ptr<buffers::PacketPool> MakePool(size_t buffer_size) {
  buffers::PacketPoolOptions o;
  o.buffer_size = buffer_size;
  o.initial_buffers = 4;
  o.max_buffers = 256;
  o.buffers_per_slab = 16;
  return std::move(*buffers::PacketPool::Create(o));
}

// The datagrams `socket` receives, until `want` arrived or it stays idle for 2 s.
std::vector<Bytes> Drain(UdpSocket& socket, size_t want) {
  auto pool = MakePool(buffers::kMaxPacketBufferSize);
  RecvBatch batch(pool.get(), 32);
  std::vector<Bytes> got;
  while (got.size() < want) {
    pollfd p{socket.fd(), POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    auto n = socket.Receive(batch);
    REQUIRE(n.ok());
    batch.ForEachDatagram(
        [&](const ReceivedDatagram& d) { got.emplace_back(d.data.begin(), d.data.end()); });
  }
  return got;
}

// Writes a datagram of `size` bytes whose bytes all equal `tag` through the batcher.
void Put(TransmitBatcher& b, size_t size, uint8_t tag, const SocketAddress& to,
         size_t max = 1500) {
  absl::Span<uint8_t> out = b.NextBuffer(max);
  REQUIRE(out.size() == max);
  for (size_t i = 0; i < size; ++i) out[i] = tag;
  NetworkPath path;
  path.remote = to;
  REQUIRE(b.Commit(size, path));
}

void CheckDatagram(const Bytes& d, size_t size, uint8_t tag) {
  CHECK(d.size() == size);
  CHECK(d == Bytes(size, tag));
}

TEST_CASE("TransmitBatcher turns a burst into one GSO train", "[io][batcher]") {
  for (bool gso : {true, false}) {
    UdpSocketOptions options;
    options.gso = gso;
    auto server = MustBind();
    auto client = MustBind(options);
    auto pool = MakePool(buffers::kMaxPacketBufferSize);
    TransmitBatcher batcher(pool.get(), client.get());
    for (uint8_t i = 0; i < 10; ++i) Put(batcher, 1200, i, server->local_address());
    Put(batcher, 500, 10, server->local_address());
    CHECK(batcher.pending_trains() == 1);
    CHECK(batcher.pending_datagrams() == 11);
    auto sent = batcher.Flush();
    REQUIRE(sent.ok());
    CHECK(sent->datagrams_sent == 11);
    CHECK_FALSE(batcher.has_pending());
    auto got = Drain(*server, 11);
    REQUIRE(got.size() == 11);
    for (uint8_t i = 0; i < 10; ++i) CheckDatagram(got[i], 1200, i);
    CheckDatagram(got[10], 500, 10);
    CHECK(pool->in_use() <= 1);  // only the spare buffer is kept
  }
}

TEST_CASE("TransmitBatcher starts a new train on a new path, codepoint or size", "[io][batcher]") {
  auto a = MustBind();
  auto b = MustBind();
  auto client = MustBind();
  auto pool = MakePool(buffers::kMaxPacketBufferSize);
  TransmitBatcher batcher(pool.get(), client.get());
  Put(batcher, 1000, 1, a->local_address());
  Put(batcher, 1000, 2, a->local_address());
  Put(batcher, 1000, 3, b->local_address());  // new path
  Put(batcher, 1000, 4, b->local_address());
  Put(batcher, 1100, 5, b->local_address());  // larger than the train's segments
  Put(batcher, 700, 6, b->local_address());   // shorter: joins, and ends the train
  Put(batcher, 700, 7, b->local_address());   // so this one starts another
  {
    absl::Span<uint8_t> out = batcher.NextBuffer(1500);  // another codepoint
    std::fill(out.begin(), out.begin() + 700, uint8_t{8});
    NetworkPath path;
    path.remote = b->local_address();
    REQUIRE(batcher.Commit(700, path, EcnCodepoint::kEct1));
  }
  CHECK(batcher.pending_trains() == 5);
  CHECK(batcher.pending_datagrams() == 8);
  // Commit without NextBuffer, or larger than the span, records nothing.
  NetworkPath p;
  p.remote = a->local_address();
  CHECK_FALSE(batcher.Commit(10, p));
  CHECK(batcher.NextBuffer(100).size() == 100);
  CHECK_FALSE(batcher.Commit(101, p));
  CHECK(batcher.pending_datagrams() == 8);

  auto sent = batcher.Flush();
  REQUIRE(sent.ok());
  CHECK(sent->datagrams_sent == 8);
  auto got_a = Drain(*a, 2);
  REQUIRE(got_a.size() == 2);
  CheckDatagram(got_a[0], 1000, 1);
  CheckDatagram(got_a[1], 1000, 2);
  auto got_b = Drain(*b, 6);
  REQUIRE(got_b.size() == 6);
  CheckDatagram(got_b[0], 1000, 3);
  CheckDatagram(got_b[1], 1000, 4);
  CheckDatagram(got_b[2], 1100, 5);
  CheckDatagram(got_b[3], 700, 6);
  CheckDatagram(got_b[4], 700, 7);
  CheckDatagram(got_b[5], 700, 8);
}

TEST_CASE("TransmitBatcher caps trains at the GSO segment limit and the buffer size",
          "[io][batcher]") {
  auto server = MustBind();
  auto client = MustBind();
  SECTION("segment limit") {
    auto pool = MakePool(buffers::kMaxPacketBufferSize);
    TransmitBatcher batcher(pool.get(), client.get());
    for (int i = 0; i < 70; ++i) Put(batcher, 100, static_cast<uint8_t>(i), server->local_address(), 100);
    CHECK(batcher.pending_trains() == 2);  // 64 + 6
    REQUIRE(batcher.Flush()->datagrams_sent == 70);
    auto got = Drain(*server, 70);
    REQUIRE(got.size() == 70);
    for (int i = 0; i < 70; ++i) CheckDatagram(got[i], 100, static_cast<uint8_t>(i));
  }
  SECTION("small buffers: one datagram per train") {
    auto pool = MakePool(1500);
    TransmitBatcher batcher(pool.get(), client.get());
    for (int i = 0; i < 5; ++i) Put(batcher, 1200, static_cast<uint8_t>(i), server->local_address(), 1452);
    CHECK(batcher.pending_trains() == 5);
    CHECK(batcher.NextBuffer(1501).empty());  // larger than a buffer
    REQUIRE(batcher.Flush()->datagrams_sent == 5);
    CHECK(Drain(*server, 5).size() == 5);
  }
  SECTION("train slots run out") {
    auto pool = MakePool(1500);
    TransmitBatcher batcher(pool.get(), client.get());
    size_t n = 0;
    // Full-buffer datagrams: each fills a buffer, so each takes a train slot.
    while (!batcher.NextBuffer(1500).empty()) {
      NetworkPath path;
      path.remote = server->local_address();
      REQUIRE(batcher.Commit(1500, path));
      ++n;
    }
    CHECK(n == kMaxBatchMessages);
    REQUIRE(batcher.Flush()->datagrams_sent == n);
    CHECK_FALSE(batcher.NextBuffer(100).empty());
    Drain(*server, n);
  }
}

// A stand-in for kite::quic::Connection with the same I/O surface.
struct FakeTransmit {
  size_t size;
  NetworkPath path;
  EcnCodepoint ecn;
};

class FakeConnection {
 public:
  explicit FakeConnection(const SocketAddress& peer) { path_.remote = peer; }
  void OnDatagram(absl::Time now, const NetworkPath& path, absl::Span<const uint8_t> d,
                  EcnCodepoint ecn) {
    received_ecn.push_back(ecn);
    received_at.push_back(now);
    received_paths.push_back(path);
    received.emplace_back(d.begin(), d.end());
    // Answer each datagram with two full ones and a short one.
    for (size_t s : {1200, 1200, 300}) to_send.push_back(s);
  }
  std::optional<FakeTransmit> PollTransmit(absl::Time, absl::Span<uint8_t> out) {
    if (to_send.empty()) return std::nullopt;
    size_t size = to_send.front();
    to_send.pop_front();
    REQUIRE(size <= out.size());
    std::fill(out.begin(), out.begin() + size, next_tag++);
    return FakeTransmit{size, path_, EcnCodepoint::kEct0};
  }
  std::optional<absl::Time> NextDeadline() const { return deadline; }
  void OnTimeout(absl::Time now) {
    timeouts.push_back(now);
    deadline.reset();
    to_send.push_back(40);  // e.g. a PTO probe
  }

  std::deque<size_t> to_send;
  std::optional<absl::Time> deadline;
  std::vector<absl::Time> timeouts;
  std::vector<absl::Time> received_at;
  std::vector<EcnCodepoint> received_ecn;
  std::vector<NetworkPath> received_paths;
  std::vector<Bytes> received;
  uint8_t next_tag = 0;

 private:
  NetworkPath path_;
};

TEST_CASE("ConnectionDriver feeds datagrams, flushes transmits and follows the deadline",
          "[io][batcher][driver]") {
  ManualClock clock;
  auto loop = std::move(*EventLoop::Create(&clock));
  auto peer = MustBind();
  auto socket = MustBind();
  auto pool = MakePool(buffers::kMaxPacketBufferSize);
  TransmitBatcher batcher(pool.get(), socket.get());
  FakeConnection conn(peer->local_address());
  const absl::Time t0 = clock.Now();
  {
    ConnectionDriver<FakeConnection> driver(loop.get(), &conn, &batcher);
    conn.deadline = t0 + absl::Milliseconds(25);

    ReceivedDatagram in;
    Bytes payload(30, 0x77);
    in.data = payload;
    in.path.remote = peer->local_address();
    in.path.local = socket->local_address();
    in.ecn = EcnCodepoint::kCe;
    loop->RunOnce(absl::ZeroDuration());  // sets the loop's Now() from the clock
    driver.OnDatagram(in);
    REQUIRE(conn.received.size() == 1);
    CHECK(conn.received[0] == payload);
    CHECK(conn.received_at[0] == t0);
    CHECK(conn.received_paths[0] == in.path);
    CHECK(conn.received_ecn[0] == EcnCodepoint::kCe);

    CHECK(driver.Flush() == 3);
    REQUIRE(driver.last_send().ok());
    CHECK(driver.last_send()->datagrams_sent == 3);
    auto got = Drain(*peer, 3);
    REQUIRE(got.size() == 3);
    CheckDatagram(got[0], 1200, 0);
    CheckDatagram(got[1], 1200, 1);
    CheckDatagram(got[2], 300, 2);
    CHECK(loop->IsArmed(driver.timer()));
    CHECK(loop->NextTimerDeadline() == t0 + absl::Milliseconds(25));

    clock.Advance(absl::Milliseconds(24));
    loop->RunOnce(absl::ZeroDuration());
    CHECK(conn.timeouts.empty());
    clock.Advance(absl::Milliseconds(1));
    loop->RunOnce(absl::ZeroDuration());
    REQUIRE(conn.timeouts.size() == 1);
    CHECK(conn.timeouts[0] == t0 + absl::Milliseconds(25));
    // The timeout's probe went out, and with no deadline left the timer is disarmed.
    auto probe = Drain(*peer, 1);
    REQUIRE(probe.size() == 1);
    CheckDatagram(probe[0], 40, 3);
    CHECK_FALSE(loop->IsArmed(driver.timer()));
  }
  // The driver's timer went with it.
  CHECK_FALSE(loop->NextTimerDeadline().has_value());
}

}  // namespace
}  // namespace kite::quic::io
