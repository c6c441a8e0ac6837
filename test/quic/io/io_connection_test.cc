// A kite client and server Connection talking over real UDP sockets on loopback, through the
// I/O layer: epoll loop (system clock), recvmmsg/GRO into pool buffers, ConnectionIdRouter
// dispatch, ConnectionDriver and TransmitBatcher (sendmmsg/GSO, ECN marks from the connection).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "buffers/packet_pool.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "quic/connection/connection.h"
#include "quic/io/address_token.h"
#include "quic/io/connection_driver.h"
#include "quic/io/connection_id_router.h"
#include "quic/io/event_loop.h"
#include "quic/io/sockaddr.h"
#include "quic/io/transmit_batcher.h"
#include "quic/io/udp_socket.h"
#include "tls/quic_version.h"
#include "tls/retry_integrity.h"
#include "tls/self_signed_certificate.h"
#include "tls/tls_context.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

RandomBytes SeededRandom(uint64_t seed) {
  auto rng = std::make_shared<std::mt19937_64>(seed);
  return [rng](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((*rng)());
  };
}

// One endpoint: a socket on the shared loop, its receive batch and transmit batcher.
struct Endpoint {
  std::unique_ptr<UdpSocket> socket;
  std::unique_ptr<RecvBatch> batch;
  std::unique_ptr<TransmitBatcher> batcher;
  std::unique_ptr<Connection> connection;
  std::unique_ptr<ConnectionDriver<Connection>> driver;
};

class LoopbackPair {
 public:
  absl::Status Init(bool ipv6, uint32_t version, bool retry = false) {
    retry_ = retry;
    AddressTokenKey key;
    key.id = 7;
    key.key.fill(0x42);
    auto codec = AddressTokenCodec::Create(key);
    if (!codec.ok()) return codec.status();
    tokens_ = std::make_unique<AddressTokenCodec>(std::move(*codec));
    tls::SelfSignedOptions so;
    so.dns_names = {"localhost"};
    auto cert = tls::GenerateSelfSignedCertificate(so);
    if (!cert.ok()) return cert.status();
    tls::ServerOptions server;
    server.certificate.chain_pem = cert->certificate_pem;
    server.certificate.key_pem = cert->private_key_pem;
    server.alpn = {"kite-io-test"};
    auto s = tls::TlsServerContext::Create(server);
    if (!s.ok()) return s.status();
    server_tls_ = std::move(*s);
    tls::ClientOptions client;
    client.alpn = {"kite-io-test"};
    client.trusted_certificates_pem = {cert->certificate_pem};
    auto c = tls::TlsClientContext::Create(client);
    if (!c.ok()) return c.status();
    client_tls_ = std::move(*c);

    buffers::PacketPoolOptions po;
    po.buffer_size = buffers::kMaxPacketBufferSize;
    po.initial_buffers = 32;
    po.max_buffers = 256;
    auto pool = buffers::PacketPool::Create(po);
    if (!pool.ok()) return pool.status();
    pool_ = std::move(*pool);
    auto loop = EventLoop::Create();
    if (!loop.ok()) return loop.status();
    loop_ = std::move(*loop);

    RouterConfig rc;
    rc.stateless_reset_key.assign(kStatelessResetKeySize, 0x5a);
    auto router = ConnectionIdRouter::Create(rc);
    if (!router.ok()) return router.status();
    router_ = std::make_unique<ConnectionIdRouter>(std::move(*router));

    const SocketAddress loopback = *ParseIp(ipv6 ? "::1" : "127.0.0.1", 0);
    for (Endpoint* e : {&server_, &client_}) {
      auto sock = UdpSocket::Bind(loopback);
      if (!sock.ok()) return sock.status();
      e->socket = std::move(*sock);
      e->batch = std::make_unique<RecvBatch>(pool_.get(), 32);
      e->batcher = std::make_unique<TransmitBatcher>(pool_.get(), e->socket.get());
    }
    absl::Status st = loop_->WatchFd(server_.socket->fd(), kFdReadable,
                                     [this](uint32_t) { OnServerReadable(); });
    if (!st.ok()) return st;
    st = loop_->WatchFd(client_.socket->fd(), kFdReadable,
                        [this](uint32_t) { OnClientReadable(); });
    if (!st.ok()) return st;

    config_.version = version;
    NetworkPath path;
    path.local = client_.socket->local_address();
    path.remote = server_.socket->local_address();
    auto conn = Connection::Connect(config_, *client_tls_, path, loop_->clock().Now(),
                                    SeededRandom(1));
    if (!conn.ok()) return conn.status();
    client_.connection = std::move(*conn);
    client_.driver = std::make_unique<ConnectionDriver<Connection>>(
        loop_.get(), client_.connection.get(), client_.batcher.get());
    loop_->RunOnce(absl::ZeroDuration());  // the loop's Now()
    client_.driver->Flush();
    return absl::OkStatus();
  }

