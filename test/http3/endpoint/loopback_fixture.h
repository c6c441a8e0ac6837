// A kite server endpoint and client endpoints on one event loop over the loopback interface,
// with a fresh self-signed certificate, for the endpoint tests.
#ifndef KITE_TEST_HTTP3_ENDPOINT_LOOPBACK_FIXTURE_H_
#define KITE_TEST_HTTP3_ENDPOINT_LOOPBACK_FIXTURE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http3/endpoint/client_endpoint.h"
#include "http3/endpoint/server_endpoint.h"
#include "quic/io/event_loop.h"
#include "tls/tls_context.h"

namespace kite::http3::test {

struct FixtureOptions {
  bool ipv6 = false;
  bool early_data = false;
  bool retry = false;
  bool new_tokens = true;
  absl::Duration new_token_lifetime = absl::Hours(24);
  // The server's static stateless-reset key (32 bytes); empty: random.
  std::vector<uint8_t> stateless_reset_key;
};

class Loopback {
 public:
  // Starts the server (serving /bytes/N through FileServerHandler).
  absl::Status Start(const FixtureOptions& options);
  absl::StatusOr<std::unique_ptr<ClientEndpoint>> NewClient(
      std::vector<uint8_t> ticket = {}, uint64_t migrate_after_bytes = 0,
      std::vector<uint8_t> address_token = {});
  // Runs the loop until `done` or a (generous) wall-clock bound; returns done().
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit = absl::Seconds(15));

  quic::io::EventLoop& loop() { return *loop_; }
  ServerEndpoint& server() { return *server_; }
  const std::vector<std::string>& server_log() const { return log_; }

 private:
  FixtureOptions options_;
  std::unique_ptr<quic::io::EventLoop> loop_;
  std::unique_ptr<tls::TlsServerContext> server_tls_;
  std::unique_ptr<tls::TlsClientContext> client_tls_;
  // Before the server: its destructor logs the connections still open.
  std::vector<std::string> log_;
  std::unique_ptr<ServerEndpoint> server_;
};

// SHA-256 of `n` bytes of the /bytes pattern.
std::array<uint8_t, 32> PatternSha256(uint64_t n);

}  // namespace kite::http3::test

#endif  // KITE_TEST_HTTP3_ENDPOINT_LOOPBACK_FIXTURE_H_
