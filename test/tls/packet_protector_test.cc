#include "tls/packet_protector.h"

#include <catch2/catch.hpp>

#include <cstring>
#include <random>
#include <vector>

#include "test/tls/protection_vectors.h"
#include "tls/initial_secrets.h"

namespace kite::tls {
namespace {

using testing::HexToBytes;

std::unique_ptr<PacketProtector> MakeProtector(const CipherSuite& suite, QuicVersion version,
                                               const std::vector<uint8_t>& secret) {
  absl::StatusOr<std::unique_ptr<PacketProtector>> p =
      PacketProtector::Create(suite, version, secret);
  REQUIRE(p.ok());
  return *std::move(p);
}

std::vector<uint8_t> MaskBytes(const PacketProtector& p, std::string_view sample_hex) {
  const std::vector<uint8_t> sample = HexToBytes(sample_hex);
  absl::StatusOr<HeaderProtectionMask> mask = p.ComputeHeaderProtectionMask(sample);
  REQUIRE(mask.ok());
  return std::vector<uint8_t>(mask->begin(), mask->end());
}

// Removes header protection, checks the recovered header against `expected_header`, opens the
// payload in place and returns the plaintext.
std::vector<uint8_t> Unprotect(const PacketProtector& p, std::vector<uint8_t> packet,
                               size_t pn_offset, const std::vector<uint8_t>& expected_header,
                               uint64_t full_pn, size_t expected_pn_len) {
  absl::StatusOr<UnmaskedHeader> h =
      p.RemoveHeaderProtection(packet.data(), packet.size(), pn_offset);
  REQUIRE(h.ok());
  CHECK(h->pn_length == expected_pn_len);
  CHECK(h->header_length == expected_header.size());
  CHECK(h->first_byte == expected_header[0]);
  const uint64_t truncated_mask =
      expected_pn_len == 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * expected_pn_len)) - 1;
  CHECK(h->truncated_pn == (full_pn & truncated_mask));
  CHECK(std::vector<uint8_t>(packet.begin(), packet.begin() + h->header_length) ==
        expected_header);
  uint8_t* ciphertext = packet.data() + h->header_length;
  const size_t ciphertext_len = packet.size() - h->header_length;
  OpenResult r = p.OpenPayload(full_pn, absl::MakeConstSpan(packet.data(), h->header_length),
                               absl::MakeConstSpan(ciphertext, ciphertext_len),
                               absl::MakeSpan(ciphertext, ciphertext_len));
  REQUIRE(r.ok());
  CHECK(r.status().ok());
  return std::vector<uint8_t>(ciphertext, ciphertext + r.plaintext_length());
}

TEST_CASE("Client Initial is protected and unprotected as in Appendix A.2", "[tls][protect]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(QuicVersionName(version));
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  absl::StatusOr<InitialSecrets> secrets = DeriveInitialSecrets(version, HexToBytes(v.dcid));
  REQUIRE(secrets.ok());
  auto client = MakeProtector(Aes128GcmSha256(), version, secrets->client);

  CHECK(MaskBytes(*client, v.client_sample) == HexToBytes(v.client_mask));

  const std::vector<uint8_t> header = HexToBytes(v.client_header);
  std::vector<uint8_t> packet = testing::ClientInitialUnprotected(v);
  const std::vector<uint8_t> plaintext(packet.begin() + header.size(), packet.end());
  REQUIRE(plaintext.size() == testing::kClientInitialPayloadLength);
  const std::vector<uint8_t> expected = HexToBytes(v.client_packet);
  packet.resize(expected.size());

  absl::StatusOr<size_t> len = client->ProtectPacket(
      packet.data(), header.size(), testing::kClientInitialPnLength,
      testing::kClientInitialPacketNumber, plaintext.size(), packet.size());
  REQUIRE(len.ok());
  CHECK(*len == expected.size());
  CHECK(testing::BytesToHex(packet) == testing::BytesToHex(expected));
  CHECK(std::vector<uint8_t>(packet.begin(), packet.begin() + header.size()) ==
        HexToBytes(v.client_protected_header));

  // A server derives the same client keys from the DCID and recovers the packet.
  auto server_view = MakeProtector(Aes128GcmSha256(), version, secrets->client);
  CHECK(Unprotect(*server_view, expected, header.size() - testing::kClientInitialPnLength,
                  header, testing::kClientInitialPacketNumber,
                  testing::kClientInitialPnLength) == plaintext);
}

