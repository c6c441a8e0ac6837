// Protecting and unprotecting a packet must not touch the heap: the AEAD context and header
// protection key schedule are set up once per PacketProtector. This binary links
// //test/buffers:counting_new to count allocations around the per-packet calls.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "test/buffers/counting_new.h"
#include "tls/packet_protector.h"

namespace kite::tls {
namespace {

TEST_CASE("Per-packet protection and unprotection do not allocate", "[tls][protect]") {
  const CipherSuite* suite =
      GENERATE(&Aes128GcmSha256(), &Aes256GcmSha384(), &ChaCha20Poly1305Sha256());
  INFO(suite->name);
  const std::vector<uint8_t> secret(suite->secret_length, 0x42);
  const size_t before_create = kite::testing::HeapAllocationCount();
  absl::StatusOr<std::unique_ptr<PacketProtector>> p =
      PacketProtector::Create(*suite, QuicVersion::kV2, secret);
  REQUIRE(p.ok());
  // The counter sees allocations: creating a protector allocates it and its derived keys.
  CHECK(kite::testing::HeapAllocationCount() > before_create);
  std::vector<uint8_t> packet(1200, 0);
  packet[0] = 0x41;  // short header, 2-byte packet number at offset 9
  const size_t header_len = 11;
  const size_t payload_len = packet.size() - header_len - (*p)->tag_length();

  const size_t before = kite::testing::HeapAllocationCount();
  bool all_ok = true;
  for (uint64_t pn = 0; pn < 256 && all_ok; ++pn) {
    packet[9] = static_cast<uint8_t>(pn >> 8);
    packet[10] = static_cast<uint8_t>(pn);
    absl::StatusOr<size_t> len = (*p)->ProtectPacket(packet.data(), header_len, 2, pn,
                                                     payload_len, packet.size());
    if (!len.ok()) {
      all_ok = false;
      break;
    }
    absl::StatusOr<UnmaskedHeader> h = (*p)->RemoveHeaderProtection(packet.data(), *len, 9);
    all_ok = h.ok() && h->truncated_pn == pn;
    uint8_t* ct = packet.data() + header_len;
    const size_t ct_len = *len - header_len;
    OpenResult r = (*p)->OpenPayload(pn, absl::MakeConstSpan(packet.data(), header_len),
                                     absl::MakeConstSpan(ct, ct_len), absl::MakeSpan(ct, ct_len));
    all_ok = all_ok && r.ok();

    // A forgery (ciphertext corrupted past the header protection sample) is rejected without
    // allocating either.
    all_ok = all_ok && (*p)->ProtectPacket(packet.data(), header_len, 2, pn, payload_len,
                                           packet.size()).ok();
    packet[header_len + 100] ^= 1;
    absl::StatusOr<UnmaskedHeader> h2 = (*p)->RemoveHeaderProtection(packet.data(), *len, 9);
    OpenResult bad = (*p)->OpenPayload(pn, absl::MakeConstSpan(packet.data(), header_len),
                                       absl::MakeConstSpan(ct, ct_len), absl::MakeSpan(ct, ct_len));
    all_ok = all_ok && h2.ok() && h2->truncated_pn == pn && bad.authentication_failed();
    std::fill(packet.begin() + header_len, packet.end(), 0);
  }
  const size_t after = kite::testing::HeapAllocationCount();
  CHECK(all_ok);
  CHECK(after - before == 0);
}

}  // namespace
}  // namespace kite::tls
