#include "quic/io/udp_socket.h"

#include <poll.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <vector>

#include "buffers/packet_pool.h"
#include "quic/io/sockaddr.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

SocketAddress Loopback(bool ipv6) {
  return *ParseIp(ipv6 ? "::1" : "127.0.0.1", 0);
}

std::unique_ptr<UdpSocket> MustBind(const SocketAddress& local, const UdpSocketOptions& options = {}) {
  auto s = UdpSocket::Bind(local, options);
  REQUIRE(s.ok());
  return std::move(*s);
}

std::unique_ptr<buffers::PacketPool> MakePool(size_t buffer_size, size_t max_buffers = 256) {
  buffers::PacketPoolOptions o;
  o.buffer_size = buffer_size;
  o.initial_buffers = 0;
  o.max_buffers = max_buffers;
  o.buffers_per_slab = 16;
  auto pool = buffers::PacketPool::Create(o);
  REQUIRE(pool.ok());
  return std::move(*pool);
}

Bytes Pattern(size_t len, uint8_t seed) {
  Bytes b(len);
  for (size_t i = 0; i < len; ++i) b[i] = static_cast<uint8_t>(seed * 31 + i * 7);
  return b;
}

struct Got {
  Bytes data;
  NetworkPath path;
  EcnCodepoint ecn;
};

// Receives until `want` datagrams have arrived (or the socket stays idle for 2 s, which only
// happens when datagrams were lost and the test then fails on the count). Records whether any
// message came up as a GRO train.
std::vector<Got> ReceiveDatagrams(UdpSocket& socket, RecvBatch& batch, size_t want,
                                  bool* saw_gro = nullptr) {
  std::vector<Got> got;
  while (got.size() < want) {
    pollfd p{socket.fd(), POLLIN, 0};
    if (poll(&p, 1, 2000) <= 0) break;
    auto n = socket.Receive(batch);
    REQUIRE(n.ok());
    for (size_t i = 0; i < *n; ++i) {
      if (batch.message(i).segment_size != 0 && saw_gro != nullptr) *saw_gro = true;
    }
    batch.ForEachDatagram([&](const ReceivedDatagram& d) {
      got.push_back(Got{Bytes(d.data.begin(), d.data.end()), d.path, d.ecn});
    });
  }
  return got;
}

TEST_CASE("UdpSocket sends and receives a batch over loopback", "[io]") {
  for (bool ipv6 : {false, true}) {
    DYNAMIC_SECTION((ipv6 ? "IPv6 ::1" : "IPv4 127.0.0.1")) {
      auto server = MustBind(Loopback(ipv6));
      auto client = MustBind(Loopback(ipv6));
      CHECK(server->local_address().port != 0);
      CHECK(server->local_address().ipv6 == ipv6);

      std::vector<Bytes> payloads;
      std::vector<OutgoingDatagram> out;
      for (int i = 0; i < 20; ++i) payloads.push_back(Pattern(100 + i * 50, static_cast<uint8_t>(i)));
      for (const Bytes& p : payloads) {
        OutgoingDatagram d;
        d.data = p;
        d.path.remote = server->local_address();
        out.push_back(d);
      }
      auto sent = client->Send(out);
      REQUIRE(sent.ok());
      CHECK(sent->entries_done == 20);
      CHECK(sent->datagrams_sent == 20);
      CHECK(sent->dropped == 0);

      auto pool = MakePool(1500);
      RecvBatch batch(pool.get(), 8);  // smaller than the burst: several recvmmsg calls
      auto got = ReceiveDatagrams(*server, batch, 20);
      REQUIRE(got.size() == 20);
      for (size_t i = 0; i < got.size(); ++i) {
        CHECK(got[i].data == payloads[i]);
        CHECK(got[i].path.remote == client->local_address());
        CHECK(got[i].path.local == server->local_address());
      }
    }
  }
}

