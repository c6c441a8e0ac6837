// Walks the RFC 9001 Appendix A.2 client Initial (or RFC 9369 Appendix A.2 with --version=2)
// through Initial key derivation, packet protection and back, printing every intermediate
// value. Exits nonzero if any value differs from the RFC.
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/types/span.h"
#include "quic/codec/data_reader.h"
#include "test/tls/protection_vectors.h"
#include "tls/cipher_suite.h"
#include "tls/initial_secrets.h"
#include "tls/packet_protector.h"
#include "tls/quic_version.h"

ABSL_FLAG(int, version, 1, "QUIC version whose Appendix A.2 vectors to use: 1 (RFC 9001) or 2 (RFC 9369)");

namespace kite::tools {
namespace {

using tls::testing::BytesToHex;
using tls::testing::HexToBytes;

constexpr size_t kPreviewBytes = 32;

std::string Hex(absl::Span<const uint8_t> s) { return BytesToHex(s.data(), s.size()); }

std::string Preview(absl::Span<const uint8_t> s) {
  if (s.size() <= kPreviewBytes) return Hex(s);
  return Hex(s.first(kPreviewBytes)) + "... (" + std::to_string(s.size()) + " bytes)";
}

class Demo {
 public:
  explicit Demo(const tls::testing::ProtectionVectors& v) : v_(v) {}

  int Run();

 private:
  // Prints `name = value` and whether it equals the RFC's value.
  void Show(const char* name, absl::Span<const uint8_t> value, std::string_view expected_hex) {
    const bool match = Hex(value) == Hex(HexToBytes(expected_hex));
    std::printf("  %-22s %s%s\n", name, Preview(value).c_str(), match ? "" : "  <-- MISMATCH");
    if (!match) {
      std::printf("  %-22s %s\n", "expected", Preview(HexToBytes(expected_hex)).c_str());
      ok_ = false;
    }
  }
  // Reports a failed step; returns the exit code.
  int Fail(const std::string& what) {
    std::printf("ERROR: %s\n", what.c_str());
    ok_ = false;
    return 1;
  }
  // RFC 9000 §17.2.2: the Packet Number field of an Initial follows the Length field.
  bool FindPnOffset(absl::Span<const uint8_t> packet, size_t* pn_offset);

