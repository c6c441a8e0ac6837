// The steady-state I/O path (epoll wakeup, recvmmsg into pool buffers, GRO split, sendmmsg/GSO
// of the replies, re-arming the connection timer) makes no heap allocation. Counted with the
// replacement operator new of //test/buffers:counting_new, linked statically (see BUILD).
#include <poll.h>

#include <array>
#include <cstring>
#include <optional>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "buffers/packet_pool.h"
#include "quic/io/connection_driver.h"
#include "quic/io/event_loop.h"
#include "quic/io/sockaddr.h"
#include "quic/io/transmit_batcher.h"
#include "quic/io/udp_socket.h"
#include "test/buffers/counting_new.h"

namespace kite::quic::io {
namespace {

constexpr size_t kDatagramsPerRound = 24;  // 16 single datagrams + one 8-segment GSO train
constexpr size_t kSegment = 1200;

struct Counters {
  size_t server_received = 0;
  size_t client_received = 0;
  size_t timer_fired = 0;
  size_t send_errors = 0;
};

// One echo server on an event loop and a client, both on loopback. Returns the counters of
// `rounds` measured rounds and stores the allocations they made in `*allocations`.
// An allocation-free stand-in for a connection: echoes what it receives through PollTransmit,
// with a deadline 10 ms after the last datagram.
struct EchoTransmit {
  size_t size;
  NetworkPath path;
  EcnCodepoint ecn;
};
class EchoConnection {
 public:
  void OnDatagram(absl::Time now, const NetworkPath& path, absl::Span<const uint8_t> d,
                  EcnCodepoint) {
    if (count_ == queue_.size() || d.size() > queue_[0].bytes.size()) return;
    Queued& q = queue_[(head_ + count_++) % queue_.size()];
    q.size = d.size();
    q.path.local = path.local;
    q.path.remote = path.remote;
    std::memcpy(q.bytes.data(), d.data(), d.size());
    deadline_ = now + absl::Milliseconds(10);
  }
  std::optional<EchoTransmit> PollTransmit(absl::Time, absl::Span<uint8_t> out) {
    if (count_ == 0) return std::nullopt;
    Queued& q = queue_[head_];
    if (q.size > out.size()) return std::nullopt;
    std::memcpy(out.data(), q.bytes.data(), q.size);
    head_ = (head_ + 1) % queue_.size();
    --count_;
    return EchoTransmit{q.size, q.path, EcnCodepoint::kEct0};
  }
  std::optional<absl::Time> NextDeadline() const { return deadline_; }
  void OnTimeout(absl::Time) { deadline_.reset(); }