  // Runs the loop until `done` or `max_iterations` iterations of up to 5 ms.
  bool RunUntil(const std::function<bool()>& done, int max_iterations = 4000) {
    for (int i = 0; i < max_iterations; ++i) {
      if (done()) return true;
      loop_->RunOnce(absl::Milliseconds(5));
    }
    return done();
  }

  Connection* client() { return client_.connection.get(); }
  Connection* server() { return server_.connection.get(); }
  ConnectionIdRouter& router() { return *router_; }
  EventLoop& loop() { return *loop_; }
  void FlushClient() { client_.driver->Flush(); }
  void FlushServer() {
    if (server_.driver) server_.driver->Flush();
    SyncRoutes();
  }
  uint64_t stateless_replies() const { return stateless_replies_; }
  uint64_t retries_sent() const { return retries_sent_; }
  uint64_t bad_tokens() const { return bad_tokens_; }
  uint64_t server_datagrams() const { return server_datagrams_; }
  uint64_t gro_trains() const { return gro_trains_; }
  size_t server_ecn_marked() const { return server_ecn_marked_; }

 private:
  // The connection chooses its own IDs; the router learns every one it issued (and forgets
  // none here: the test is short).
  void SyncRoutes() {
    if (!server_.connection) return;
    for (const auto& [seq, issued] : server_.connection->connection_ids().local_ids()) {
      if (!router_->Lookup(issued.id).has_value()) (void)router_->Add(issued.id, 1);
    }
  }

  void OnServerReadable() {
    for (;;) {
      absl::StatusOr<size_t> n = server_.socket->Receive(*server_.batch);
      if (!n.ok() || *n == 0) break;
      for (size_t i = 0; i < *n; ++i) {
        if (server_.batch->message(i).segment_size != 0) ++gro_trains_;
      }
      server_.batch->ForEachDatagram([this](const ReceivedDatagram& d) {
        ++server_datagrams_;
        if (d.ecn == EcnCodepoint::kEct0) ++server_ecn_marked_;
        RouteResult r = router_->Route(d.data, absl::MakeSpan(reply_), random_);
        switch (r.action) {
          case RouteAction::kConnection:
            server_.driver->OnDatagram(d);
            break;
          case RouteAction::kNewConnection: {
            if (server_.connection) break;  // one connection in this test
            auto header = ParsePacketHeader(d.data, router_->config().cid_format.length);
            if (!header.ok()) break;
            std::optional<ConnectionId> odcid, retry_scid;
            if (retry_) {
              // RFC 9000 §8.1.2: validate the address with a Retry before keeping any state.
              if (header->token.empty()) {
                SendRetry(*header, d);
                break;
              }
              auto valid = tokens_->Validate(header->token, d.path.remote, loop_->Now());
              if (!valid.ok() || valid->kind != AddressTokenKind::kRetry) {
                ++bad_tokens_;
                break;
              }
              odcid = valid->original_dcid;
              retry_scid = header->dcid;  // the client now writes to our Retry's SCID
            }
            auto conn = Connection::Accept(config_, *server_tls_, *header, d.path, loop_->Now(),
                                           SeededRandom(2), odcid, retry_scid);
            if (!conn.ok()) break;
            server_.connection = std::move(*conn);
            server_.driver = std::make_unique<ConnectionDriver<Connection>>(
                loop_.get(), server_.connection.get(), server_.batcher.get());
            // The client's Initial DCID routes here until it switches to ours.
            (void)router_->Add(header->dcid, 1);
            SyncRoutes();
            break;
          }
          case RouteAction::kVersionNegotiation:
          case RouteAction::kStatelessReset: {
            ++stateless_replies_;
            OutgoingDatagram out;
            out.data = absl::MakeConstSpan(reply_.data(), r.reply_size);
            out.path.remote = d.path.remote;
            (void)server_.socket->Send({&out, 1});
            break;
          }
          default:
            break;
        }
      });
    }
    FlushServer();
  }

