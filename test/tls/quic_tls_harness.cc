#include "test/tls/quic_tls_harness.h"

#include <cstdlib>

namespace kite::tls::testing {

void RecordingVisitor::OnSecret(EncryptionLevel level, Direction direction, uint16_t cipher_suite,
                                absl::Span<const uint8_t> secret) {
  secrets.push_back(
      SecretRecord{level, direction, cipher_suite, std::vector<uint8_t>(secret.begin(), secret.end())});
}

void RecordingVisitor::OnHandshakeData(EncryptionLevel level, absl::Span<const uint8_t> data) {
  std::vector<uint8_t>& out = outbound[static_cast<size_t>(level)];
  out.insert(out.end(), data.begin(), data.end());
}

void RecordingVisitor::OnAlert(EncryptionLevel level, uint8_t alert) {
  alerts.emplace_back(level, alert);
}

void RecordingVisitor::OnNewSession(std::vector<uint8_t> serialized_session) {
  sessions.push_back(std::move(serialized_session));
}

void RecordingVisitor::OnEarlyDataRejected() { ++early_data_rejections; }

int RecordingVisitor::IndexOf(EncryptionLevel level, Direction direction) const {
  for (size_t i = 0; i < secrets.size(); ++i) {
    if (secrets[i].level == level && secrets[i].direction == direction) return static_cast<int>(i);
  }
  return -1;
}

std::optional<std::vector<uint8_t>> RecordingVisitor::Secret(EncryptionLevel level,
                                                             Direction direction) const {
  int i = IndexOf(level, direction);
  if (i < 0) return std::nullopt;
  return secrets[static_cast<size_t>(i)].secret;
}

bool RecordingVisitor::HasOutbound() const {
  for (const auto& out : outbound) {
    if (!out.empty()) return true;
  }
  return false;
}

std::vector<uint8_t> RecordingVisitor::TakeOutbound(EncryptionLevel level) {
  std::vector<uint8_t> out = std::move(outbound[static_cast<size_t>(level)]);
  outbound[static_cast<size_t>(level)].clear();
  return out;
}

namespace {

// Delivers `from`'s pending flight to `to`, lowest level first, as a connection would.
void Deliver(Endpoint& from, Endpoint& to) {
  for (int i = 0; i < kNumEncryptionLevels; ++i) {
    auto level = static_cast<EncryptionLevel>(i);
    std::vector<uint8_t> data = from.visitor.TakeOutbound(level);
    if (data.empty() || !to.status.ok()) continue;
    to.status = to.tls->ProvideData(level, data);
  }
}

}  // namespace

void RunHandshake(Endpoint& client, Endpoint& server) {
  constexpr int kMaxRounds = 16;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (!client.visitor.HasOutbound() && !server.visitor.HasOutbound()) return;
    if (!client.status.ok() || !server.status.ok()) return;
    Deliver(client, server);
    Deliver(server, client);
  }
}

const SelfSignedCertificate& TestCertificate() {
  static const SelfSignedCertificate* cert = [] {
    SelfSignedOptions options;
    options.common_name = "default.test";
    options.dns_names = {"localhost", "default.test"};
    options.ip_addresses = {"127.0.0.1"};
    absl::StatusOr<SelfSignedCertificate> c = GenerateSelfSignedCertificate(options);
    if (!c.ok()) std::abort();
    return new SelfSignedCertificate(*std::move(c));
  }();
  return *cert;
}

const SelfSignedCertificate& OtherCertificate() {
  static const SelfSignedCertificate* cert = [] {
    SelfSignedOptions options;
    options.common_name = "alt.test";
    options.dns_names = {"localhost", "alt.test"};
    absl::StatusOr<SelfSignedCertificate> c = GenerateSelfSignedCertificate(options);
    if (!c.ok()) std::abort();
    return new SelfSignedCertificate(*std::move(c));
  }();
  return *cert;
}

std::vector<uint8_t> Bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }

std::string Hex(absl::Span<const uint8_t> bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xf]);
  }
  return out;
}

}  // namespace kite::tls::testing
