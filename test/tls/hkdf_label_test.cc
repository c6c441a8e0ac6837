#include "tls/hkdf_label.h"

#include <openssl/digest.h>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "test/tls/protection_vectors.h"

namespace kite::tls {
namespace {

using testing::HexToBytes;

TEST_CASE("HkdfLabel encodes the RFC 9001 A.1 labels", "[tls][hkdf]") {
  const testing::ProtectionVectors& v = testing::Rfc9001Vectors();
  CHECK(*BuildHkdfLabel("client in", {}, 32) == HexToBytes(v.label_client_in));
  CHECK(*BuildHkdfLabel("server in", {}, 32) == HexToBytes(v.label_server_in));
  CHECK(*BuildHkdfLabel("quic key", {}, 16) == HexToBytes(v.label_key));
  CHECK(*BuildHkdfLabel("quic iv", {}, 12) == HexToBytes(v.label_iv));
  CHECK(*BuildHkdfLabel("quic hp", {}, 16) == HexToBytes(v.label_hp));
}

TEST_CASE("HkdfLabel encodes the RFC 9369 A.1 labels", "[tls][hkdf]") {
  const testing::ProtectionVectors& v = testing::Rfc9369Vectors();
  CHECK(*BuildHkdfLabel("client in", {}, 32) == HexToBytes(v.label_client_in));
  CHECK(*BuildHkdfLabel("server in", {}, 32) == HexToBytes(v.label_server_in));
  CHECK(*BuildHkdfLabel("quicv2 key", {}, 16) == HexToBytes(v.label_key));
  CHECK(*BuildHkdfLabel("quicv2 iv", {}, 12) == HexToBytes(v.label_iv));
  CHECK(*BuildHkdfLabel("quicv2 hp", {}, 16) == HexToBytes(v.label_hp));
}

TEST_CASE("HkdfLabel carries a non-empty context with its length", "[tls][hkdf]") {
  const std::vector<uint8_t> context = {0xaa, 0xbb, 0xcc};
  const std::vector<uint8_t> info = *BuildHkdfLabel("x", context, 0x0102);
  const std::vector<uint8_t> expected = {0x01, 0x02, 7,   't',  'l',  's', '1',
                                         '3',  ' ',  'x', 0x03, 0xaa, 0xbb, 0xcc};
  CHECK(info == expected);
}

TEST_CASE("HkdfExpandLabel derives the RFC 9001 A.1 client key", "[tls][hkdf]") {
  const testing::ProtectionVectors& v = testing::Rfc9001Vectors();
  const std::vector<uint8_t> secret = HexToBytes(v.client_secret);
  absl::StatusOr<std::vector<uint8_t>> key =
      HkdfExpandLabel(EVP_sha256(), secret, "quic key", {}, 16);
  REQUIRE(key.ok());
  CHECK(*key == HexToBytes(v.client_key));
  // Same derivation into a caller buffer.
  std::vector<uint8_t> iv(12);
  REQUIRE(HkdfExpandLabelInto(EVP_sha256(), secret, "quic iv", {}, absl::MakeSpan(iv)).ok());
  CHECK(iv == HexToBytes(v.client_iv));
}

TEST_CASE("HkdfExpandLabel rejects out-of-range labels, contexts and outputs", "[tls][hkdf]") {
  const std::vector<uint8_t> secret(32, 0x11);
  CHECK(absl::IsInvalidArgument(
      HkdfExpandLabel(EVP_sha256(), secret, std::string(kMaxHkdfLabelLength + 1, 'a'), {}, 16)
          .status()));
  CHECK(HkdfExpandLabel(EVP_sha256(), secret, std::string(kMaxHkdfLabelLength, 'a'), {}, 16)
            .ok());
  const std::vector<uint8_t> long_context(kMaxHkdfContextLength + 1, 0);
  CHECK(absl::IsInvalidArgument(
      HkdfExpandLabel(EVP_sha256(), secret, "quic key", long_context, 16).status()));
  CHECK(absl::IsInvalidArgument(HkdfExpandLabel(EVP_sha256(), secret, "", {}, 16).status()));
  CHECK(absl::IsInvalidArgument(
      HkdfExpandLabel(EVP_sha256(), secret, "quic key", {}, kMaxHkdfOutputLength + 1)
          .status()));
  CHECK(absl::IsInvalidArgument(HkdfExpandLabel(nullptr, secret, "quic key", {}, 16).status()));
  // HKDF caps the output at 255 * hash length: a BoringSSL failure comes back as a status.
  CHECK(!HkdfExpandLabel(EVP_sha256(), secret, "quic key", {}, 255 * 32 + 1).ok());
}

}  // namespace
}  // namespace kite::tls