TEST_CASE("Server Initial is protected and unprotected as in Appendix A.3", "[tls][protect]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(QuicVersionName(version));
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  absl::StatusOr<InitialSecrets> secrets = DeriveInitialSecrets(version, HexToBytes(v.dcid));
  REQUIRE(secrets.ok());
  auto server = MakeProtector(Aes128GcmSha256(), version, secrets->server);

  CHECK(MaskBytes(*server, v.server_sample) == HexToBytes(v.server_mask));

  const std::vector<uint8_t> header = HexToBytes(v.server_header);
  const std::vector<uint8_t> payload = HexToBytes(v.server_payload);
  const std::vector<uint8_t> expected = HexToBytes(v.server_packet);
  std::vector<uint8_t> packet = header;
  packet.insert(packet.end(), payload.begin(), payload.end());
  packet.resize(expected.size());
  absl::StatusOr<size_t> len = server->ProtectPacket(
      packet.data(), header.size(), testing::kServerInitialPnLength,
      testing::kServerInitialPacketNumber, payload.size(), packet.size());
  REQUIRE(len.ok());
  CHECK(*len == expected.size());
  CHECK(testing::BytesToHex(packet) == testing::BytesToHex(expected));
  CHECK(std::vector<uint8_t>(packet.begin(), packet.begin() + header.size()) ==
        HexToBytes(v.server_protected_header));

  CHECK(Unprotect(*server, expected, header.size() - testing::kServerInitialPnLength, header,
                  testing::kServerInitialPacketNumber,
                  testing::kServerInitialPnLength) == payload);
}

TEST_CASE("ChaCha20-Poly1305 short header packet matches Appendix A.5", "[tls][protect]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(QuicVersionName(version));
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  const std::vector<uint8_t> secret = HexToBytes(v.chacha_secret);
  const CipherSuite& suite = ChaCha20Poly1305Sha256();

  absl::StatusOr<PacketKeyMaterial> m = DerivePacketKeyMaterial(suite, version, secret);
  REQUIRE(m.ok());
  CHECK(m->key == HexToBytes(v.chacha_key));
  CHECK(m->iv == HexToBytes(v.chacha_iv));
  CHECK(m->hp == HexToBytes(v.chacha_hp));
  // RFC 9001 §6.1 key update derivation, checked against the A.5 "ku" value.
  absl::StatusOr<std::vector<uint8_t>> ku = DeriveNextTrafficSecret(suite, version, secret);
  REQUIRE(ku.ok());
  CHECK(*ku == HexToBytes(v.chacha_ku));

  auto p = MakeProtector(suite, version, secret);
  const AeadNonce nonce = p->MakeNonce(testing::kChaChaPacketNumber);
  CHECK(std::vector<uint8_t>(nonce.begin(), nonce.end()) == HexToBytes(v.chacha_nonce));
  CHECK(MaskBytes(*p, v.chacha_sample) == HexToBytes(v.chacha_mask));

  // Payload protection alone.
  const std::vector<uint8_t> header = HexToBytes(v.chacha_header);
  const std::vector<uint8_t> plaintext = HexToBytes(v.chacha_plaintext);
  std::vector<uint8_t> buf = plaintext;
  buf.resize(plaintext.size() + p->tag_length());
  absl::StatusOr<size_t> sealed =
      p->SealPayload(testing::kChaChaPacketNumber, header, absl::MakeSpan(buf), plaintext.size());
  REQUIRE(sealed.ok());
  CHECK(buf == HexToBytes(v.chacha_ciphertext));

  // Whole packet.
  const std::vector<uint8_t> expected = HexToBytes(v.chacha_packet);
  std::vector<uint8_t> packet = header;
  packet.insert(packet.end(), plaintext.begin(), plaintext.end());
  packet.resize(expected.size());
  absl::StatusOr<size_t> len =
      p->ProtectPacket(packet.data(), header.size(), testing::kChaChaPnLength,
                       testing::kChaChaPacketNumber, plaintext.size(), packet.size());
  REQUIRE(len.ok());
  CHECK(*len == expected.size());
  CHECK(testing::BytesToHex(packet) == testing::BytesToHex(expected));
  CHECK(std::vector<uint8_t>(packet.begin(), packet.begin() + header.size()) ==
        HexToBytes(v.chacha_protected_header));

  auto receiver = MakeProtector(suite, version, secret);
  CHECK(Unprotect(*receiver, expected, /*pn_offset=*/1, header, testing::kChaChaPacketNumber,
                  testing::kChaChaPnLength) == plaintext);
}

