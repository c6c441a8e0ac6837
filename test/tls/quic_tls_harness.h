// Test support: a recording QuicTlsVisitor and an in-memory driver that moves handshake bytes
// between a client and a server QuicTls level by level (no QUIC packets).
#ifndef KITE_TEST_TLS_QUIC_TLS_HARNESS_H_
#define KITE_TEST_TLS_QUIC_TLS_HARNESS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "tls/quic_tls.h"
#include "tls/self_signed_certificate.h"

namespace kite::tls::testing {

struct SecretRecord {
  EncryptionLevel level;
  Direction direction;
  uint16_t cipher_suite;
  std::vector<uint8_t> secret;
};

class RecordingVisitor : public QuicTlsVisitor {
 public:
  void OnSecret(EncryptionLevel level, Direction direction, uint16_t cipher_suite,
                absl::Span<const uint8_t> secret) override;
  void OnHandshakeData(EncryptionLevel level, absl::Span<const uint8_t> data) override;
  void OnAlert(EncryptionLevel level, uint8_t alert) override;
  void OnNewSession(std::vector<uint8_t> serialized_session) override;
  void OnEarlyDataRejected() override;

  // Position of the secret in arrival order, or -1.
  int IndexOf(EncryptionLevel level, Direction direction) const;
  std::optional<std::vector<uint8_t>> Secret(EncryptionLevel level, Direction direction) const;
  bool HasOutbound() const;
  // Takes what the endpoint wants to send at `level`.
  std::vector<uint8_t> TakeOutbound(EncryptionLevel level);

  std::vector<SecretRecord> secrets;
  std::array<std::vector<uint8_t>, kNumEncryptionLevels> outbound;
  std::vector<std::pair<EncryptionLevel, uint8_t>> alerts;
  std::vector<std::vector<uint8_t>> sessions;
  int early_data_rejections = 0;
};

struct Endpoint {
  RecordingVisitor visitor;
  std::unique_ptr<QuicTls> tls;
  absl::Status status;  // first failure seen while driving
};

// Moves handshake data back and forth until neither side has anything to send or one fails.
// The client must already have been started.
void RunHandshake(Endpoint& client, Endpoint& server);

// Two independent self-signed certificates generated once per process.
const SelfSignedCertificate& TestCertificate();  // DNS localhost, default.test; IP 127.0.0.1
const SelfSignedCertificate& OtherCertificate();  // DNS localhost, alt.test

std::vector<uint8_t> Bytes(const std::string& s);
std::string Hex(absl::Span<const uint8_t> bytes);

}  // namespace kite::tls::testing

#endif  // KITE_TEST_TLS_QUIC_TLS_HARNESS_H_