 private:
  struct Queued {
    size_t size = 0;
    NetworkPath path;
    std::array<uint8_t, 1500> bytes;
  };
  std::array<Queued, 64> queue_;
  size_t head_ = 0;
  size_t count_ = 0;
  std::optional<absl::Time> deadline_;
};

enum class EchoMode {
  kDirect,  // the server answers with UdpSocket::Send of the received spans
  kDriver,  // ConnectionDriver: OnDatagram, PollTransmit into a TransmitBatcher, timer re-arm
};

Counters RunEcho(const UdpSocketOptions& options, EchoMode mode, size_t rounds,
                 uint64_t* allocations) {
  buffers::PacketPoolOptions pool_options;
  pool_options.buffer_size = buffers::kMaxPacketBufferSize;  // room for GRO trains
  pool_options.initial_buffers = 64;
  pool_options.max_buffers = 128;
  auto pool = std::move(*buffers::PacketPool::Create(pool_options));
  auto server = std::move(*UdpSocket::Bind(*ParseIp("127.0.0.1", 0), options));
  auto client = std::move(*UdpSocket::Bind(*ParseIp("127.0.0.1", 0), options));
  auto loop = std::move(*EventLoop::Create());

  RecvBatch server_batch(pool.get(), 32);
  RecvBatch client_batch(pool.get(), 32);
  std::array<OutgoingDatagram, kMaxBatchMessages> replies;
  Counters counters;

  // The connection's one deadline, re-armed on every datagram as a real server would after
  // OnDatagram/PollTransmit.
  TimerId deadline = loop->AddTimer([&] { ++counters.timer_fired; });

  auto echo = std::make_unique<EchoConnection>();
  TransmitBatcher batcher(pool.get(), server.get());
  ConnectionDriver<EchoConnection> driver(loop.get(), echo.get(), &batcher);

  auto status = loop->WatchFd(server->fd(), kFdReadable, [&](uint32_t) {
    if (mode == EchoMode::kDriver) {
      for (;;) {
        absl::StatusOr<size_t> n = server->Receive(server_batch);
        if (!n.ok() || *n == 0) return;
        // A batch holds at most 32 messages of 24 datagrams in all: the echo queue (64) keeps
        // them, and one Flush sends the replies as GSO trains.
        server_batch.ForEachDatagram([&](const ReceivedDatagram& d) {
          ++counters.server_received;
          driver.OnDatagram(d);
        });
        driver.Flush();
        if (!driver.last_send().ok() || driver.last_send()->dropped != 0) ++counters.send_errors;
      }
    }
    for (;;) {
      absl::StatusOr<size_t> n = server->Receive(server_batch);
      if (!n.ok() || *n == 0) return;
      size_t count = 0;
      server_batch.ForEachDatagram([&](const ReceivedDatagram& d) {
        ++counters.server_received;
        if (count == replies.size()) return;
        OutgoingDatagram& r = replies[count++];
        r.data = d.data;
        r.path.local = d.path.local;
        r.path.remote = d.path.remote;
        r.ecn = EcnCodepoint::kEct0;
        r.segment_size = 0;
      });
      loop->ArmTimer(deadline, loop->Now());
      absl::StatusOr<SendResult> sent = server->Send({replies.data(), count});
      if (!sent.ok() || sent->dropped != 0) ++counters.send_errors;
    }
  });
  REQUIRE(status.ok());

  std::vector<uint8_t> singles(16 * 100);
  std::vector<uint8_t> train(8 * kSegment);
  for (size_t i = 0; i < singles.size(); ++i) singles[i] = static_cast<uint8_t>(i);
  for (size_t i = 0; i < train.size(); ++i) train[i] = static_cast<uint8_t>(i * 3);
  std::array<OutgoingDatagram, 17> burst;
  for (size_t i = 0; i < 16; ++i) {
    burst[i].data = absl::MakeConstSpan(singles).subspan(i * 100, 100);
    burst[i].path.remote = server->local_address();
  }
  burst[16].data = train;
  burst[16].segment_size = kSegment;
  burst[16].path.remote = server->local_address();

  auto one_round = [&] {
    absl::StatusOr<SendResult> sent = client->Send(burst);
    if (!sent.ok() || sent->datagrams_sent != kDatagramsPerRound) ++counters.send_errors;
    size_t got = 0;
    while (got < kDatagramsPerRound) {
      loop->RunOnce(absl::ZeroDuration());
      absl::StatusOr<size_t> n = client->Receive(client_batch);
      if (!n.ok()) break;
      if (*n == 0) {
        pollfd p[2] = {{client->fd(), POLLIN, 0}, {server->fd(), POLLIN, 0}};
        if (poll(p, 2, 2000) <= 0) break;  // lost datagrams: the count check fails below
        continue;
      }
      got += client_batch.datagram_count();
    }
    counters.client_received += got;
  };

  for (int i = 0; i < 20; ++i) one_round();  // warm up: pool slabs, hash map, epoll
  counters = Counters{};
  const uint64_t before = kite::testing::HeapAllocationCount();
  for (size_t i = 0; i < rounds; ++i) one_round();
  *allocations = kite::testing::HeapAllocationCount() - before;
  REQUIRE(loop->UnwatchFd(server->fd()).ok());
  return counters;
}

TEST_CASE("Steady-state receive and send loop allocates nothing", "[io][alloc]") {
  constexpr size_t kRounds = 200;
  SECTION("GSO and GRO where the kernel has them") {
    uint64_t allocations = ~uint64_t{0};
    Counters c = RunEcho(UdpSocketOptions{}, EchoMode::kDirect, kRounds, &allocations);
    CHECK(c.send_errors == 0);
    CHECK(c.server_received == kRounds * kDatagramsPerRound);
    CHECK(c.client_received == kRounds * kDatagramsPerRound);
    CHECK(c.timer_fired > 0);
    CHECK(allocations == 0);
  }
  SECTION("forced fallback") {
    UdpSocketOptions options;
    options.gso = false;
    options.gro = false;
    uint64_t allocations = ~uint64_t{0};
    Counters c = RunEcho(options, EchoMode::kDirect, kRounds, &allocations);
    CHECK(c.send_errors == 0);
    CHECK(c.server_received == kRounds * kDatagramsPerRound);
    CHECK(c.client_received == kRounds * kDatagramsPerRound);
    CHECK(allocations == 0);
  }
  SECTION("through ConnectionDriver and TransmitBatcher (GSO/GRO)") {
    uint64_t allocations = ~uint64_t{0};
    Counters c = RunEcho(UdpSocketOptions{}, EchoMode::kDriver, kRounds, &allocations);
    CHECK(c.send_errors == 0);
    CHECK(c.server_received == kRounds * kDatagramsPerRound);
    CHECK(c.client_received == kRounds * kDatagramsPerRound);
    CHECK(allocations == 0);
  }
  SECTION("through ConnectionDriver and TransmitBatcher (fallback)") {
    UdpSocketOptions options;
    options.gso = false;
    options.gro = false;
    uint64_t allocations = ~uint64_t{0};
    Counters c = RunEcho(options, EchoMode::kDriver, kRounds, &allocations);
    CHECK(c.send_errors == 0);
    CHECK(c.server_received == kRounds * kDatagramsPerRound);
    CHECK(c.client_received == kRounds * kDatagramsPerRound);
    CHECK(allocations == 0);
  }
  // The counter does count: a deliberate allocation shows up.
  const uint64_t before = kite::testing::HeapAllocationCount();
  auto p = std::make_unique<int>(1);
  CHECK(kite::testing::HeapAllocationCount() > before);
}

}  // namespace
}  // namespace kite::quic::io
