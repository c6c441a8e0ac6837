#include "tls/initial_secrets.h"

#include <catch2/catch.hpp>

#include <vector>

#include "test/tls/protection_vectors.h"

namespace kite::tls {
namespace {

using testing::HexToBytes;

TEST_CASE("Initial salts are RFC 9001 §5.2 and RFC 9369 §3.3.1", "[tls][initial]") {
  CHECK(std::vector<uint8_t>(InitialSalt(QuicVersion::kV1).begin(),
                             InitialSalt(QuicVersion::kV1).end()) ==
        HexToBytes("38762cf7f55934b34d179ae6a4c80cadccbb7f0a"));
  CHECK(std::vector<uint8_t>(InitialSalt(QuicVersion::kV2).begin(),
                             InitialSalt(QuicVersion::kV2).end()) ==
        HexToBytes("0dede3def700a6db819381be6e269dcbf9bd2ed9"));
}

TEST_CASE("Initial secrets and keys match Appendix A.1", "[tls][initial]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  INFO(QuicVersionName(version));
  absl::StatusOr<InitialSecrets> s = DeriveInitialSecrets(version, HexToBytes(v.dcid));
  REQUIRE(s.ok());
  CHECK(s->initial_secret == HexToBytes(v.initial_secret));
  CHECK(s->client == HexToBytes(v.client_secret));
  CHECK(s->server == HexToBytes(v.server_secret));

  absl::StatusOr<PacketKeyMaterial> client =
      DerivePacketKeyMaterial(Aes128GcmSha256(), version, s->client);
  REQUIRE(client.ok());
  CHECK(client->key == HexToBytes(v.client_key));
  CHECK(client->iv == HexToBytes(v.client_iv));
  CHECK(client->hp == HexToBytes(v.client_hp));

  absl::StatusOr<PacketKeyMaterial> server =
      DerivePacketKeyMaterial(Aes128GcmSha256(), version, s->server);
  REQUIRE(server.ok());
  CHECK(server->key == HexToBytes(v.server_key));
  CHECK(server->iv == HexToBytes(v.server_iv));
  CHECK(server->hp == HexToBytes(v.server_hp));
}

TEST_CASE("Initial protectors seal with one side and open with the other", "[tls][initial]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  const std::vector<uint8_t> dcid = HexToBytes("0001020304050607");
  absl::StatusOr<InitialProtectors> client_side = CreateInitialProtectors(version, dcid);
  absl::StatusOr<InitialProtectors> server_side = CreateInitialProtectors(version, dcid);
  REQUIRE(client_side.ok());
  REQUIRE(server_side.ok());
  const std::vector<uint8_t> header = {0xc0, 0x00, 0x00, 0x00, 0x01};
  std::vector<uint8_t> buf(64, 0x5a);
  absl::StatusOr<size_t> sealed =
      client_side->client->SealPayload(7, header, absl::MakeSpan(buf), 30);
  REQUIRE(sealed.ok());
  std::vector<uint8_t> out(64);
  OpenResult by_server = server_side->client->OpenPayload(
      7, header, absl::MakeConstSpan(buf.data(), *sealed), absl::MakeSpan(out));
  REQUIRE(by_server.ok());
  CHECK(by_server.plaintext_length() == 30);
  CHECK(std::vector<uint8_t>(out.begin(), out.begin() + 30) == std::vector<uint8_t>(30, 0x5a));
  // The server's own write keys differ, so they cannot open the client's packet.
  CHECK(server_side->server
            ->OpenPayload(7, header, absl::MakeConstSpan(buf.data(), *sealed),
                          absl::MakeSpan(out))
            .authentication_failed());
}

TEST_CASE("Initial secrets accept 0..20 byte DCIDs and reject longer ones", "[tls][initial]") {
  CHECK(DeriveInitialSecrets(QuicVersion::kV1, {}).ok());
  const std::vector<uint8_t> max_cid(kMaxInitialConnectionIdLength, 0x42);
  CHECK(DeriveInitialSecrets(QuicVersion::kV1, max_cid).ok());
  const std::vector<uint8_t> too_long(kMaxInitialConnectionIdLength + 1, 0x42);
  CHECK(absl::IsInvalidArgument(DeriveInitialSecrets(QuicVersion::kV1, too_long).status()));
  CHECK(absl::IsInvalidArgument(CreateInitialProtectors(QuicVersion::kV2, too_long).status()));
}

}  // namespace
}  // namespace kite::tls
