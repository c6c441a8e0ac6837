// The multi-worker server (ServerWorkers): N worker threads on one port with SO_REUSEPORT, each
// owning the connections whose IDs name it. Real kite clients on the loopback interface fetch
// concurrently; some migrate to a new port mid-transfer, so their datagrams reach a socket the
// kernel picks by the new 4-tuple and must be forwarded to the owning worker (RFC 9000 §9).
#include <catch2/catch.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "http3/endpoint/client_endpoint.h"
#include "http3/endpoint/file_server_handler.h"
#include "http3/endpoint/server_workers.h"
#include "quic/io/event_loop.h"
#include "quic/io/worker_connection_id.h"
#include "test/http3/endpoint/loopback_fixture.h"
#include "tls/self_signed_certificate.h"

namespace kite::http3::test {
namespace {

struct Setup {
  std::unique_ptr<tls::TlsServerContext> server_tls;
  std::unique_ptr<tls::TlsClientContext> client_tls;
  std::unique_ptr<quic::io::EventLoop> client_loop;
  std::mutex log_mu;
  std::vector<std::string> log;
  std::unique_ptr<ServerWorkers> server;

  void Start(size_t workers, bool retry = false) {
    absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate();
    REQUIRE(cert.ok());
    tls::ServerOptions so;
    so.certificate.chain_pem = cert->certificate_pem;
    so.certificate.key_pem = cert->private_key_pem;
    so.alpn = {"h3"};
    server_tls = std::move(*tls::TlsServerContext::Create(so));
    tls::ClientOptions co;
    co.alpn = {"h3"};
    co.trusted_certificates_pem = {cert->certificate_pem};
    client_tls = std::move(*tls::TlsClientContext::Create(co));
    client_loop = std::move(*quic::io::EventLoop::Create());

    ServerWorkersOptions wo;
    wo.workers = workers;
    wo.endpoint.local = quic::SocketAddress::V4(127, 0, 0, 1, 0);
    wo.endpoint.retry = retry;
    wo.endpoint.connection.max_datagram_size = 1452;
    wo.endpoint.connection.initial_max_data = 8 << 20;
    wo.endpoint.connection.initial_max_stream_data_bidi_remote = 2 << 20;
    wo.endpoint.connection.initial_max_stream_data_bidi_local = 2 << 20;
    wo.endpoint.log = [this](const std::string& line) {
      std::lock_guard<std::mutex> lock(log_mu);
      log.push_back(line);
    };
    absl::StatusOr<std::unique_ptr<ServerWorkers>> s = ServerWorkers::Create(
        server_tls.get(), [] { return std::make_unique<FileServerHandler>(FileServerOptions{}); },
        wo);
    REQUIRE(s.ok());
    server = std::move(*s);
    REQUIRE(server->size() == workers);
    server->Start();
  }

