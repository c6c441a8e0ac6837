// Runs with OPENSSL_ia32cap='~0x200000000000000' (set by the BUILD rule): with AES-NI hidden,
// BoringSSL's client offers ChaCha20-Poly1305 first, the only way to pick it in this BoringSSL.
#include <cstdlib>
#include <string>

#include <catch2/catch.hpp>

#include "test/tls/quic_tls_harness.h"
#include "tls/quic_tls.h"
#include "tls/tls_context.h"

namespace kite::tls {
namespace {

TEST_CASE("QuicTls negotiates ChaCha20-Poly1305 without AES hardware", "[tls]") {
  const char* cap = std::getenv("OPENSSL_ia32cap");
  REQUIRE(cap != nullptr);
  CHECK(std::string(cap) == "~0x200000000000000");

  ServerOptions server_options;
  server_options.certificate.chain_pem = testing::TestCertificate().certificate_pem;
  server_options.certificate.key_pem = testing::TestCertificate().private_key_pem;
  server_options.alpn = {"h3"};
  absl::StatusOr<std::unique_ptr<TlsServerContext>> server_ctx =
      TlsServerContext::Create(server_options);
  REQUIRE(server_ctx.ok());
  ClientOptions client_options;
  client_options.alpn = {"h3"};
  client_options.verify_peer = false;
  absl::StatusOr<std::unique_ptr<TlsClientContext>> client_ctx =
      TlsClientContext::Create(client_options);
  REQUIRE(client_ctx.ok());

  testing::Endpoint client, server;
  absl::StatusOr<std::unique_ptr<QuicTls>> c =
      QuicTls::CreateClient(**client_ctx, &client.visitor, "localhost", {1, 2, 3});
  REQUIRE(c.ok());
  client.tls = *std::move(c);
  absl::StatusOr<std::unique_ptr<QuicTls>> s =
      QuicTls::CreateServer(**server_ctx, &server.visitor, {4, 5, 6}, {});
  REQUIRE(s.ok());
  server.tls = *std::move(s);
  client.status = client.tls->Start();
  testing::RunHandshake(client, server);
  REQUIRE(client.status.ok());
  REQUIRE(server.status.ok());
  CHECK(client.tls->handshake_complete());
  CHECK(client.tls->cipher_suite() == 0x1303);
  CHECK(server.tls->cipher_suite() == 0x1303);
  for (const testing::SecretRecord& r : client.visitor.secrets) {
    CHECK(r.cipher_suite == 0x1303);
    CHECK(r.secret.size() == 32);
  }
}

}  // namespace
}  // namespace kite::tls
