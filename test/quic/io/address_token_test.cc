#include "quic/io/address_token.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "quic/io/sockaddr.h"

namespace kite::quic::io {
namespace {

using Bytes = std::vector<uint8_t>;

RandomBytes SeededRandom(uint32_t seed) {
  auto rng = std::make_shared<std::mt19937>(seed);
  return [rng](uint8_t* out, size_t len) {
    for (size_t i = 0; i < len; ++i) out[i] = static_cast<uint8_t>((*rng)());
  };
}

AddressTokenKey Key(uint8_t id, uint8_t seed) {
  AddressTokenKey k;
  k.id = id;
  for (size_t i = 0; i < k.key.size(); ++i) k.key[i] = static_cast<uint8_t>(seed * 7 + i);
  return k;
}

AddressTokenCodec MakeCodec(const AddressTokenKey& key, const AddressTokenConfig& config = {}) {
  auto c = AddressTokenCodec::Create(key, config);
  REQUIRE(c.ok());
  return std::move(*c);
}

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000) + absl::Microseconds(123456);

Bytes Retry(const AddressTokenCodec& codec, const SocketAddress& client, const ConnectionId& odcid,
            absl::Time now, const RandomBytes& random) {
  Bytes out(kMaxAddressTokenSize);
  auto n = codec.IssueRetryToken(client, odcid, now, random, absl::MakeSpan(out));
  REQUIRE(n.ok());
  out.resize(*n);
  return out;
}

Bytes NewToken(const AddressTokenCodec& codec, const SocketAddress& client, absl::Time now,
               const RandomBytes& random) {
  Bytes out(kMaxAddressTokenSize);
  auto n = codec.IssueNewToken(client, now, random, absl::MakeSpan(out));
  REQUIRE(n.ok());
  out.resize(*n);
  return out;
}

TEST_CASE("Address tokens round trip for Retry and NEW_TOKEN", "[io][token]") {
  auto codec = MakeCodec(Key(1, 1));
  auto random = SeededRandom(1);
  const SocketAddress client = *ParseIp("192.0.2.7", 50123);
  const uint8_t odcid_bytes[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19,
                                 20};
  const ConnectionId odcid(odcid_bytes, sizeof(odcid_bytes));

  Bytes retry = Retry(codec, client, odcid, kNow, random);
  CHECK(retry.size() == kMaxAddressTokenSize);  // a 20-byte ODCID is the largest
  auto v = codec.Validate(retry, client, kNow + absl::Milliseconds(30));
  REQUIRE(v.ok());
  CHECK(v->kind == AddressTokenKind::kRetry);
  CHECK(v->issued == kNow);
  CHECK(v->original_dcid == odcid);

  Bytes nt = NewToken(codec, client, kNow, random);
  auto w = codec.Validate(nt, client, kNow + absl::Hours(1));
  REQUIRE(w.ok());
  CHECK(w->kind == AddressTokenKind::kNewToken);
  CHECK(w->issued == kNow);
  CHECK(w->original_dcid.empty());

  // Fresh nonces: the same inputs never give the same token.
  CHECK(NewToken(codec, client, kNow, random) != nt);

  // IPv6 clients too.
  const SocketAddress client6 = *ParseIp("2001:db8::1", 443);
  Bytes retry6 = Retry(codec, client6, odcid, kNow, random);
  CHECK(codec.Validate(retry6, client6, kNow).ok());

  // Too small an output buffer.
  Bytes small(10);
  CHECK(codec.IssueNewToken(client, kNow, random, absl::MakeSpan(small)).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("Address tokens are bound to the client address", "[io][token]") {
  auto codec = MakeCodec(Key(1, 1));
  auto random = SeededRandom(2);
  const SocketAddress client = *ParseIp("198.51.100.1", 4000);
  SocketAddress other_ip = *ParseIp("198.51.100.2", 4000);
  SocketAddress other_port = *ParseIp("198.51.100.1", 4001);
  const uint8_t odcid_bytes[] = {9, 8, 7, 6, 5, 4, 3, 2};
  Bytes retry = Retry(codec, client, ConnectionId(odcid_bytes, 8), kNow, random);
  Bytes nt = NewToken(codec, client, kNow, random);

  CHECK(codec.Validate(retry, other_ip, kNow).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(codec.Validate(nt, other_ip, kNow).status().code() == absl::StatusCode::kUnauthenticated);
  // Retry tokens bind the port; NEW_TOKEN tokens survive a new port (RFC 9000 §8.1.3).
  CHECK(codec.Validate(retry, other_port, kNow).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(codec.Validate(nt, other_port, kNow).ok());
  // The same first 4 bytes under the other family must not match.
  SocketAddress v6_same_bytes = client;
  v6_same_bytes.ipv6 = true;
  CHECK_FALSE(codec.Validate(nt, v6_same_bytes, kNow).ok());
}

TEST_CASE("Address tokens reject any tampering", "[io][token]") {
  auto codec = MakeCodec(Key(1, 1));
  auto random = SeededRandom(3);
  const SocketAddress client = *ParseIp("203.0.113.5", 443);
  const uint8_t odcid_bytes[] = {1, 1, 2, 3, 5, 8, 13, 21};
  Bytes retry = Retry(codec, client, ConnectionId(odcid_bytes, 8), kNow, random);
  REQUIRE(codec.Validate(retry, client, kNow).ok());
  for (size_t i = 0; i < retry.size(); ++i) {
    for (uint8_t bit : {0x01, 0x80}) {
      Bytes t = retry;
      t[i] ^= bit;
      INFO("byte " << i << " bit " << int(bit));
      CHECK_FALSE(codec.Validate(t, client, kNow).ok());
    }
  }
  // Turning a NEW_TOKEN token into a Retry token (the kind is authenticated).
  Bytes nt = NewToken(codec, client, kNow, random);
  nt[1] = static_cast<uint8_t>(AddressTokenKind::kRetry);
  CHECK(codec.Validate(nt, client, kNow).status().code() == absl::StatusCode::kUnauthenticated);
  // Truncated, extended, empty, garbage.
  CHECK(codec.Validate(Bytes(retry.begin(), retry.end() - 1), client, kNow).status().code() !=
        absl::StatusCode::kOk);
  Bytes longer = retry;
  longer.push_back(0);
  CHECK_FALSE(codec.Validate(longer, client, kNow).ok());
  CHECK(codec.Validate({}, client, kNow).status().code() == absl::StatusCode::kInvalidArgument);
  Bytes garbage(40, 0x01);
  CHECK_FALSE(codec.Validate(garbage, client, kNow).ok());
  // A token from a server with another key under the same id.
  auto stranger = MakeCodec(Key(1, 99));
  CHECK(stranger.Validate(retry, client, kNow).status().code() ==
        absl::StatusCode::kUnauthenticated);
}

TEST_CASE("Address tokens expire by kind", "[io][token]") {
  AddressTokenConfig config;
  config.retry_lifetime = absl::Seconds(10);
  config.new_token_lifetime = absl::Hours(24);
  config.max_clock_skew = absl::Seconds(5);
  auto codec = MakeCodec(Key(1, 1), config);
  auto random = SeededRandom(4);
  const SocketAddress client = *ParseIp("192.0.2.1", 1234);
  const uint8_t odcid_bytes[] = {1, 2, 3, 4, 5, 6, 7, 8};
  Bytes retry = Retry(codec, client, ConnectionId(odcid_bytes, 8), kNow, random);
  Bytes nt = NewToken(codec, client, kNow, random);

  CHECK(codec.Validate(retry, client, kNow + absl::Seconds(10)).ok());
  CHECK(codec.Validate(retry, client, kNow + absl::Seconds(10) + absl::Microseconds(1))
            .status()
            .code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(codec.Validate(nt, client, kNow + absl::Seconds(11)).ok());
  CHECK(codec.Validate(nt, client, kNow + absl::Hours(24)).ok());
  CHECK(codec.Validate(nt, client, kNow + absl::Hours(25)).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
  // Stamped in the future: within the skew allowance, then not.
  CHECK(codec.Validate(nt, client, kNow - absl::Seconds(5)).ok());
  CHECK(codec.Validate(nt, client, kNow - absl::Seconds(6)).status().code() ==
        absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("Address token keys rotate: current and previous validate", "[io][token]") {
  auto codec = MakeCodec(Key(1, 1));
  auto random = SeededRandom(5);
  const SocketAddress client = *ParseIp("192.0.2.9", 999);
  Bytes under_1 = NewToken(codec, client, kNow, random);
  CHECK(under_1[0] == 1);

  CHECK(codec.Rotate(Key(1, 2)).code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(codec.Rotate(Key(2, 2)).ok());
  CHECK(codec.current_key_id() == 2);
  Bytes under_2 = NewToken(codec, client, kNow, random);
  CHECK(under_2[0] == 2);
  CHECK(codec.Validate(under_1, client, kNow).ok());
  CHECK(codec.Validate(under_2, client, kNow).ok());

  REQUIRE(codec.Rotate(Key(3, 3)).ok());
  CHECK(codec.Validate(under_1, client, kNow).status().code() ==
        absl::StatusCode::kUnauthenticated);
  CHECK(codec.Validate(under_2, client, kNow).ok());
  CHECK(codec.Validate(NewToken(codec, client, kNow, random), client, kNow).ok());
}

}  // namespace
}  // namespace kite::quic::io