  std::unique_ptr<ClientEndpoint> NewClient(uint64_t migrate_after = 0) {
    ClientEndpointOptions co;
    co.server = server->local_address();
    co.connection.server_name = "localhost";
    co.connection.max_datagram_size = 1452;
    co.connection.initial_max_data = 8 << 20;
    co.connection.initial_max_stream_data_bidi_local = 2 << 20;
    co.migrate_after_bytes = migrate_after;
    absl::StatusOr<std::unique_ptr<ClientEndpoint>> c =
        ClientEndpoint::Create(client_loop.get(), client_tls.get(), co);
    REQUIRE(c.ok());
    return std::move(*c);
  }

  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(15)) {
    // The bound only keeps a broken test from hanging; nothing asserts on elapsed time.
    const absl::Time give_up = absl::Now() + limit;
    while (!done()) {
      if (absl::Now() > give_up) return false;
      client_loop->RunOnce(absl::Milliseconds(20));
    }
    return true;
  }
};

FetchRequest Get(uint64_t n) {
  FetchRequest r;
  r.authority = "localhost";
  r.path = "/bytes/" + std::to_string(n);
  return r;
}

// The worker every server ID a client holds names (they must all agree).
std::optional<uint32_t> OwnerOf(const ClientEndpoint& c) {
  std::optional<uint32_t> owner;
  for (const quic::ConnectionId& id : c.connection().connection_ids().PeerIds()) {
    std::optional<uint32_t> w = quic::io::WorkerIndexOf(quic::io::ConnectionIdFormat{}, id.span());
    if (!w.has_value() || (owner.has_value() && *owner != *w)) return std::nullopt;
    owner = w;
  }
  return owner;
}

TEST_CASE("clients fetch concurrently from 2 to 4 workers; connections spread and stay put",
          "[endpoint][workers]") {
  for (size_t workers : {2, 3, 4}) {
    INFO("workers=" << workers);
    Setup s;
    s.Start(workers);
    constexpr size_t kClients = 12;
    std::vector<std::unique_ptr<ClientEndpoint>> clients;
    for (size_t i = 0; i < kClients; ++i) {
      clients.push_back(s.NewClient());
      clients.back()->Fetch(Get(10000 + 1000 * i));
      clients.back()->Fetch(Get(5000));
      clients.back()->Flush();
    }
    REQUIRE(s.RunUntil([&] {
      for (auto& c : clients) {
        if (!c->all_done()) return false;
      }
      return true;
    }));
    std::vector<size_t> per_worker(workers, 0);
    for (size_t i = 0; i < kClients; ++i) {
      ClientEndpoint& c = *clients[i];
      CHECK(c.result(0).status == 200);
      CHECK(c.result(0).sha256 == PatternSha256(10000 + 1000 * i));
      CHECK(c.result(1).sha256 == PatternSha256(5000));
      std::optional<uint32_t> owner = OwnerOf(c);
      REQUIRE(owner.has_value());
      REQUIRE(*owner < workers);
      ++per_worker[*owner];
    }
    // Each worker accepted exactly the connections whose IDs name it.
    std::vector<ServerEndpointStats> stats = s.server->Stats();
    size_t used = 0;
    for (size_t w = 0; w < workers; ++w) {
      CHECK(stats[w].connections_accepted == per_worker[w]);
      if (per_worker[w] > 0) ++used;
    }
    // Client Initials are steered by a hash of their random DCIDs: 12 connections all on one
    // worker would take odds of 2^-11 or less.
    CHECK(used >= 2);
    for (auto& c : clients) c->Close();
    REQUIRE(s.RunUntil([&] { return s.server->ConnectionCount() == 0; }));
    s.server->Stop();
  }
}

TEST_CASE("clients that move to a new port mid-transfer reach the owning worker and finish",
          "[endpoint][workers]") {
  Setup s;
  s.Start(3);
  constexpr size_t kClients = 4;
  constexpr uint64_t kBody = 1000000;
  std::vector<std::unique_ptr<ClientEndpoint>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(s.NewClient(/*migrate_after=*/150000));
    clients.back()->Fetch(Get(kBody));
    clients.back()->Flush();
  }
  REQUIRE(s.RunUntil([&] {
    for (auto& c : clients) {
      if (!c->all_done()) return false;
    }
    return true;
  }));
  for (auto& c : clients) {
    INFO(c->migration_status().ToString());
    CHECK(c->migrated());
    CHECK(c->migration_status().ok());
    CHECK(c->connection().stats().migrations >= 1);
    CHECK(c->result(0).status == 200);
    CHECK(c->result(0).body_bytes == kBody);
    CHECK(c->result(0).sha256 == PatternSha256(kBody));
    CHECK(OwnerOf(*c).has_value());
  }
  // Every datagram that reached a socket other than its owner's was handed over, and the
  // owners handled them (no connection was accepted twice).
  uint64_t out = 0, in = 0;
  for (size_t w = 0; w < s.server->size(); ++w) {
    out += s.server->worker(w).forwarded_out();
    in += s.server->worker(w).forwarded_in();
  }
  CHECK(in <= out);
  uint64_t accepted = 0;
  for (const ServerEndpointStats& st : s.server->Stats()) accepted += st.connections_accepted;
  CHECK(accepted == kClients);
  s.server->CloseAll(absl::Seconds(2));
  s.server->Stop();
}

}  // namespace
}  // namespace kite::http3::test