// Sends one 5-segment train (1000-byte segments, a 500-byte tail) and returns what arrives.
std::vector<Got> SendTrain(bool ipv6, bool gso, bool gro, bool* used_gso, bool* saw_gro) {
  UdpSocketOptions server_options;
  server_options.gro = gro;
  UdpSocketOptions client_options;
  client_options.gso = gso;
  auto server = MustBind(Loopback(ipv6), server_options);
  auto client = MustBind(Loopback(ipv6), client_options);
  *used_gso = client->gso_enabled();

  Bytes train = Pattern(4500, 9);
  OutgoingDatagram d;
  d.data = train;
  d.segment_size = 1000;
  d.path.remote = server->local_address();
  REQUIRE(d.segment_count() == 5);
  auto sent = client->Send({&d, 1});
  REQUIRE(sent.ok());
  CHECK(sent->entries_done == 1);
  CHECK(sent->datagrams_sent == 5);

  auto pool = MakePool(gro ? buffers::kMaxPacketBufferSize : 1500, 64);
  RecvBatch batch(pool.get(), 16);
  auto got = ReceiveDatagrams(*server, batch, 5, saw_gro);
  if (!gro) CHECK_FALSE(server->gro_enabled());
  return got;
}

void CheckTrain(const std::vector<Got>& got) {
  Bytes train = Pattern(4500, 9);
  REQUIRE(got.size() == 5);
  for (size_t i = 0; i < 5; ++i) {
    size_t len = i < 4 ? 1000 : 500;
    CHECK(got[i].data == Bytes(train.begin() + i * 1000, train.begin() + i * 1000 + len));
  }
}

TEST_CASE("UdpSocket GSO train arrives as separate datagrams", "[io][gso]") {
  for (bool ipv6 : {false, true}) {
    bool used_gso = false;
    bool saw_gro = false;
    auto got = SendTrain(ipv6, /*gso=*/true, /*gro=*/false, &used_gso, &saw_gro);
    CheckTrain(got);
    CHECK_FALSE(saw_gro);
    WARN("UDP GSO available: " << (used_gso ? "yes" : "no"));
  }
}

TEST_CASE("UdpSocket GRO receives a GSO train coalesced and splits it by segment size",
          "[io][gso]") {
  for (bool ipv6 : {false, true}) {
    auto probe = MustBind(Loopback(ipv6));
    bool used_gso = false;
    bool saw_gro = false;
    auto got = SendTrain(ipv6, /*gso=*/true, /*gro=*/true, &used_gso, &saw_gro);
    CheckTrain(got);
    // Loopback hands a GSO super-packet to a GRO socket whole: one message, segment size 1000.
    if (used_gso && probe->gro_enabled()) CHECK(saw_gro);
    WARN("UDP GRO coalesced the train: " << (saw_gro ? "yes" : "no"));
  }
}

TEST_CASE("UdpSocket forced fallback sends the same datagrams", "[io][gso]") {
  for (bool ipv6 : {false, true}) {
    bool used_gso = true;
    bool saw_gro = false;
    auto got = SendTrain(ipv6, /*gso=*/false, /*gro=*/false, &used_gso, &saw_gro);
    CHECK_FALSE(used_gso);
    CHECK_FALSE(saw_gro);
    CheckTrain(got);
  }
}

TEST_CASE("UdpSocket fallback resumes GSO entries segment by segment", "[io][gso]") {
  UdpSocketOptions no_gso;
  no_gso.gso = false;
  auto server = MustBind(Loopback(false));
  auto client = MustBind(Loopback(false), no_gso);
  // Three trains and a single datagram in one call: 4 + 3 + 1 + 2 datagrams.
  Bytes a = Pattern(4 * 300, 1), b = Pattern(2 * 400 + 10, 2), c = Pattern(50, 3),
        e = Pattern(2 * 200, 4);
  std::vector<OutgoingDatagram> out(4);
  out[0].data = a;
  out[0].segment_size = 300;
  out[1].data = b;
  out[1].segment_size = 400;
  out[2].data = c;
  out[3].data = e;
  out[3].segment_size = 200;
  for (auto& d : out) d.path.remote = server->local_address();
  auto sent = client->Send(out);
  REQUIRE(sent.ok());
  CHECK(sent->entries_done == 4);
  CHECK(sent->partial_segments == 0);
  CHECK(sent->datagrams_sent == 10);

  auto pool = MakePool(1500);
  RecvBatch batch(pool.get(), 64);
  auto got = ReceiveDatagrams(*server, batch, 10);
  REQUIRE(got.size() == 10);
  std::vector<size_t> sizes;
  for (const Got& g : got) sizes.push_back(g.data.size());
  CHECK(sizes == std::vector<size_t>{300, 300, 300, 300, 400, 400, 10, 50, 200, 200});
  CHECK(got[5].data == Bytes(b.begin() + 400, b.begin() + 800));
  CHECK(got[6].data == Bytes(b.begin() + 800, b.end()));
}