TEST_CASE("Key update derives the next generation and keeps the header protection key",
          "[tls][key_update]") {
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(QuicVersionName(version));
  const testing::ProtectionVectors& v = testing::VectorsFor(version);
  const CipherSuite& suite = ChaCha20Poly1305Sha256();
  auto gen0 = MakeProtector(suite, version, HexToBytes(v.chacha_secret));
  absl::StatusOr<std::unique_ptr<PacketProtector>> gen1 = gen0->NextGeneration();
  REQUIRE(gen1.ok());

  // Gen 1's key and IV are those derived from the A.5 "ku" secret.
  absl::StatusOr<PacketKeyMaterial> ku_keys =
      DerivePacketKeyMaterial(suite, version, HexToBytes(v.chacha_ku));
  REQUIRE(ku_keys.ok());
  const AeadNonce nonce = (*gen1)->MakeNonce(0);
  CHECK(std::vector<uint8_t>(nonce.begin(), nonce.end()) == ku_keys->iv);
  auto from_ku = MakeProtector(suite, version, HexToBytes(v.chacha_ku));
  const std::vector<uint8_t> header = {0x40, 0x01};
  std::vector<uint8_t> a(48, 0x33), b(48, 0x33), c(48, 0x33);
  REQUIRE((*gen1)->SealPayload(1, header, absl::MakeSpan(a), 32).ok());
  REQUIRE(from_ku->SealPayload(1, header, absl::MakeSpan(b), 32).ok());
  REQUIRE(gen0->SealPayload(1, header, absl::MakeSpan(c), 32).ok());
  CHECK(a == b);
  CHECK(a != c);

  // The header protection key stays gen 0's (RFC 9001 §6.1), unlike a fresh "ku" protector.
  const std::string_view sample = v.chacha_sample;
  CHECK(MaskBytes(**gen1, sample) == MaskBytes(*gen0, sample));
  CHECK(MaskBytes(*from_ku, sample) != MaskBytes(*gen0, sample));

  // Gen 2 is derived from gen 1's secret.
  absl::StatusOr<std::vector<uint8_t>> ku2 =
      DeriveNextTrafficSecret(suite, version, HexToBytes(v.chacha_ku));
  REQUIRE(ku2.ok());
  absl::StatusOr<std::unique_ptr<PacketProtector>> gen2 = (*gen1)->NextGeneration();
  REQUIRE(gen2.ok());
  auto from_ku2 = MakeProtector(suite, version, *ku2);
  std::vector<uint8_t> d(48, 0x33), e(48, 0x33);
  REQUIRE((*gen2)->SealPayload(9, header, absl::MakeSpan(d), 32).ok());
  REQUIRE(from_ku2->SealPayload(9, header, absl::MakeSpan(e), 32).ok());
  CHECK(d == e);
}

struct ShortPacket {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> header;
  std::vector<uint8_t> payload;
  size_t pn_offset;
};

// A 1-RTT packet: first byte, 8-byte DCID, 2-byte packet number.
ShortPacket ProtectShortPacket(const PacketProtector& p, uint64_t pn, size_t payload_len) {
  ShortPacket s;
  s.header = {0x41, 1, 2, 3, 4, 5, 6, 7, 8, static_cast<uint8_t>(pn >> 8),
              static_cast<uint8_t>(pn)};
  s.pn_offset = 9;
  for (size_t i = 0; i < payload_len; ++i) s.payload.push_back(static_cast<uint8_t>(i * 7));
  s.bytes = s.header;
  s.bytes.insert(s.bytes.end(), s.payload.begin(), s.payload.end());
  s.bytes.resize(s.bytes.size() + p.tag_length());
  absl::StatusOr<size_t> len =
      p.ProtectPacket(s.bytes.data(), s.header.size(), 2, pn, payload_len, s.bytes.size());
  REQUIRE(len.ok());
  REQUIRE(*len == s.bytes.size());
  return s;
}

TEST_CASE("Every suite round-trips a short header packet", "[tls][protect]") {
  const CipherSuite* suite =
      GENERATE(&Aes128GcmSha256(), &Aes256GcmSha384(), &ChaCha20Poly1305Sha256());
  const QuicVersion version = GENERATE(QuicVersion::kV1, QuicVersion::kV2);
  INFO(suite->name << " " << QuicVersionName(version));
  std::vector<uint8_t> secret(suite->secret_length);
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(0xa0 + i);
  auto sender = MakeProtector(*suite, version, secret);
  auto receiver = MakeProtector(*suite, version, secret);
  const uint64_t pn = 0x1234;
  ShortPacket s = ProtectShortPacket(*sender, pn, 1200);
  // Header protection changed the packet number bytes and the low 5 bits of the first byte.
  CHECK(std::memcmp(s.bytes.data() + s.pn_offset, s.header.data() + s.pn_offset, 2) != 0);
  CHECK((s.bytes[0] & 0xe0) == (s.header[0] & 0xe0));
  CHECK(Unprotect(*receiver, s.bytes, s.pn_offset, s.header, pn, 2) == s.payload);

  // A different secret cannot open it.
  secret[0] ^= 1;
  auto stranger = MakeProtector(*suite, version, secret);
  std::vector<uint8_t> copy = s.bytes;
  absl::StatusOr<UnmaskedHeader> h =
      stranger->RemoveHeaderProtection(copy.data(), copy.size(), s.pn_offset);
  REQUIRE(h.ok());
  std::vector<uint8_t> out(copy.size());
  CHECK(stranger
            ->OpenPayload(pn, absl::MakeConstSpan(copy.data(), h->header_length),
                          absl::MakeConstSpan(copy).subspan(h->header_length),
                          absl::MakeSpan(out))
            .authentication_failed());
}

