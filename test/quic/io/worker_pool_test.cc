#include "quic/io/worker_pool.h"

#include <poll.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "quic/io/sockaddr.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

// Echoes every datagram prefixed with the index of the worker that handled it.
class EchoHandler : public WorkerHandler {
 public:
  explicit EchoHandler(std::atomic<int>* forwarded_seen) : forwarded_seen_(forwarded_seen) {}
  void OnDatagram(Worker& worker, const ReceivedDatagram& d, bool forwarded) override {
    if (forwarded) forwarded_seen_->fetch_add(1);
    reply_.assign(1, static_cast<uint8_t>(worker.index()));
    reply_.insert(reply_.end(), d.data.begin(), d.data.end());
    OutgoingDatagram out;
    out.data = reply_;
    out.path.local = d.path.local;
    out.path.remote = d.path.remote;
    (void)worker.socket().Send({&out, 1});
  }

 private:
  std::atomic<int>* forwarded_seen_;
  Bytes reply_;
};

Bytes ShortHeader(uint8_t worker, uint8_t tag) {
  Bytes p{0x40, worker, tag, 3, 4, 5, 6, 7, 8};  // DCID = worker, tag, 3..8 (8 bytes)
  p.resize(40, 0xee);
  return p;
}

TEST_CASE("WorkerPool steers every datagram to the worker its DCID names", "[io][workers]") {
  constexpr size_t kWorkers = 4;
  constexpr size_t kClients = 6;
  std::atomic<int> forwarded_seen{0};
  WorkerPoolOptions options;
  options.local = *ParseIp("127.0.0.1", 0);
  options.worker_count = kWorkers;
  options.pool_options.initial_buffers = 32;
  auto pool = WorkerPool::Create(options, [&](Worker&) {
    return std::make_unique<EchoHandler>(&forwarded_seen);
  });
  REQUIRE(pool.ok());
  REQUIRE((*pool)->size() == kWorkers);
  const SocketAddress server = (*pool)->local_address();
  CHECK(server.port != 0);
  for (size_t i = 0; i < kWorkers; ++i) {
    CHECK((*pool)->worker(i).socket().local_address().port == server.port);
  }
  (*pool)->Start();

  buffers::PacketPoolOptions po;
  po.initial_buffers = 16;
  auto packet_pool = std::move(*buffers::PacketPool::Create(po));
  RecvBatch batch(packet_pool.get(), 16);

  // Every client socket (its own 4-tuple, so its own SO_REUSEPORT worker) sends one datagram
  // naming each worker: at least 3 of its 4 reach the wrong worker first.
  std::vector<std::unique_ptr<UdpSocket>> clients;
  for (size_t c = 0; c < kClients; ++c) {
    clients.push_back(std::move(*UdpSocket::Bind(*ParseIp("127.0.0.1", 0))));
    std::vector<Bytes> packets;
    for (uint8_t w = 0; w < kWorkers; ++w) packets.push_back(ShortHeader(w, static_cast<uint8_t>(c * 16 + w)));
    // A client Initial with a client-chosen DCID (hashed) as well.
    Bytes initial{0xc0, 0, 0, 0, 1, 9, 0xaa, 0xbb, 0xcc, 0xdd, static_cast<uint8_t>(c), 1, 2, 3, 4, 0};
    initial.resize(1200, 0);
    packets.push_back(initial);
    std::vector<OutgoingDatagram> out(packets.size());
    for (size_t i = 0; i < packets.size(); ++i) {
      out[i].data = packets[i];
      out[i].path.remote = server;
    }
    REQUIRE(clients[c]->Send(out)->datagrams_sent == packets.size());
  }

  size_t expected = kClients * (kWorkers + 1);
  size_t got = 0;
  size_t wrong = 0;
  for (size_t c = 0; c < kClients; ++c) {
    size_t want = kWorkers + 1;
    size_t mine = 0;
    while (mine < want) {
      pollfd p{clients[c]->fd(), POLLIN, 0};
      if (poll(&p, 1, 3000) <= 0) break;
      auto n = clients[c]->Receive(batch);
      REQUIRE(n.ok());
      batch.ForEachDatagram([&](const ReceivedDatagram& d) {
        ++mine;
        CHECK(d.path.remote.port == server.port);
        uint8_t handled_by = d.data[0];
        absl::Span<const uint8_t> original = d.data.subspan(1);
        if ((original[0] & 0x80) == 0) {
          // Short header: the worker named by the first DCID byte.
          if (handled_by != original[1]) ++wrong;
        } else {
          absl::Span<const uint8_t> dcid = original.subspan(6, original[5]);
          if (handled_by != SteerToWorker(ConnectionIdFormat{}, dcid, kWorkers)) ++wrong;
        }
      });
    }
    got += mine;
  }
  (*pool)->Stop();
  CHECK(got == expected);
  CHECK(wrong == 0);
  uint64_t out_total = 0, in_total = 0;
  for (size_t i = 0; i < kWorkers; ++i) {
    out_total += (*pool)->worker(i).forwarded_out();
    in_total += (*pool)->worker(i).forwarded_in();
  }
  CHECK(out_total == in_total);
  CHECK(out_total >= kClients * (kWorkers - 1));
  CHECK(forwarded_seen.load() == static_cast<int>(in_total));
}