TEST_CASE("UdpSocket rejects an over-long GSO train", "[io][gso]") {
  auto client = MustBind(Loopback(false));
  Bytes big(kMaxGsoSegments * 10 + 1);
  OutgoingDatagram d;
  d.data = big;
  d.segment_size = 10;  // kMaxGsoSegments + 1 segments
  d.path.remote = client->local_address();
  auto sent = client->Send({&d, 1});
  CHECK(sent.status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("UdpSocket carries the ECN codepoint per datagram", "[io][ecn]") {
  for (bool ipv6 : {false, true}) {
    DYNAMIC_SECTION((ipv6 ? "IPv6" : "IPv4")) {
      auto server = MustBind(Loopback(ipv6));
      auto client = MustBind(Loopback(ipv6));
      REQUIRE(server->ecn_receive_enabled());
      const EcnCodepoint codes[] = {EcnCodepoint::kEct0, EcnCodepoint::kEct1, EcnCodepoint::kCe,
                                    EcnCodepoint::kNotEct};
      Bytes payload = Pattern(64, 1);
      std::vector<OutgoingDatagram> out;
      for (EcnCodepoint c : codes) {
        OutgoingDatagram d;
        d.data = payload;
        d.ecn = c;
        d.path.remote = server->local_address();
        out.push_back(d);
      }
      auto sent = client->Send(out);
      REQUIRE(sent.ok());
      REQUIRE(sent->datagrams_sent == 4);
      auto pool = MakePool(1500);
      RecvBatch batch(pool.get(), 8);
      auto got = ReceiveDatagrams(*server, batch, 4);
      REQUIRE(got.size() == 4);
      for (size_t i = 0; i < 4; ++i) CHECK(got[i].ecn == codes[i]);
    }
  }
}

TEST_CASE("UdpSocket GSO train keeps its ECN codepoint on every segment", "[io][ecn][gso]") {
  auto server = MustBind(Loopback(false));
  auto client = MustBind(Loopback(false));
  Bytes train = Pattern(3 * 200, 5);
  OutgoingDatagram d;
  d.data = train;
  d.segment_size = 200;
  d.ecn = EcnCodepoint::kEct1;
  d.path.remote = server->local_address();
  REQUIRE(client->Send({&d, 1}).ok());
  auto pool = MakePool(buffers::kMaxPacketBufferSize, 16);
  RecvBatch batch(pool.get(), 4);
  auto got = ReceiveDatagrams(*server, batch, 3);
  REQUIRE(got.size() == 3);
  for (const Got& g : got) CHECK(g.ecn == EcnCodepoint::kEct1);
}

TEST_CASE("UdpSocket reports the local address on a wildcard socket and replies from it",
          "[io][pktinfo]") {
  for (bool ipv6 : {false, true}) {
    DYNAMIC_SECTION((ipv6 ? "IPv6 ::" : "IPv4 0.0.0.0")) {
      auto wildcard = *ParseIp(ipv6 ? "::" : "0.0.0.0", 0);
      auto server = MustBind(wildcard);
      auto client = MustBind(Loopback(ipv6));
      SocketAddress target = Loopback(ipv6);
      target.port = server->local_address().port;

      Bytes ping = Pattern(30, 7);
      OutgoingDatagram d;
      d.data = ping;
      d.path.remote = target;
      REQUIRE(client->Send({&d, 1})->datagrams_sent == 1);

      auto pool = MakePool(1500);
      RecvBatch batch(pool.get(), 4);
      auto got = ReceiveDatagrams(*server, batch, 1);
      REQUIRE(got.size() == 1);
      CHECK(got[0].path.local == target);  // not the wildcard
      CHECK(got[0].path.remote == client->local_address());

      // Reply on the reversed path: the source is pinned to the address the client wrote to.
      OutgoingDatagram reply;
      reply.data = ping;
      reply.path.local = got[0].path.local;
      reply.path.remote = got[0].path.remote;
      REQUIRE(server->Send({&reply, 1})->datagrams_sent == 1);
      auto back = ReceiveDatagrams(*client, batch, 1);
      REQUIRE(back.size() == 1);
      CHECK(back[0].path.remote == target);
    }
  }
}

TEST_CASE("UdpSocket dual-stack socket reports IPv4 peers as IPv4", "[io][pktinfo]") {
  UdpSocketOptions dual;
  dual.ipv6_only = false;
  auto server = MustBind(*ParseIp("::", 0), dual);
  auto client = MustBind(Loopback(false));
  SocketAddress target = Loopback(false);
  target.port = server->local_address().port;
  Bytes ping = Pattern(40, 3);
  OutgoingDatagram d;
  d.data = ping;
  d.path.remote = target;
  d.ecn = EcnCodepoint::kEct0;
  REQUIRE(client->Send({&d, 1})->datagrams_sent == 1);
  auto pool = MakePool(1500);
  RecvBatch batch(pool.get(), 4);
  auto got = ReceiveDatagrams(*server, batch, 1);
  REQUIRE(got.size() == 1);
  CHECK_FALSE(got[0].path.remote.ipv6);
  CHECK(got[0].path.remote == client->local_address());
  CHECK(got[0].path.local == target);
  CHECK(got[0].ecn == EcnCodepoint::kEct0);
  // And the reply goes back over IPv4.
  OutgoingDatagram reply;
  reply.data = ping;
  reply.path.remote = got[0].path.remote;
  REQUIRE(server->Send({&reply, 1})->datagrams_sent == 1);
  CHECK(ReceiveDatagrams(*client, batch, 1).size() == 1);
}

TEST_CASE("RecvBatch refills taken buffers and reports pool exhaustion", "[io]") {
  auto server = MustBind(Loopback(false));
  auto client = MustBind(Loopback(false));
  auto pool = MakePool(1500, /*max_buffers=*/2);
  RecvBatch batch(pool.get(), 2);
  Bytes p = Pattern(10, 1);
  OutgoingDatagram d;
  d.data = p;
  d.path.remote = server->local_address();
  REQUIRE(client->Send({&d, 1})->datagrams_sent == 1);
  REQUIRE(ReceiveDatagrams(*server, batch, 1).size() == 1);
  CHECK(pool->in_use() == 2);  // both slots hold a buffer, reused by the next Receive

  // Keep both buffers: the batch has nothing left to receive into.
  buffers::PacketBuffer kept0 = std::move(batch.message(0).buffer);
  buffers::PacketBuffer kept1 = std::move(batch.message(1).buffer);
  CHECK(kept0.span() == absl::MakeConstSpan(p));
  CHECK(server->Receive(batch).status().code() == absl::StatusCode::kResourceExhausted);
  kept0.Release();
  // One buffer back: the batch refills a slot and receives again.
  REQUIRE(client->Send({&d, 1})->datagrams_sent == 1);
  CHECK(ReceiveDatagrams(*server, batch, 1).size() == 1);
}

TEST_CASE("UdpSocket on a connected socket sends to its peer", "[io]") {
  auto server = MustBind(Loopback(true));
  auto client = MustBind(Loopback(true));
  REQUIRE(client->Connect(server->local_address()).ok());
  Bytes p = Pattern(77, 2);
  OutgoingDatagram d;
  d.data = p;
  d.path.remote = server->local_address();
  REQUIRE(client->Send({&d, 1})->datagrams_sent == 1);
  auto pool = MakePool(1500);
  RecvBatch batch(pool.get(), 4);
  auto got = ReceiveDatagrams(*server, batch, 1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].data == p);
}

}  // namespace
}  // namespace kite::quic::io

