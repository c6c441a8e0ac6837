#include "tls/quic_tls.h"

#include <map>
#include <random>
#include <sstream>

#include <catch2/catch.hpp>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "test/tls/quic_tls_harness.h"
#include "tls/quic_tls_error.h"
#include "tls/tls_context.h"

namespace kite::tls {
namespace {

using testing::Bytes;
using testing::Endpoint;
using testing::Hex;
using testing::OtherCertificate;
using testing::RunHandshake;
using testing::TestCertificate;

const std::vector<uint8_t> kClientParams = {0x01, 0x02, 0x43, 0xe8, 0x04, 0x04, 0x80, 0x10};
const std::vector<uint8_t> kServerParams = {0x00, 0x08, 0xde, 0xad, 0xbe, 0xef, 0x05, 0x06, 0x07};

ServerOptions DefaultServerOptions() {
  ServerOptions options;
  options.certificate.chain_pem = TestCertificate().certificate_pem;
  options.certificate.key_pem = TestCertificate().private_key_pem;
  options.alpn = {"h3"};
  return options;
}

ClientOptions DefaultClientOptions() {
  ClientOptions options;
  options.alpn = {"h3"};
  options.verify_peer = false;
  return options;
}

std::unique_ptr<TlsServerContext> MakeServerContext(ServerOptions options) {
  absl::StatusOr<std::unique_ptr<TlsServerContext>> ctx = TlsServerContext::Create(std::move(options));
  REQUIRE(ctx.ok());
  return *std::move(ctx);
}

std::unique_ptr<TlsClientContext> MakeClientContext(ClientOptions options) {
  absl::StatusOr<std::unique_ptr<TlsClientContext>> ctx = TlsClientContext::Create(std::move(options));
  REQUIRE(ctx.ok());
  return *std::move(ctx);
}

void StartClient(Endpoint& client, TlsClientContext& ctx, const std::string& name,
                 std::vector<uint8_t> session = {}) {
  absl::StatusOr<std::unique_ptr<QuicTls>> tls =
      QuicTls::CreateClient(ctx, &client.visitor, name, kClientParams, std::move(session));
  REQUIRE(tls.ok());
  client.tls = *std::move(tls);
  client.status = client.tls->Start();
}

void MakeServer(Endpoint& server, TlsServerContext& ctx, std::vector<uint8_t> early_context = {}) {
  absl::StatusOr<std::unique_ptr<QuicTls>> tls =
      QuicTls::CreateServer(ctx, &server.visitor, kServerParams, std::move(early_context));
  REQUIRE(tls.ok());
  server.tls = *std::move(tls);
}

// Key log lines by label: "LABEL client_random secret".
std::map<std::string, std::string> ParseKeyLog(const std::vector<std::string>& lines) {
  std::map<std::string, std::string> out;
  for (const std::string& line : lines) {
    std::istringstream in(line);
    std::string label, random, secret;
    in >> label >> random >> secret;
    out[label] = secret;
  }
  return out;
}

bool LeafMatchesHost(const std::vector<std::vector<uint8_t>>& chain, const std::string& host) {
  if (chain.empty()) return false;
  const uint8_t* p = chain[0].data();
  bssl::UniquePtr<X509> x509(d2i_X509(nullptr, &p, static_cast<long>(chain[0].size())));
  if (!x509) return false;
  return X509_check_host(x509.get(), host.data(), host.size(), 0, nullptr) == 1;
}

TEST_CASE("QuicTls full handshake negotiates h3, AES-128-GCM and exchanges parameters",
          "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  REQUIRE(client.status.ok());
  // The ClientHello goes out at the Initial level and nothing else yet.
  REQUIRE_FALSE(client.visitor.outbound[0].empty());
  CHECK(client.visitor.outbound[2].empty());
  CHECK(client.visitor.secrets.empty());
  MakeServer(server, *server_ctx);
  RunHandshake(client, server);
  REQUIRE(client.status.ok());
  REQUIRE(server.status.ok());

  CHECK(client.tls->handshake_complete());
  CHECK(server.tls->handshake_complete());
  CHECK_FALSE(client.tls->is_server());
  CHECK(server.tls->is_server());
  CHECK(client.tls->alpn() == "h3");
  CHECK(server.tls->alpn() == "h3");
  CHECK(client.tls->cipher_suite() == 0x1301);
  CHECK(server.tls->cipher_suite() == 0x1301);
  CHECK(client.tls->group_id() == 29);
  CHECK(client.tls->group_name() == "X25519");
  CHECK(server.tls->server_name() == "localhost");
  CHECK(client.tls->server_name() == "localhost");
  CHECK_FALSE(client.tls->is_resumed());
  CHECK_FALSE(client.tls->early_data_attempted());
  CHECK_FALSE(server.tls->early_data_attempted());
  CHECK_FALSE(client.tls->alert().has_value());

  absl::Span<const uint8_t> at_server = server.tls->peer_transport_params();
  absl::Span<const uint8_t> at_client = client.tls->peer_transport_params();
  CHECK(std::vector<uint8_t>(at_server.begin(), at_server.end()) == kClientParams);
  CHECK(std::vector<uint8_t>(at_client.begin(), at_client.end()) == kServerParams);

  for (Endpoint* e : {&client, &server}) {
    for (EncryptionLevel level : {EncryptionLevel::kHandshake, EncryptionLevel::kApplication}) {
      int write = e->visitor.IndexOf(level, Direction::kWrite);
      int read = e->visitor.IndexOf(level, Direction::kRead);
      REQUIRE(write >= 0);
      REQUIRE(read >= 0);
      CHECK(write < read);  // ACK keys before the keys of what must be ACKed
    }
    for (const testing::SecretRecord& r : e->visitor.secrets) {
      CHECK(r.cipher_suite == 0x1301);
      CHECK(r.secret.size() == 32);
      CHECK(r.level != EncryptionLevel::kInitial);  // Initial keys come from the DCID
      CHECK(r.level != EncryptionLevel::kEarlyData);
    }
  }
  for (EncryptionLevel level : {EncryptionLevel::kHandshake, EncryptionLevel::kApplication}) {
    CHECK(client.visitor.Secret(level, Direction::kWrite) ==
          server.visitor.Secret(level, Direction::kRead));
    CHECK(server.visitor.Secret(level, Direction::kWrite) ==
          client.visitor.Secret(level, Direction::kRead));
    CHECK(client.visitor.Secret(level, Direction::kWrite) !=
          client.visitor.Secret(level, Direction::kRead));
  }
  // Tickets went out after the client's Finished and were consumed post-handshake.
  CHECK(client.visitor.sessions.size() == 2);
}

TEST_CASE("QuicTls server picks its own first ALPN the client offers", "[tls]") {
  ServerOptions server_options = DefaultServerOptions();
  server_options.alpn = {"h3", "hq-interop"};
  auto server_ctx = MakeServerContext(server_options);
  ClientOptions client_options = DefaultClientOptions();
  client_options.alpn = {"hq-interop", "h3"};
  auto client_ctx = MakeClientContext(client_options);
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  MakeServer(server, *server_ctx);
  RunHandshake(client, server);
  REQUIRE(server.status.ok());
  CHECK(client.tls->alpn() == "h3");
}

TEST_CASE("QuicTls ALPN mismatch fails the server with no_application_protocol", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  ClientOptions client_options = DefaultClientOptions();
  client_options.alpn = {"h3-29", "hq-interop"};
  auto client_ctx = MakeClientContext(client_options);
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  MakeServer(server, *server_ctx);
  RunHandshake(client, server);
  REQUIRE_FALSE(server.status.ok());
  CHECK(GetTlsErrorKind(server.status) == TlsErrorKind::kAlert);
  CHECK(GetTlsAlert(server.status) == kAlertNoApplicationProtocol);
  CHECK(TlsErrorTransportCode(server.status) == 0x100 + 120);
  CHECK(server.tls->alert() == std::optional<uint8_t>(120));
  REQUIRE(server.visitor.alerts.size() == 1);
  CHECK(server.visitor.alerts[0].first == EncryptionLevel::kInitial);
  CHECK_FALSE(server.tls->handshake_complete());
  // The failure is sticky.
  absl::Status again = server.tls->ProvideData(EncryptionLevel::kInitial, Bytes("x"));
  CHECK(GetTlsAlert(again) == kAlertNoApplicationProtocol);
}

TEST_CASE("QuicTls resumes with 0-RTT accepted, and rejected when the context changes",
          "[tls]") {
  ServerOptions server_options = DefaultServerOptions();
  server_options.enable_early_data = true;
  server_options.ticket_keys = std::vector<uint8_t>(kTicketKeysLength, 0x5a);
  std::vector<std::string> server_log;
  server_options.key_log = [&server_log](std::string_view line) {
    server_log.emplace_back(line);
  };
  auto server_ctx = MakeServerContext(server_options);
  ClientOptions client_options = DefaultClientOptions();
  client_options.enable_early_data = true;
  auto client_ctx = MakeClientContext(client_options);

  Endpoint client1, server1;
  StartClient(client1, *client_ctx, "localhost");
  MakeServer(server1, *server_ctx, Bytes("tp=A;settings=A"));
  RunHandshake(client1, server1);
  REQUIRE(client1.status.ok());
  REQUIRE(server1.status.ok());
  REQUIRE(client1.visitor.sessions.size() == 2);
  CHECK_FALSE(client1.tls->is_resumed());

  SECTION("same early-data context: 0-RTT accepted") {
    Endpoint client, server;
    server_log.clear();
    StartClient(client, *client_ctx, "localhost", client1.visitor.sessions[0]);
    REQUIRE(client.status.ok());
    // 0-RTT write keys are there at once, before any server byte.
    std::optional<std::vector<uint8_t>> early =
        client.visitor.Secret(EncryptionLevel::kEarlyData, Direction::kWrite);
    REQUIRE(early.has_value());
    CHECK(client.tls->early_data_attempted());
    CHECK_FALSE(client.tls->handshake_complete());

    MakeServer(server, *server_ctx, Bytes("tp=A;settings=A"));
    RunHandshake(client, server);
    REQUIRE(client.status.ok());
    REQUIRE(server.status.ok());
    CHECK(client.tls->handshake_complete());
    CHECK(server.tls->handshake_complete());
    CHECK(client.tls->is_resumed());
    CHECK(server.tls->is_resumed());
    CHECK(server.tls->early_data_attempted());
    CHECK(client.tls->early_data_accepted());
    CHECK(server.tls->early_data_accepted());
    CHECK(server.tls->early_data_reason() == "accepted");
    CHECK_FALSE(client.tls->early_data_rejected());
    CHECK(client.visitor.early_data_rejections == 0);
    CHECK(server.visitor.Secret(EncryptionLevel::kEarlyData, Direction::kRead) == early);
    CHECK(ParseKeyLog(server_log)["CLIENT_EARLY_TRAFFIC_SECRET"] == Hex(*early));
    // The resumed connection issues fresh tickets too.
    CHECK_FALSE(client.visitor.sessions.empty());
  }

  SECTION("changed early-data context: 0-RTT rejected, handshake completes") {
    Endpoint client, server;
    StartClient(client, *client_ctx, "localhost", client1.visitor.sessions[1]);
    REQUIRE(client.status.ok());
    REQUIRE(client.visitor.Secret(EncryptionLevel::kEarlyData, Direction::kWrite).has_value());
    MakeServer(server, *server_ctx, Bytes("tp=A;settings=B"));
    RunHandshake(client, server);
    REQUIRE(client.status.ok());
    REQUIRE(server.status.ok());
    CHECK(client.tls->handshake_complete());
    CHECK(server.tls->handshake_complete());
    CHECK(client.tls->is_resumed());
    CHECK(client.tls->early_data_attempted());
    CHECK(server.tls->early_data_attempted());
    CHECK_FALSE(client.tls->early_data_accepted());
    CHECK_FALSE(server.tls->early_data_accepted());
    CHECK(client.tls->early_data_rejected());
    CHECK(client.visitor.early_data_rejections == 1);
    CHECK(server.tls->early_data_reason() == "quic_parameter_mismatch");
    CHECK_FALSE(server.visitor.Secret(EncryptionLevel::kEarlyData, Direction::kRead).has_value());
  }

  SECTION("rotated ticket keys: full handshake") {
    REQUIRE(server_ctx->SetTicketKeys(std::vector<uint8_t>(kTicketKeysLength, 0x33)).ok());
    Endpoint client, server;
    StartClient(client, *client_ctx, "localhost", client1.visitor.sessions[0]);
    MakeServer(server, *server_ctx, Bytes("tp=A;settings=A"));
    RunHandshake(client, server);
    REQUIRE(client.status.ok());
    REQUIRE(server.status.ok());
    CHECK(client.tls->handshake_complete());
    CHECK_FALSE(client.tls->is_resumed());
    CHECK_FALSE(server.tls->early_data_accepted());
    CHECK(client.visitor.early_data_rejections == 1);
  }
}

TEST_CASE("QuicTls rejects an unparsable session and a bad ticket key length", "[tls]") {
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  testing::RecordingVisitor visitor;
  CHECK_FALSE(QuicTls::CreateClient(*client_ctx, &visitor, "localhost", kClientParams,
                                    Bytes("not a session"))
                  .ok());
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  CHECK_FALSE(server_ctx->SetTicketKeys(std::vector<uint8_t>(47, 1)).ok());
}

TEST_CASE("QuicTls early data on the server needs an early-data context", "[tls]") {
  ServerOptions options = DefaultServerOptions();
  options.enable_early_data = true;
  auto server_ctx = MakeServerContext(options);
  testing::RecordingVisitor visitor;
  CHECK_FALSE(QuicTls::CreateServer(*server_ctx, &visitor, kServerParams, {}).ok());
  CHECK(QuicTls::CreateServer(*server_ctx, &visitor, kServerParams, Bytes("ctx")).ok());
  CHECK_FALSE(QuicTls::CreateServer(*server_ctx, &visitor, {}, Bytes("ctx")).ok());
}

TEST_CASE("QuicTls server selects the certificate by SNI", "[tls]") {
  SelfSignedOptions wild_options;
  wild_options.dns_names = {"*.wild.test"};
  absl::StatusOr<SelfSignedCertificate> wild = GenerateSelfSignedCertificate(wild_options);
  REQUIRE(wild.ok());

  ServerOptions options = DefaultServerOptions();
  options.sni_certificates.push_back(
      {"ALT.test", {OtherCertificate().certificate_pem, OtherCertificate().private_key_pem, "", ""}});
  options.sni_certificates.push_back(
      {"*.wild.test", {wild->certificate_pem, wild->private_key_pem, "", ""}});
  auto server_ctx = MakeServerContext(options);
  auto client_ctx = MakeClientContext(DefaultClientOptions());

  auto handshake = [&](const std::string& name) {
    Endpoint client, server;
    StartClient(client, *client_ctx, name);
    MakeServer(server, *server_ctx);
    RunHandshake(client, server);
    REQUIRE(client.status.ok());
    REQUIRE(server.status.ok());
    CHECK(server.tls->server_name() == name);
    return client.tls->PeerCertificateChainDer();
  };

  std::vector<std::vector<uint8_t>> alt = handshake("alt.test");
  CHECK(LeafMatchesHost(alt, "alt.test"));
  CHECK_FALSE(LeafMatchesHost(alt, "default.test"));
  CHECK(LeafMatchesHost(handshake("x.wild.test"), "x.wild.test"));
  std::vector<std::vector<uint8_t>> other = handshake("unknown.test");
  CHECK(LeafMatchesHost(other, "default.test"));
  CHECK_FALSE(LeafMatchesHost(other, "alt.test"));

  // Hot reload: the default certificate becomes OtherCertificate for new handshakes.
  REQUIRE(server_ctx
              ->ReloadCertificates({OtherCertificate().certificate_pem,
                                    OtherCertificate().private_key_pem, "", ""},
                                   {})
              .ok());
  CHECK(LeafMatchesHost(handshake("x.wild.test"), "alt.test"));
  // A broken reload changes nothing.
  CHECK_FALSE(server_ctx->ReloadCertificates({"garbage", "garbage", "", ""}, {}).ok());
  CHECK(LeafMatchesHost(handshake("default.test"), "alt.test"));
}

TEST_CASE("QuicTls verifies the server certificate", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());