TEST_CASE("Tampered ciphertext, tag, header or packet number fails to open",
          "[tls][protect]") {
  const CipherSuite* suite =
      GENERATE(&Aes128GcmSha256(), &Aes256GcmSha384(), &ChaCha20Poly1305Sha256());
  INFO(suite->name);
  const std::vector<uint8_t> secret(suite->secret_length, 0x77);
  auto p = MakeProtector(*suite, QuicVersion::kV1, secret);
  const uint64_t pn = 77;
  const ShortPacket s = ProtectShortPacket(*p, pn, 40);

  auto try_open = [&](std::vector<uint8_t> packet, uint64_t full_pn) {
    absl::StatusOr<UnmaskedHeader> h =
        p->RemoveHeaderProtection(packet.data(), packet.size(), s.pn_offset);
    REQUIRE(h.ok());
    std::vector<uint8_t> out(packet.size());
    return p->OpenPayload(full_pn, absl::MakeConstSpan(packet.data(), h->header_length),
                          absl::MakeConstSpan(packet).subspan(h->header_length),
                          absl::MakeSpan(out));
  };
  CHECK(try_open(s.bytes, pn).ok());

  const size_t header_len = s.header.size();
  std::vector<uint8_t> bad = s.bytes;
  bad[header_len + 5] ^= 0x10;  // ciphertext
  OpenResult r = try_open(bad, pn);
  CHECK(r.authentication_failed());
  CHECK_FALSE(r.ok());
  CHECK(absl::IsUnauthenticated(r.status()));

  bad = s.bytes;
  bad.back() ^= 0x01;  // tag
  CHECK(try_open(bad, pn).authentication_failed());

  bad = s.bytes;
  bad[3] ^= 0x01;  // DCID byte: associated data
  CHECK(try_open(bad, pn).authentication_failed());

  bad = s.bytes;
  bad[0] ^= 0x04;  // key phase bit in the protected first byte
  CHECK(try_open(bad, pn).authentication_failed());

  CHECK(try_open(s.bytes, pn + 0x10000).authentication_failed());  // wrong full pn

  bad = s.bytes;
  bad.pop_back();  // truncated
  CHECK(try_open(bad, pn).authentication_failed());
}

TEST_CASE("Header protection removal rejects packets too short for the sample",
          "[tls][protect]") {
  auto p = MakeProtector(Aes128GcmSha256(), QuicVersion::kV1, std::vector<uint8_t>(32, 1));
  const size_t pn_offset = 9;
  const size_t min_len = pn_offset + kHeaderProtectionSampleOffset +
                         kHeaderProtectionSampleLength;
  std::vector<uint8_t> packet(min_len - 1, 0xee);
  const std::vector<uint8_t> original = packet;
  absl::StatusOr<UnmaskedHeader> h = p->RemoveHeaderProtection(packet.data(), packet.size(),
                                                               pn_offset);
  CHECK(absl::IsInvalidArgument(h.status()));
  CHECK(packet == original);  // untouched
  packet.push_back(0xee);
  CHECK(p->RemoveHeaderProtection(packet.data(), packet.size(), pn_offset).ok());

  std::vector<uint8_t> tiny(4, 0);
  CHECK(!p->RemoveHeaderProtection(tiny.data(), tiny.size(), 10).ok());  // offset past end
  CHECK(!p->RemoveHeaderProtection(tiny.data(), 0, 0).ok());
  CHECK(!p->RemoveHeaderProtection(nullptr, 100, 1).ok());
  CHECK(!p->ComputeHeaderProtectionMask(absl::MakeConstSpan(tiny)).ok());
}

