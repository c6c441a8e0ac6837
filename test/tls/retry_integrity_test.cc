#include "tls/retry_integrity.h"

#include <openssl/digest.h>

#include <catch2/catch.hpp>

#include <vector>

#include "test/tls/protection_vectors.h"
#include "tls/hkdf_label.h"

namespace kite::tls {
namespace {

using testing::HexToBytes;

std::vector<uint8_t> ToVector(absl::Span<const uint8_t> s) { return {s.begin(), s.end()}; }

TEST_CASE("Retry integrity key and nonce derive from the published secrets",
          "[tls][retry]") {
  // RFC 9001 §5.8 and RFC 9369 §3.3.3 give the secrets the fixed key and nonce come from.
  const std::vector<uint8_t> v1_secret =
      HexToBytes("d9c9943e6101fd200021506bcc02814c73030f25c79d71ce876eca876e6fca8e");
  CHECK(*HkdfExpandLabel(EVP_sha256(), v1_secret, "quic key", {}, 16) ==
        ToVector(RetryIntegrityKey(QuicVersion::kV1)));
  CHECK(*HkdfExpandLabel(EVP_sha256(), v1_secret, "quic iv", {}, 12) ==
        ToVector(RetryIntegrityNonce(QuicVersion::kV1)));
  const std::vector<uint8_t> v2_secret =
      HexToBytes("c4dd2484d681aefa4ff4d69c2c20299984a765a5d3c31982f38fc74162155e9f");
  CHECK(*HkdfExpandLabel(EVP_sha256(), v2_secret, "quicv2 key", {}, 16) ==
        ToVector(RetryIntegrityKey(QuicVersion::kV2)));
  CHECK(*HkdfExpandLabel(EVP_sha256(), v2_secret, "quicv2 iv", {}, 12) ==
        ToVector(RetryIntegrityNonce(QuicVersion::kV2)));
}

TEST_CASE("Retry integrity tag matches Appendix A.4", "[tls][retry]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(QuicVersionName(version));
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  const std::vector<uint8_t> odcid = HexToBytes(v.dcid);
  const std::vector<uint8_t> retry = HexToBytes(v.retry_packet);
  REQUIRE(retry.size() > kRetryIntegrityTagLength);
  const size_t body_len = retry.size() - kRetryIntegrityTagLength;

  absl::StatusOr<RetryIntegrityTag> tag =
      ComputeRetryIntegrityTag(version, odcid, absl::MakeConstSpan(retry.data(), body_len));
  REQUIRE(tag.ok());
  CHECK(std::vector<uint8_t>(tag->begin(), tag->end()) ==
        std::vector<uint8_t>(retry.begin() + body_len, retry.end()));
  CHECK(*VerifyRetryIntegrityTag(version, odcid, retry));

  // The other version's key does not verify it.
  const QuicVersion other = version == QuicVersion::kV1 ? QuicVersion::kV2 : QuicVersion::kV1;
  CHECK_FALSE(*VerifyRetryIntegrityTag(other, odcid, retry));
}

TEST_CASE("Retry integrity rejects tampering and a wrong original DCID", "[tls][retry]") {
  const testing::ProtectionVectors& v = testing::Rfc9001Vectors();
  const std::vector<uint8_t> odcid = HexToBytes(v.dcid);
  const std::vector<uint8_t> retry = HexToBytes(v.retry_packet);
  for (size_t i = 0; i < retry.size(); ++i) {
    std::vector<uint8_t> tampered = retry;
    tampered[i] ^= 0x01;
    INFO("flipped byte " << i);
    CHECK_FALSE(*VerifyRetryIntegrityTag(QuicVersion::kV1, odcid, tampered));
  }
  std::vector<uint8_t> other_odcid = odcid;
  other_odcid[0] ^= 0x80;
  CHECK_FALSE(*VerifyRetryIntegrityTag(QuicVersion::kV1, other_odcid, retry));
  // Shorter ODCID, same bytes otherwise.
  CHECK_FALSE(*VerifyRetryIntegrityTag(
      QuicVersion::kV1, absl::MakeConstSpan(odcid.data(), odcid.size() - 1), retry));
}

TEST_CASE("Retry integrity bounds its inputs", "[tls][retry]") {
  const std::vector<uint8_t> odcid(8, 1);
  // Too short to hold a tag: not a valid Retry, not an error.
  const std::vector<uint8_t> tiny(kRetryIntegrityTagLength - 1, 0);
  CHECK_FALSE(*VerifyRetryIntegrityTag(QuicVersion::kV1, odcid, tiny));
  CHECK_FALSE(*VerifyRetryIntegrityTag(QuicVersion::kV1, odcid, {}));
  const std::vector<uint8_t> long_odcid(kMaxOriginalConnectionIdLength + 1, 1);
  CHECK(absl::IsInvalidArgument(
      VerifyRetryIntegrityTag(QuicVersion::kV1, long_odcid, HexToBytes(
          testing::Rfc9001Vectors().retry_packet)).status()));
  const std::vector<uint8_t> huge(kMaxRetryPacketLength + 1, 0);
  CHECK(absl::IsInvalidArgument(VerifyRetryIntegrityTag(QuicVersion::kV1, odcid, huge).status()));
  CHECK(absl::IsInvalidArgument(ComputeRetryIntegrityTag(QuicVersion::kV1, odcid, huge).status()));
}

}  // namespace
}  // namespace kite::tls