namespace kite::quic::io {
namespace {

TEST_CASE("UdpSocket drops a datagram the kernel refuses and sends the rest", "[io]") {
  for (bool gso : {true, false}) {
    UdpSocketOptions options;
    options.gso = gso;
    auto server = MustBind(Loopback(false));
    auto client = MustBind(Loopback(false), options);
    Bytes good = Pattern(50, 1);
    Bytes train = Pattern(300, 2);
    std::vector<OutgoingDatagram> out(3);
    out[0].data = good;
    out[0].path.remote = server->local_address();
    // An IPv6 destination on an IPv4 socket: the kernel rejects it (EAFNOSUPPORT/EINVAL).
    out[1].data = train;
    out[1].segment_size = 100;
    out[1].path.remote = *ParseIp("::1", server->local_address().port);
    out[2].data = good;
    out[2].path.remote = server->local_address();
    auto sent = client->Send(out);
    REQUIRE(sent.ok());
    CHECK(sent->entries_done == 3);
    CHECK(sent->datagrams_sent == 2);
    CHECK(sent->dropped == 3);  // the three segments of the refused train
    CHECK_FALSE(sent->last_error.ok());
    auto pool = MakePool(1500);
    RecvBatch batch(pool.get(), 4);
    CHECK(ReceiveDatagrams(*server, batch, 2).size() == 2);
  }
}

}  // namespace
}  // namespace kite::quic::io