TEST_CASE("WorkerPool rejects bad worker counts", "[io][workers]") {
  WorkerPoolOptions options;
  options.local = *ParseIp("127.0.0.1", 0);
  options.worker_count = 0;
  auto factory = [](Worker&) -> std::unique_ptr<WorkerHandler> { return nullptr; };
  CHECK_FALSE(WorkerPool::Create(options, factory).ok());
  options.worker_count = 1;
  CHECK(WorkerPool::Create(options, factory).status().code() ==
        absl::StatusCode::kInvalidArgument);  // null handler
}

TEST_CASE("DatagramInbox copies, bounds and drains across threads", "[io][workers]") {
  auto inbox = std::move(*DatagramInbox::Create(4));
  CHECK_FALSE(DatagramInbox::Create(0).ok());
  Bytes a(100, 1), big(kMaxForwardedDatagramSize + 1, 2);
  ReceivedDatagram d;
  d.data = a;
  d.ecn = EcnCodepoint::kCe;
  d.path.remote = *ParseIp("10.0.0.1", 5);
  for (int i = 0; i < 4; ++i) CHECK(inbox->Push(d));
  CHECK_FALSE(inbox->Push(d));  // full
  d.data = big;
  CHECK_FALSE(inbox->Push(d));  // too large
  CHECK(inbox->dropped() == 2);
  pollfd p{inbox->fd(), POLLIN, 0};
  CHECK(poll(&p, 1, 0) == 1);
  int seen = 0;
  CHECK(inbox->Drain([&](const ReceivedDatagram& got) {
    ++seen;
    CHECK(got.data.size() == 100);
    CHECK(got.ecn == EcnCodepoint::kCe);
    CHECK(got.path.remote == *ParseIp("10.0.0.1", 5));
  }) == 4);
  CHECK(seen == 4);
  CHECK(poll(&p, 1, 0) == 0);  // eventfd cleared
  CHECK(inbox->Drain([](const ReceivedDatagram&) {}) == 0);

  // Producers on other threads; the consumer drains until all arrived.
  constexpr int kPerThread = 500;
  auto shared = std::move(*DatagramInbox::Create(64));
  std::atomic<int> pushed{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t) {
    producers.emplace_back([&, t] {
      Bytes payload(8, static_cast<uint8_t>(t));
      ReceivedDatagram m;
      m.data = payload;
      for (int i = 0; i < kPerThread; ++i) {
        while (!shared->Push(m)) std::this_thread::yield();
        pushed.fetch_add(1);
      }
    });
  }
  int drained = 0;
  while (drained < 3 * kPerThread) {
    pollfd q{shared->fd(), POLLIN, 0};
    poll(&q, 1, 100);
    drained += static_cast<int>(shared->Drain([](const ReceivedDatagram&) {}));
  }
  for (auto& t : producers) t.join();
  CHECK(drained == 3 * kPerThread);
}

}  // namespace
}  // namespace kite::quic::io
