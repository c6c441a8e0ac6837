// Packet protection throughput: per iteration one 1-RTT packet is protected (AEAD seal +
// header protection) and then unprotected (header protection removal + AEAD open), in place,
// for each AEAD and two common packet sizes. Bytes processed = packet size per iteration.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "tls/cipher_suite.h"
#include "tls/packet_protector.h"
#include "tls/quic_version.h"

namespace kite::tls {
namespace {

constexpr uint64_t kPacketNumber = 0x1234;
constexpr size_t kPnLength = 2;
constexpr size_t kDcidLength = 8;
constexpr size_t kPnOffset = 1 + kDcidLength;
constexpr size_t kHeaderLength = kPnOffset + kPnLength;

const CipherSuite& SuiteFor(int64_t index) {
  switch (index) {
    case 0: return Aes128GcmSha256();
    case 1: return Aes256GcmSha384();
    default: return ChaCha20Poly1305Sha256();
  }
}

[[noreturn]] void Die(const char* what) {
  std::fprintf(stderr, "protection_bench: %s\n", what);
  std::abort();
}

void BM_ProtectUnprotect(benchmark::State& state) {
  const CipherSuite& suite = SuiteFor(state.range(0));
  const size_t packet_size = static_cast<size_t>(state.range(1));
  std::vector<uint8_t> secret(suite.secret_length);
  for (size_t i = 0; i < secret.size(); ++i) secret[i] = static_cast<uint8_t>(i * 13 + 1);
  absl::StatusOr<std::unique_ptr<PacketProtector>> sender =
      PacketProtector::Create(suite, QuicVersion::kV1, secret);
  absl::StatusOr<std::unique_ptr<PacketProtector>> receiver =
      PacketProtector::Create(suite, QuicVersion::kV1, secret);
  if (!sender.ok() || !receiver.ok()) Die("cannot create protectors");

  const size_t payload_len = packet_size - kHeaderLength - suite.tag_length;
  std::vector<uint8_t> packet(packet_size, 0);
  packet[0] = 0x40 | static_cast<uint8_t>(kPnLength - 1);  // short header
  for (size_t i = 1; i <= kDcidLength; ++i) packet[i] = static_cast<uint8_t>(i);
  packet[kPnOffset] = static_cast<uint8_t>(kPacketNumber >> 8);
  packet[kPnOffset + 1] = static_cast<uint8_t>(kPacketNumber);
  for (size_t i = kHeaderLength; i < kHeaderLength + payload_len; ++i) {
    packet[i] = static_cast<uint8_t>(i);
  }
  const std::vector<uint8_t> original = packet;

  for (auto _ : state) {
    // The in-place round trip restores the unprotected header and plaintext, so every
    // iteration starts from the same packet.
    absl::StatusOr<size_t> len = (*sender)->ProtectPacket(
        packet.data(), kHeaderLength, kPnLength, kPacketNumber, payload_len, packet.size());
    if (!len.ok()) Die("ProtectPacket failed");
    absl::StatusOr<UnmaskedHeader> h =
        (*receiver)->RemoveHeaderProtection(packet.data(), *len, kPnOffset);
    if (!h.ok()) Die("RemoveHeaderProtection failed");
    uint8_t* ciphertext = packet.data() + h->header_length;
    const size_t ciphertext_len = *len - h->header_length;
    OpenResult r = (*receiver)->OpenPayload(
        kPacketNumber, absl::MakeConstSpan(packet.data(), h->header_length),
        absl::MakeConstSpan(ciphertext, ciphertext_len), absl::MakeSpan(ciphertext, ciphertext_len));
    if (!r.ok()) Die("OpenPayload failed");
    benchmark::DoNotOptimize(packet.data());
    benchmark::ClobberMemory();
  }
  if (std::vector<uint8_t>(packet.begin(), packet.begin() + kHeaderLength + payload_len) !=
      std::vector<uint8_t>(original.begin(), original.begin() + kHeaderLength + payload_len)) {
    Die("round trip did not restore the packet");
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(packet_size));
  state.SetLabel(suite.name);
}

BENCHMARK(BM_ProtectUnprotect)
    ->ArgNames({"suite", "bytes"})
    ->ArgsProduct({{0, 1, 2}, {1200, 1452}});

}  // namespace
}  // namespace kite::tls
