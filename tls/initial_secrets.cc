#include "tls/initial_secrets.h"

#include <openssl/digest.h>
#include <openssl/err.h>
#include <openssl/hkdf.h>

#include "absl/status/status.h"
#include "tls/cipher_suite.h"
#include "tls/hkdf_label.h"

namespace kite::tls {
namespace {

// RFC 9001 §5.2.
constexpr uint8_t kV1InitialSalt[] = {0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34,
                                      0xb3, 0x4d, 0x17, 0x9a, 0xe6, 0xa4, 0xc8,
                                      0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a};
// RFC 9369 §3.3.1.
constexpr uint8_t kV2InitialSalt[] = {0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6,
                                      0xdb, 0x81, 0x93, 0x81, 0xbe, 0x6e, 0x26,
                                      0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9};

}  // namespace

absl::Span<const uint8_t> InitialSalt(QuicVersion version) {
  return version == QuicVersion::kV2 ? absl::MakeConstSpan(kV2InitialSalt)
                                     : absl::MakeConstSpan(kV1InitialSalt);
}

absl::StatusOr<InitialSecrets> DeriveInitialSecrets(QuicVersion version,
                                                    absl::Span<const uint8_t> client_dcid) {
  if (client_dcid.size() > kMaxInitialConnectionIdLength) {
    return absl::InvalidArgumentError("connection ID longer than 20 bytes (RFC 9000 §17.2)");
  }
  const EVP_MD* md = EVP_sha256();
  const absl::Span<const uint8_t> salt = InitialSalt(version);
  InitialSecrets s;
  s.initial_secret.resize(kInitialSecretLength);
  size_t prk_len = 0;
  if (HKDF_extract(s.initial_secret.data(), &prk_len, md, client_dcid.data(), client_dcid.size(),
                   salt.data(), salt.size()) != 1 ||
      prk_len != kInitialSecretLength) {
    ERR_clear_error();
    return absl::InternalError("HKDF_extract failed for the initial secret");
  }
  // RFC 9001 §5.2: the same "client in"/"server in" labels in both versions.
  absl::StatusOr<std::vector<uint8_t>> client =
      HkdfExpandLabel(md, s.initial_secret, "client in", {}, kInitialSecretLength);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::vector<uint8_t>> server =
      HkdfExpandLabel(md, s.initial_secret, "server in", {}, kInitialSecretLength);
  if (!server.ok()) return server.status();
  s.client = *std::move(client);
  s.server = *std::move(server);
  return s;
}

absl::StatusOr<InitialProtectors> CreateInitialProtectors(
    QuicVersion version, absl::Span<const uint8_t> client_dcid) {
  absl::StatusOr<InitialSecrets> secrets = DeriveInitialSecrets(version, client_dcid);
  if (!secrets.ok()) return secrets.status();
  InitialProtectors p;
  absl::StatusOr<std::unique_ptr<PacketProtector>> client =
      PacketProtector::Create(Aes128GcmSha256(), version, secrets->client);
  if (!client.ok()) return client.status();
  absl::StatusOr<std::unique_ptr<PacketProtector>> server =
      PacketProtector::Create(Aes128GcmSha256(), version, secrets->server);
  if (!server.ok()) return server.status();
  p.client = *std::move(client);
  p.server = *std::move(server);
  return p;
}

}  // namespace kite::tls