  void SendRetry(const PacketHeader& initial, const ReceivedDatagram& d) {
    Bytes token(kMaxAddressTokenSize);
    auto len = tokens_->IssueRetryToken(d.path.remote, initial.dcid, loop_->Now(), random_,
                                        absl::MakeSpan(token));
    if (!len.ok()) return;
    token.resize(*len);
    // A Retry SCID in the router's format, so the client's next Initial is steered here.
    ConnectionId scid = router_->NewConnectionId(random_);
    Bytes packet(512);
    DataWriter w(absl::MakeSpan(packet));
    if (!WriteRetryPacketWithoutTag(w, initial.version, initial.scid, scid, token, 0)) return;
    size_t n = w.length();
    auto tag = tls::ComputeRetryIntegrityTag(
        initial.version == kQuicVersion2 ? tls::QuicVersion::kV2 : tls::QuicVersion::kV1,
        initial.dcid.span(), absl::MakeConstSpan(packet.data(), n));
    if (!tag.ok()) return;
    std::copy(tag->begin(), tag->end(), packet.begin() + n);
    OutgoingDatagram out;
    out.data = absl::MakeConstSpan(packet.data(), n + tag->size());
    out.path.remote = d.path.remote;
    if (server_.socket->Send({&out, 1}).ok()) ++retries_sent_;
  }

  void OnClientReadable() {
    for (;;) {
      absl::StatusOr<size_t> n = client_.socket->Receive(*client_.batch);
      if (!n.ok() || *n == 0) break;
      client_.batch->ForEachDatagram(
          [this](const ReceivedDatagram& d) { client_.driver->OnDatagram(d); });
    }
    client_.driver->Flush();
  }

  std::unique_ptr<tls::TlsServerContext> server_tls_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  // Declared before the endpoints, whose batches and batchers hold its buffers.
  std::unique_ptr<buffers::PacketPool> pool_;
  std::unique_ptr<EventLoop> loop_;
  std::unique_ptr<ConnectionIdRouter> router_;
  ConnectionConfig config_;
  Endpoint server_;
  Endpoint client_;
  Bytes reply_ = Bytes(1500);
  RandomBytes random_ = SeededRandom(3);
  uint64_t stateless_replies_ = 0;
  bool retry_ = false;
  std::unique_ptr<AddressTokenCodec> tokens_;
  uint64_t retries_sent_ = 0;
  uint64_t bad_tokens_ = 0;
  uint64_t server_datagrams_ = 0;
  uint64_t gro_trains_ = 0;
  size_t server_ecn_marked_ = 0;
};

TEST_CASE("Client and server connections handshake and transfer over UDP loopback",
          "[io][e2e]") {
  struct Case {
    bool ipv6;
    uint32_t version;
    bool retry;
  };
  for (Case c : {Case{false, kQuicVersion1, false}, Case{true, kQuicVersion2, false},
                 Case{false, kQuicVersion2, true}, Case{true, kQuicVersion1, true}}) {
    DYNAMIC_SECTION((c.ipv6 ? "IPv6" : "IPv4") << " version " << c.version
                                                << (c.retry ? " with Retry" : "")) {
      LoopbackPair pair;
      REQUIRE(pair.Init(c.ipv6, c.version, c.retry).ok());
      REQUIRE(pair.RunUntil([&] {
        return pair.server() != nullptr && pair.client()->handshake_complete() &&
               pair.server()->handshake_complete();
      }));
      CHECK(pair.client()->version() == c.version);
      // With Retry: one Retry, and the token it carried validated (RFC 9000 §8.1.2, §7.3).
      CHECK(pair.retries_sent() == (c.retry ? 1u : 0u));
      CHECK(pair.bad_tokens() == 0);
      CHECK(pair.client()->alpn() == "kite-io-test");

      // 300 KB from client to server on one stream: many full datagrams, sent as GSO trains.
      Bytes data(300 * 1000);
      for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 7 + i / 251);
      auto stream = pair.client()->OpenStream(/*bidirectional=*/true);
      REQUIRE(stream.ok());
      REQUIRE(pair.client()->WriteStream(*stream, data, /*fin=*/true).ok());
      pair.FlushClient();

      Bytes got;
      bool fin = false;
      REQUIRE(pair.RunUntil([&] {
        if (pair.server() == nullptr) return false;
        uint8_t buf[16384];
        for (;;) {
          bool f = false;
          auto n = pair.server()->ReadStream(*stream, buf, sizeof(buf), &f);
          if (!n.ok()) break;
          got.insert(got.end(), buf, buf + *n);
          if (f) fin = true;
          if (*n == 0) break;
        }
        // Reading opens the flow-control window: let the server say so (MAX_STREAM_DATA).
        pair.FlushServer();
        return fin;
      }));
      CHECK(got.size() == data.size());
      CHECK(got == data);
      CHECK(pair.stateless_replies() == 0);
      // The connection marks ECT(0) (RFC 9000 §13.4.2) and the marks survive loopback.
      CHECK(pair.server_ecn_marked() > 0);
      WARN("server datagrams: " << pair.server_datagrams() << ", GRO trains seen: "
                                << pair.gro_trains() << ", ECT(0) marked: "
                                << pair.server_ecn_marked());
    }
  }
}

}  // namespace
}  // namespace kite::quic::io