  auto run = [&](const std::string& trusted_pem, const std::string& name) {
    ClientOptions options = DefaultClientOptions();
    options.verify_peer = true;
    options.trusted_certificates_pem = {trusted_pem};
    auto client_ctx = MakeClientContext(options);
    Endpoint client, server;
    StartClient(client, *client_ctx, name);
    MakeServer(server, *server_ctx);
    RunHandshake(client, server);
    return std::make_pair(client.status, client.tls->handshake_complete());
  };

  SECTION("trusted, matching DNS name") {
    auto [status, complete] = run(TestCertificate().certificate_pem, "default.test");
    CHECK(status.ok());
    CHECK(complete);
  }
  SECTION("trusted, matching IP address") {
    auto [status, complete] = run(TestCertificate().certificate_pem, "127.0.0.1");
    CHECK(status.ok());
    CHECK(complete);
  }
  SECTION("untrusted: unknown_ca") {
    auto [status, complete] = run(OtherCertificate().certificate_pem, "localhost");
    CHECK_FALSE(complete);
    CHECK(GetTlsAlert(status) == kAlertUnknownCa);
    CHECK(TlsErrorTransportCode(status) == 0x100 + 48);
    CHECK(std::string(status.message()).find("self signed") != std::string::npos);
  }
  SECTION("trusted, wrong name: bad_certificate") {
    auto [status, complete] = run(TestCertificate().certificate_pem, "alt.test");
    CHECK_FALSE(complete);
    CHECK(GetTlsAlert(status) == kAlertBadCertificate);
  }
}

TEST_CASE("QuicTls key log lines equal the secrets handed to the visitor", "[tls]") {
  std::vector<std::string> lines;
  ClientOptions client_options = DefaultClientOptions();
  client_options.key_log = [&lines](std::string_view line) { lines.emplace_back(line); };
  auto client_ctx = MakeClientContext(client_options);
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  MakeServer(server, *server_ctx);
  RunHandshake(client, server);
  REQUIRE(client.status.ok());

  std::map<std::string, std::string> log = ParseKeyLog(lines);
  auto hex = [&](EncryptionLevel level, Direction dir) {
    std::optional<std::vector<uint8_t>> s = client.visitor.Secret(level, dir);
    REQUIRE(s.has_value());
    return Hex(*s);
  };
  CHECK(log["CLIENT_HANDSHAKE_TRAFFIC_SECRET"] ==
        hex(EncryptionLevel::kHandshake, Direction::kWrite));
  CHECK(log["SERVER_HANDSHAKE_TRAFFIC_SECRET"] ==
        hex(EncryptionLevel::kHandshake, Direction::kRead));
  CHECK(log["CLIENT_TRAFFIC_SECRET_0"] == hex(EncryptionLevel::kApplication, Direction::kWrite));
  CHECK(log["SERVER_TRAFFIC_SECRET_0"] == hex(EncryptionLevel::kApplication, Direction::kRead));
  CHECK(log.count("EXPORTER_SECRET") == 1);
}

TEST_CASE("QuicTls queues CRYPTO data until its level is readable", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  MakeServer(server, *server_ctx);
  REQUIRE(server.tls->Start().ok());
  REQUIRE(server.tls
              ->ProvideData(EncryptionLevel::kInitial,
                            client.visitor.TakeOutbound(EncryptionLevel::kInitial))
              .ok());
  std::vector<uint8_t> initial = server.visitor.TakeOutbound(EncryptionLevel::kInitial);
  std::vector<uint8_t> handshake = server.visitor.TakeOutbound(EncryptionLevel::kHandshake);
  REQUIRE_FALSE(initial.empty());
  REQUIRE_FALSE(handshake.empty());

  // Handshake-level data before the ServerHello: held, not an error.
  REQUIRE(client.tls->ProvideData(EncryptionLevel::kHandshake, handshake).ok());
  CHECK(client.tls->buffered_crypto_bytes(EncryptionLevel::kHandshake) == handshake.size());
  CHECK_FALSE(client.tls->handshake_complete());
  CHECK(client.visitor.IndexOf(EncryptionLevel::kHandshake, Direction::kRead) < 0);

  // The ServerHello installs Handshake keys; the queued flight is consumed at once.
  REQUIRE(client.tls->ProvideData(EncryptionLevel::kInitial, initial).ok());
  CHECK(client.tls->buffered_crypto_bytes(EncryptionLevel::kHandshake) == 0);
  CHECK(client.tls->handshake_complete());
  RunHandshake(client, server);
  CHECK(server.status.ok());
  CHECK(server.tls->handshake_complete());

  // Once past a level, new data there is a protocol violation (RFC 9001 §4.1.3).
  absl::Status late = client.tls->ProvideData(EncryptionLevel::kInitial, Bytes("late"));
  CHECK(GetTlsErrorKind(late) == TlsErrorKind::kProtocolViolation);
  CHECK(TlsErrorTransportCode(late) == 0x0a);
}

TEST_CASE("QuicTls accepts a flight split into single bytes", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  Endpoint client, server;
  StartClient(client, *client_ctx, "localhost");
  MakeServer(server, *server_ctx);
  std::vector<uint8_t> hello = client.visitor.TakeOutbound(EncryptionLevel::kInitial);
  for (size_t i = 0; i < hello.size(); ++i) {
    REQUIRE(server.tls->ProvideData(EncryptionLevel::kInitial, absl::MakeConstSpan(&hello[i], 1))
                .ok());
    // Nothing comes back before the last byte of the ClientHello.
    CHECK(server.visitor.HasOutbound() == (i + 1 == hello.size()));
  }
  for (EncryptionLevel level : {EncryptionLevel::kInitial, EncryptionLevel::kHandshake}) {
    for (uint8_t byte : server.visitor.TakeOutbound(level)) {
      REQUIRE(client.tls->ProvideData(level, absl::MakeConstSpan(&byte, 1)).ok());
    }
  }
  CHECK(client.tls->handshake_complete());
  RunHandshake(client, server);
  CHECK(server.status.ok());
  CHECK(server.tls->handshake_complete());
}

TEST_CASE("QuicTls client must Start before it takes CRYPTO data", "[tls]") {
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  testing::RecordingVisitor visitor;
  absl::StatusOr<std::unique_ptr<QuicTls>> tls =
      QuicTls::CreateClient(*client_ctx, &visitor, "localhost", kClientParams);
  REQUIRE(tls.ok());
  CHECK((*tls)->ProvideData(EncryptionLevel::kInitial, Bytes("x")).code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE((*tls)->Start().ok());
  CHECK((*tls)->Start().code() == absl::StatusCode::kFailedPrecondition);
  CHECK_FALSE(QuicTls::CreateClient(*client_ctx, &visitor, std::string("a\0b", 3), kClientParams)
                  .ok());
}

TEST_CASE("QuicTls bounds queued CRYPTO data", "[tls]") {
  auto client_ctx = MakeClientContext(DefaultClientOptions());
  Endpoint client;
  StartClient(client, *client_ctx, "localhost");
  size_t limit = client.tls->MaxBufferedCryptoBytes(EncryptionLevel::kApplication);
  REQUIRE(limit > 0);
  std::vector<uint8_t> chunk(limit, 0);
  REQUIRE(client.tls->ProvideData(EncryptionLevel::kApplication, chunk).ok());
  absl::Status over = client.tls->ProvideData(EncryptionLevel::kApplication, Bytes("x"));
  CHECK(GetTlsErrorKind(over) == TlsErrorKind::kCryptoBufferExceeded);
  CHECK(TlsErrorTransportCode(over) == 0x0d);
}

TEST_CASE("QuicTls bounds unprocessed CRYPTO data at the current level", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  Endpoint server;
  MakeServer(server, *server_ctx);
  size_t limit = server.tls->MaxBufferedCryptoBytes(EncryptionLevel::kInitial);
  // A ClientHello header announcing more than the limit, then more bytes than the limit.
  std::vector<uint8_t> data = {0x01, 0x01, 0x00, 0x00};
  data.resize(limit + 1, 0x00);
  absl::Status status = server.tls->ProvideData(EncryptionLevel::kInitial, data);
  CHECK(GetTlsErrorKind(status) == TlsErrorKind::kCryptoBufferExceeded);
}

TEST_CASE("QuicTls turns garbage handshake bytes into an alert", "[tls]") {
  auto server_ctx = MakeServerContext(DefaultServerOptions());
  auto client_ctx = MakeClientContext(DefaultClientOptions());

  SECTION("ClientHello with a junk body") {
    Endpoint server;
    MakeServer(server, *server_ctx);
    std::vector<uint8_t> hello = {0x01, 0x00, 0x00, 0x20};
    hello.resize(hello.size() + 0x20, 0xab);
    absl::Status status = server.tls->ProvideData(EncryptionLevel::kInitial, hello);
    CHECK(GetTlsErrorKind(status) == TlsErrorKind::kAlert);
    CHECK(server.tls->alert().has_value());
    CHECK(server.visitor.alerts.size() == 1);
  }
  SECTION("a ServerHello sent to a server") {
    Endpoint server;
    MakeServer(server, *server_ctx);
    std::vector<uint8_t> message = {0x02, 0x00, 0x00, 0x04, 0x03, 0x03, 0x00, 0x00};
    absl::Status status = server.tls->ProvideData(EncryptionLevel::kInitial, message);
    CHECK(GetTlsAlert(status) == kAlertUnexpectedMessage);
  }
  SECTION("CRYPTO data in 0-RTT") {
    Endpoint server;
    MakeServer(server, *server_ctx);
    absl::Status status = server.tls->ProvideData(EncryptionLevel::kEarlyData, Bytes("x"));
    CHECK(GetTlsErrorKind(status) == TlsErrorKind::kProtocolViolation);
  }
  SECTION("seeded random messages to both sides never crash") {
    std::mt19937 rng(20240601);
    int failures = 0;
    for (int i = 0; i < 200; ++i) {
      Endpoint client, server;
      StartClient(client, *client_ctx, "localhost");
      MakeServer(server, *server_ctx);
      size_t body = rng() % 600;
      std::vector<uint8_t> message = {static_cast<uint8_t>(rng() % 25), 0,
                                      static_cast<uint8_t>(body >> 8),
                                      static_cast<uint8_t>(body & 0xff)};
      for (size_t j = 0; j < body; ++j) message.push_back(static_cast<uint8_t>(rng()));
      Endpoint& target = (i % 2 == 0) ? server : client;
      absl::Status status = target.tls->ProvideData(EncryptionLevel::kInitial, message);
      // A whole message arrived: it must be rejected with an alert, never accepted.
      REQUIRE_FALSE(status.ok());
      CHECK(GetTlsErrorKind(status) == TlsErrorKind::kAlert);
      CHECK(target.tls->alert().has_value());
      ++failures;
    }
    CHECK(failures == 200);
  }
}

}  // namespace
}  // namespace kite::tls