TEST_CASE("ProtectPacket validates its arguments instead of overrunning", "[tls][protect]") {
  auto p = MakeProtector(Aes128GcmSha256(), QuicVersion::kV1, std::vector<uint8_t>(32, 2));
  std::vector<uint8_t> buf(64, 0);
  buf[0] = 0x41;                // short header, 2-byte packet number
  buf[9] = 0x00, buf[10] = 5;   // pn 5 at offset 9
  auto protect = [&](size_t header_len, size_t pn_len, uint64_t pn, size_t payload,
                     size_t capacity) {
    std::vector<uint8_t> copy = buf;
    return p->ProtectPacket(copy.data(), header_len, pn_len, pn, payload, capacity).status();
  };
  CHECK(protect(11, 2, 5, 20, 64).ok());
  CHECK(!protect(11, 2, 5, 20, 46).ok());   // no room for the tag
  CHECK(!protect(11, 2, 5, 60, 64).ok());   // payload past capacity
  CHECK(!protect(70, 2, 5, 0, 64).ok());    // header past capacity
  CHECK(!protect(11, 2, 5, 1, 64).ok());    // 2 + 1 + 16 < 20: no full sample
  CHECK(protect(11, 2, 5, 2, 64).ok());     // exactly enough for the sample
  CHECK(!protect(11, 0, 5, 20, 64).ok());   // pn_len 0
  CHECK(!protect(11, 5, 5, 20, 64).ok());   // pn_len 5
  CHECK(!protect(2, 2, 5, 20, 64).ok());    // no room for a first byte
  CHECK(!protect(11, 1, 5, 20, 64).ok());   // first byte says 2 bytes
  CHECK(!protect(11, 2, 6, 20, 64).ok());   // header bytes encode 5, not 6
  CHECK(!protect(11, 2, kMaxPacketNumber + 1, 20, 64).ok());
  CHECK(!p->ProtectPacket(nullptr, 11, 2, 5, 20, 64).ok());

  std::vector<uint8_t> out(8);
  std::vector<uint8_t> ct(40, 0);
  OpenResult small = p->OpenPayload(1, {}, ct, absl::MakeSpan(out));
  CHECK_FALSE(small.ok());
  CHECK_FALSE(small.authentication_failed());
  CHECK(absl::IsResourceExhausted(small.status()));
  OpenResult overlap = p->OpenPayload(1, {}, absl::MakeConstSpan(ct).subspan(1),
                                      absl::MakeSpan(ct).subspan(0, 39));
  CHECK(absl::IsInvalidArgument(overlap.status()));
  CHECK(absl::IsInvalidArgument(
      p->OpenPayload(kMaxPacketNumber + 1, {}, ct, absl::MakeSpan(ct)).status()));
}

TEST_CASE("PacketProtector::Create rejects secrets of the wrong length", "[tls][protect]") {
  CHECK(absl::IsInvalidArgument(
      PacketProtector::Create(Aes256GcmSha384(), QuicVersion::kV1, std::vector<uint8_t>(32, 0))
          .status()));
  CHECK(absl::IsInvalidArgument(
      PacketProtector::Create(Aes128GcmSha256(), QuicVersion::kV1, std::vector<uint8_t>(48, 0))
          .status()));
  CHECK(!DeriveNextTrafficSecret(ChaCha20Poly1305Sha256(), QuicVersion::kV2, {}).ok());
}

TEST_CASE("Unprotecting random bytes never crashes and never authenticates",
          "[tls][protect]") {
  std::mt19937 rng(20240601);
  const CipherSuite* suite =
      GENERATE(&Aes128GcmSha256(), &Aes256GcmSha384(), &ChaCha20Poly1305Sha256());
  auto p = MakeProtector(*suite, QuicVersion::kV1, std::vector<uint8_t>(suite->secret_length, 9));
  int opened = 0;
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> packet(rng() % 80);
    for (uint8_t& b : packet) b = static_cast<uint8_t>(rng());
    const size_t pn_offset = rng() % 40;
    absl::StatusOr<UnmaskedHeader> h =
        p->RemoveHeaderProtection(packet.data(), packet.size(), pn_offset);
    if (!h.ok()) {
      CHECK((pn_offset == 0 || packet.size() < pn_offset + 20));
      continue;
    }
    REQUIRE(h->header_length <= packet.size());
    std::vector<uint8_t> out(packet.size());
    OpenResult r = p->OpenPayload(rng() % 1000, absl::MakeConstSpan(packet.data(), h->header_length),
                                  absl::MakeConstSpan(packet).subspan(h->header_length),
                                  absl::MakeSpan(out));
    CHECK(r.status().code() != absl::StatusCode::kInvalidArgument);
    if (r.ok()) ++opened;
  }
  CHECK(opened == 0);
}

}  // namespace
}  // namespace kite::tls