  const tls::testing::ProtectionVectors& v_;
  bool ok_ = true;
};

bool Demo::FindPnOffset(absl::Span<const uint8_t> packet, size_t* pn_offset) {
  quic::DataReader r(packet);
  uint8_t first = 0, dcid_len = 0, scid_len = 0;
  uint32_t version = 0;
  uint64_t token_len = 0, length = 0;
  if (!r.ReadUInt8(&first) || !r.ReadUInt32(&version) || !r.ReadUInt8(&dcid_len) ||
      !r.Skip(dcid_len) || !r.ReadUInt8(&scid_len) || !r.Skip(scid_len) ||
      !r.ReadVarInt(&token_len) || !r.Skip(token_len) || !r.ReadVarInt(&length)) {
    Fail("cannot parse the long header");
    return false;
  }
  std::printf("  first byte 0x%02x, version 0x%08x, DCID %u bytes, SCID %u bytes, token %llu "
              "bytes, Length %llu\n",
              first, version, dcid_len, scid_len, static_cast<unsigned long long>(token_len),
              static_cast<unsigned long long>(length));
  *pn_offset = r.offset();
  return true;
}

int Demo::Run() {
  const tls::QuicVersion version = v_.version;
  std::printf("== QUIC %s client Initial (%s Appendix A.2) ==\n\n",
              tls::QuicVersionName(version),
              version == tls::QuicVersion::kV1 ? "RFC 9001" : "RFC 9369");

  std::printf("1. Initial secrets (RFC 9001 §5.2)\n");
  const std::vector<uint8_t> dcid = HexToBytes(v_.dcid);
  std::printf("  %-22s %s\n", "client DCID", Hex(dcid).c_str());
  std::printf("  %-22s %s\n", "initial salt", Hex(tls::InitialSalt(version)).c_str());
  absl::StatusOr<tls::InitialSecrets> secrets = tls::DeriveInitialSecrets(version, dcid);
  if (!secrets.ok()) return Fail(secrets.status().ToString());
  Show("initial secret", secrets->initial_secret, v_.initial_secret);
  Show("client secret", secrets->client, v_.client_secret);

  std::printf("\n2. Client packet protection keys (RFC 9001 §5.1)\n");
  const tls::CipherSuite& suite = tls::Aes128GcmSha256();
  absl::StatusOr<tls::PacketKeyMaterial> keys =
      tls::DerivePacketKeyMaterial(suite, version, secrets->client);
  if (!keys.ok()) return Fail(keys.status().ToString());
  Show("key", keys->key, v_.client_key);
  Show("iv", keys->iv, v_.client_iv);
  Show("hp", keys->hp, v_.client_hp);

  std::printf("\n3. Unprotected packet\n");
  std::vector<uint8_t> packet = tls::testing::ClientInitialUnprotected(v_);
  size_t pn_offset = 0;
  if (!FindPnOffset(packet, &pn_offset)) return 1;
  const size_t pn_len = static_cast<size_t>(packet[0] & 0x03) + 1;
  const size_t header_len = pn_offset + pn_len;
  const uint64_t pn = tls::testing::kClientInitialPacketNumber;
  const std::vector<uint8_t> header(packet.begin(), packet.begin() + header_len);
  const std::vector<uint8_t> payload(packet.begin() + header_len, packet.end());
  std::printf("  packet number %llu, %zu-byte encoding at offset %zu\n",
              static_cast<unsigned long long>(pn), pn_len, pn_offset);
  Show("header", header, v_.client_header);
  std::printf("  %-22s %s\n", "payload", Preview(payload).c_str());

  absl::StatusOr<std::unique_ptr<tls::PacketProtector>> protector =
      tls::PacketProtector::Create(suite, version, secrets->client);
  if (!protector.ok()) return Fail(protector.status().ToString());
  const tls::PacketProtector& p = **protector;

  std::printf("\n4. Payload protection (RFC 9001 §5.3)\n");
  const tls::AeadNonce nonce = p.MakeNonce(pn);
  std::printf("  %-22s %s (iv XOR packet number)\n", "nonce", Hex(nonce).c_str());
  std::vector<uint8_t> sealed = payload;
  sealed.resize(payload.size() + p.tag_length());
  absl::StatusOr<size_t> sealed_len = p.SealPayload(pn, header, absl::MakeSpan(sealed), payload.size());
  if (!sealed_len.ok()) return Fail(sealed_len.status().ToString());
  std::printf("  %-22s %s\n", "ciphertext + tag", Preview(sealed).c_str());

  std::printf("\n5. Header protection (RFC 9001 §5.4)\n");
  // The sample starts 4 bytes after the Packet Number field starts.
  const size_t sample_in_payload = tls::kHeaderProtectionSampleOffset - pn_len;
  const absl::Span<const uint8_t> sample =
      absl::MakeConstSpan(sealed).subspan(sample_in_payload, tls::kHeaderProtectionSampleLength);
  Show("sample", sample, v_.client_sample);
  absl::StatusOr<tls::HeaderProtectionMask> mask = p.ComputeHeaderProtectionMask(sample);
  if (!mask.ok()) return Fail(mask.status().ToString());
  Show("mask", *mask, v_.client_mask);

  std::printf("\n6. Protected packet (PacketProtector::ProtectPacket)\n");
  const std::vector<uint8_t> expected = HexToBytes(v_.client_packet);
  packet.resize(header_len + payload.size() + p.tag_length());
  absl::StatusOr<size_t> len =
      p.ProtectPacket(packet.data(), header_len, pn_len, pn, payload.size(), packet.size());
  if (!len.ok()) return Fail(len.status().ToString());
  Show("protected header", absl::MakeConstSpan(packet.data(), header_len),
       v_.client_protected_header);
  std::printf("  %-22s %s\n", "protected packet", Preview(packet).c_str());
  const bool packet_match = *len == expected.size() && packet == expected;
  std::printf("  protected packet: %s (%zu bytes vs RFC %zu bytes)\n",
              packet_match ? "MATCH" : "MISMATCH", *len, expected.size());
  if (!packet_match) ok_ = false;

  std::printf("\n7. Unprotect (as the server)\n");
  absl::StatusOr<std::unique_ptr<tls::PacketProtector>> server_view =
      tls::PacketProtector::Create(suite, version, secrets->client);
  if (!server_view.ok()) return Fail(server_view.status().ToString());
  std::vector<uint8_t> received = expected;
  absl::StatusOr<tls::UnmaskedHeader> h =
      (*server_view)->RemoveHeaderProtection(received.data(), received.size(), pn_offset);
  if (!h.ok()) return Fail(h.status().ToString());
  // The first packet in the Initial space: nothing received yet, so the truncated packet
  // number decodes to itself (RFC 9000 §17.1, Appendix A.3 with largest_pn absent).
  const uint64_t full_pn = h->truncated_pn;
  std::printf("  first byte 0x%02x, packet number length %zu\n", h->first_byte, h->pn_length);
  std::printf("  recovered packet number: %llu\n", static_cast<unsigned long long>(full_pn));
  if (full_pn != pn) ok_ = false;
  Show("unprotected header", absl::MakeConstSpan(received.data(), h->header_length),
       v_.client_header);
  std::vector<uint8_t> plaintext(received.size() - h->header_length);
  tls::OpenResult opened = (*server_view)->OpenPayload(
      full_pn, absl::MakeConstSpan(received.data(), h->header_length),
      absl::MakeConstSpan(received).subspan(h->header_length), absl::MakeSpan(plaintext));
  if (!opened.ok()) return Fail(opened.status().ToString());
  plaintext.resize(opened.plaintext_length());
  std::printf("  %-22s %s\n", "payload", Preview(plaintext).c_str());
  const bool payload_match = plaintext == payload;
  std::printf("  payload equals original: %s\n", payload_match ? "yes" : "NO");
  if (!payload_match) ok_ = false;

  std::printf("\n%s\n", ok_ ? "All values match the RFC." : "MISMATCH against the RFC.");
  return ok_ ? 0 : 1;
}

}  // namespace
}  // namespace kite::tools

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const int version = absl::GetFlag(FLAGS_version);
  if (version != 1 && version != 2) {
    std::fprintf(stderr, "--version must be 1 or 2, got %d\n", version);
    return 2;
  }
  const auto& vectors = version == 1 ? kite::tls::testing::Rfc9001Vectors()
                                     : kite::tls::testing::Rfc9369Vectors();
  return kite::tools::Demo(vectors).Run();
}
