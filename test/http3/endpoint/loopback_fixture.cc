#include "test/http3/endpoint/loopback_fixture.h"

#include <openssl/sha.h>

#include "absl/time/clock.h"
#include "http3/endpoint/bytes_pattern.h"
#include "http3/endpoint/file_server_handler.h"
#include "tls/self_signed_certificate.h"

namespace kite::http3::test {

absl::Status Loopback::Start(const FixtureOptions& options) {
  options_ = options;
  absl::StatusOr<std::unique_ptr<quic::io::EventLoop>> loop = quic::io::EventLoop::Create();
  if (!loop.ok()) return loop.status();
  loop_ = std::move(*loop);
  absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate();
  if (!cert.ok()) return cert.status();
  tls::ServerOptions so;
  so.certificate.chain_pem = cert->certificate_pem;
  so.certificate.key_pem = cert->private_key_pem;
  so.alpn = {"h3"};
  so.enable_early_data = options.early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> st = tls::TlsServerContext::Create(so);
  if (!st.ok()) return st.status();
  server_tls_ = std::move(*st);
  tls::ClientOptions co;
  co.alpn = {"h3"};
  co.trusted_certificates_pem = {cert->certificate_pem};
  co.enable_early_data = options.early_data;
  absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> ct = tls::TlsClientContext::Create(co);
  if (!ct.ok()) return ct.status();
  client_tls_ = std::move(*ct);

  ServerEndpointOptions eo;
  eo.local = options.ipv6 ? quic::SocketAddress{} : quic::SocketAddress::V4(127, 0, 0, 1, 0);
  if (options.ipv6) {
    eo.local.ipv6 = true;
    eo.local.ip[15] = 1;
  }
  eo.retry = options.retry;
  eo.new_tokens = options.new_tokens;
  eo.tokens.new_token_lifetime = options.new_token_lifetime;
  eo.stateless_reset_key = options.stateless_reset_key;
  eo.connection.max_datagram_size = 1452;
  eo.connection.initial_max_data = 8 << 20;
  eo.connection.initial_max_stream_data_bidi_remote = 2 << 20;
  eo.connection.initial_max_stream_data_bidi_local = 2 << 20;
  eo.log = [this](const std::string& line) { log_.push_back(line); };
  absl::StatusOr<std::unique_ptr<ServerEndpoint>> server = ServerEndpoint::Create(
      loop_.get(), server_tls_.get(),
      [] { return std::make_unique<FileServerHandler>(FileServerOptions{}); }, eo);
  if (!server.ok()) return server.status();
  server_ = std::move(*server);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ClientEndpoint>> Loopback::NewClient(std::vector<uint8_t> ticket,
                                                                    uint64_t migrate_after,
                                                                    std::vector<uint8_t> token) {
  ClientEndpointOptions co;
  co.server = server_->local_address();
  co.connection.server_name = "localhost";
  co.connection.max_datagram_size = 1452;
  co.connection.initial_max_data = 8 << 20;
  co.connection.initial_max_stream_data_bidi_local = 2 << 20;
  co.connection.resumption_session = ticket;
  co.connection.address_token = std::move(token);
  co.session.resumption_ticket = ticket;
  co.migrate_after_bytes = migrate_after;
  return ClientEndpoint::Create(loop_.get(), client_tls_.get(), co);
}

bool Loopback::RunUntil(const std::function<bool()>& done, absl::Duration limit) {
  // The bound only keeps a broken test from hanging; nothing asserts on elapsed time.
  const absl::Time give_up = absl::Now() + limit;
  while (!done()) {
    if (absl::Now() > give_up) return false;
    loop_->RunOnce(absl::Milliseconds(20));
  }
  return true;
}

std::array<uint8_t, 32> PatternSha256(uint64_t n) {
  SHA256_CTX ctx;
  SHA256_Init(&ctx);
  std::vector<uint8_t> buf(64 << 10);
  for (uint64_t off = 0; off < n;) {
    size_t k = static_cast<size_t>(std::min<uint64_t>(buf.size(), n - off));
    FillPattern(off, absl::MakeSpan(buf.data(), k));
    SHA256_Update(&ctx, buf.data(), k);
    off += k;
  }
  std::array<uint8_t, 32> out{};
  SHA256_Final(out.data(), &ctx);
  return out;
}

}  // namespace kite::http3::test
