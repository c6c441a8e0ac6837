#include "tls/packet_protector.h"

#include <openssl/chacha.h>
#include <openssl/err.h>
#include <openssl/mem.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "tls/hkdf_label.h"

namespace kite::tls {
namespace {

struct ProtectionLabels {
  std::string_view key;
  std::string_view iv;
  std::string_view hp;
  std::string_view ku;
};

// RFC 9001 §5.1 and §6.1; RFC 9369 §3.3.2.
constexpr ProtectionLabels kV1Labels = {"quic key", "quic iv", "quic hp", "quic ku"};
constexpr ProtectionLabels kV2Labels = {"quicv2 key", "quicv2 iv", "quicv2 hp", "quicv2 ku"};

constexpr const ProtectionLabels& LabelsFor(QuicVersion version) {
  return version == QuicVersion::kV2 ? kV2Labels : kV1Labels;
}

absl::Status CheckSecret(const CipherSuite& suite, absl::Span<const uint8_t> secret) {
  // TLS hands QUIC secrets of the suite's hash length; anything else is a wiring bug.
  if (secret.size() != suite.secret_length) {
    return absl::InvalidArgumentError(std::string("traffic secret length does not match ") +
                                      suite.name);
  }
  return absl::OkStatus();
}

// RFC 9001 §5.4.1: long headers protect 4 bits of the first byte, short headers 5.
constexpr uint8_t FirstByteMask(uint8_t first_byte) {
  return (first_byte & 0x80) != 0 ? 0x0f : 0x1f;
}

bool Overlaps(const uint8_t* a, size_t a_len, const uint8_t* b, size_t b_len) {
  if (a_len == 0 || b_len == 0) return false;
  auto ua = reinterpret_cast<uintptr_t>(a);
  auto ub = reinterpret_cast<uintptr_t>(b);
  return ua < ub + b_len && ub < ua + a_len;
}

}  // namespace

absl::Status OpenResult::status() const {
  switch (kind_) {
    case Kind::kOpened: return absl::OkStatus();
    case Kind::kAuthenticationFailed:
      return absl::UnauthenticatedError("packet failed AEAD authentication (RFC 9001 §5.5)");
    case Kind::kError: return status_;
  }
  return status_;
}

absl::StatusOr<PacketKeyMaterial> DerivePacketKeyMaterial(const CipherSuite& suite,
                                                          QuicVersion version,
                                                          absl::Span<const uint8_t> secret) {
  if (absl::Status s = CheckSecret(suite, secret); !s.ok()) return s;
  const ProtectionLabels& labels = LabelsFor(version);
  const EVP_MD* md = suite.md();
  PacketKeyMaterial m;
  m.key.resize(suite.key_length);
  m.iv.resize(suite.iv_length);
  m.hp.resize(suite.hp_key_length);
  if (absl::Status s = HkdfExpandLabelInto(md, secret, labels.key, {}, absl::MakeSpan(m.key));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = HkdfExpandLabelInto(md, secret, labels.iv, {}, absl::MakeSpan(m.iv));
      !s.ok()) {
    return s;
  }
  if (absl::Status s = HkdfExpandLabelInto(md, secret, labels.hp, {}, absl::MakeSpan(m.hp));
      !s.ok()) {
    return s;
  }
  return m;
}

absl::StatusOr<std::vector<uint8_t>> DeriveNextTrafficSecret(const CipherSuite& suite,
                                                             QuicVersion version,
                                                             absl::Span<const uint8_t> secret) {
  if (absl::Status s = CheckSecret(suite, secret); !s.ok()) return s;
  return HkdfExpandLabel(suite.md(), secret, LabelsFor(version).ku, {}, suite.secret_length);
}

PacketProtector::PacketProtector(const CipherSuite& suite, QuicVersion version)
    : suite_(&suite), version_(version) {
  EVP_AEAD_CTX_zero(&aead_ctx_);
  OPENSSL_cleanse(&hp_aes_key_, sizeof(hp_aes_key_));
}

PacketProtector::~PacketProtector() {
  EVP_AEAD_CTX_cleanup(&aead_ctx_);
  OPENSSL_cleanse(&hp_aes_key_, sizeof(hp_aes_key_));
  OPENSSL_cleanse(iv_.data(), iv_.size());
  OPENSSL_cleanse(hp_key_.data(), hp_key_.size());
  OPENSSL_cleanse(secret_.data(), secret_.size());
}

absl::Status PacketProtector::Init(absl::Span<const uint8_t> secret,
                                   absl::Span<const uint8_t> key,
                                   absl::Span<const uint8_t> iv,
                                   absl::Span<const uint8_t> hp) {
  if (secret.size() > secret_.size() || key.size() != suite_->key_length ||
      iv.size() != iv_.size() || hp.size() != suite_->hp_key_length) {
    return absl::InternalError("packet protection key material has the wrong length");
  }
  if (EVP_AEAD_CTX_init(&aead_ctx_, suite_->aead(), key.data(), key.size(),
                        suite_->tag_length, nullptr) != 1) {
    ERR_clear_error();
    return absl::InternalError(std::string("EVP_AEAD_CTX_init failed for ") + suite_->name);
  }
  std::copy(secret.begin(), secret.end(), secret_.begin());
  secret_length_ = secret.size();
  std::copy(iv.begin(), iv.end(), iv_.begin());
  std::copy(hp.begin(), hp.end(), hp_key_.begin());
  if (suite_->hp_cipher != HeaderProtectionCipher::kChaCha20) {
    // AES_set_encrypt_key returns 0 on success.
    if (AES_set_encrypt_key(hp_key_.data(), static_cast<unsigned>(hp.size() * 8),
                            &hp_aes_key_) != 0) {
      return absl::InternalError("AES_set_encrypt_key failed for the header protection key");
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PacketProtector>> PacketProtector::Create(
    const CipherSuite& suite, QuicVersion version, absl::Span<const uint8_t> secret) {
  absl::StatusOr<PacketKeyMaterial> m = DerivePacketKeyMaterial(suite, version, secret);
  if (!m.ok()) return m.status();
  std::unique_ptr<PacketProtector> p(new PacketProtector(suite, version));
  absl::Status s = p->Init(secret, m->key, m->iv, m->hp);
  OPENSSL_cleanse(m->key.data(), m->key.size());
  OPENSSL_cleanse(m->hp.data(), m->hp.size());
  if (!s.ok()) return s;
  return p;
}

absl::StatusOr<std::unique_ptr<PacketProtector>> PacketProtector::NextGeneration() const {
  absl::Span<const uint8_t> secret(secret_.data(), secret_length_);
  absl::StatusOr<std::vector<uint8_t>> next = DeriveNextTrafficSecret(*suite_, version_, secret);
  if (!next.ok()) return next.status();
  const ProtectionLabels& labels = LabelsFor(version_);
  std::array<uint8_t, kMaxAeadKeyLength> key;
  absl::Span<uint8_t> key_span(key.data(), suite_->key_length);
  std::array<uint8_t, kAeadNonceLength> iv;
  absl::Status s = HkdfExpandLabelInto(suite_->md(), *next, labels.key, {}, key_span);
  if (s.ok()) s = HkdfExpandLabelInto(suite_->md(), *next, labels.iv, {}, absl::MakeSpan(iv));
  std::unique_ptr<PacketProtector> p(new PacketProtector(*suite_, version_));
  // RFC 9001 §6.1: the header protection key is not updated.
  if (s.ok()) {
    s = p->Init(*next, key_span, iv, absl::MakeConstSpan(hp_key_.data(), suite_->hp_key_length));
  }
  OPENSSL_cleanse(key.data(), key.size());
  OPENSSL_cleanse(next->data(), next->size());
  if (!s.ok()) return s;
  return p;
}

AeadNonce PacketProtector::MakeNonce(uint64_t pn) const {
  AeadNonce nonce = iv_;
  for (size_t i = 0; i < 8; ++i) {
    nonce[nonce.size() - 1 - i] ^= static_cast<uint8_t>(pn >> (8 * i));
  }
  return nonce;
}

absl::StatusOr<size_t> PacketProtector::SealPayload(uint64_t pn,
                                                    absl::Span<const uint8_t> associated_data,
                                                    absl::Span<uint8_t> buffer,
                                                    size_t plaintext_len) const {
  if (pn > kMaxPacketNumber) {
    return absl::InvalidArgumentError("packet number above 2^62-1 (RFC 9000 §12.3)");
  }
  if (plaintext_len > buffer.size() || buffer.size() - plaintext_len < tag_length()) {
    return absl::ResourceExhaustedError("no room for the AEAD tag after the payload");
  }
  if (Overlaps(associated_data.data(), associated_data.size(), buffer.data(),
               plaintext_len + tag_length())) {
    return absl::InvalidArgumentError("associated data overlaps the payload being sealed");
  }
  const AeadNonce nonce = MakeNonce(pn);
  size_t out_len = 0;
  if (EVP_AEAD_CTX_seal(&aead_ctx_, buffer.data(), &out_len, buffer.size(), nonce.data(),
                        nonce.size(), buffer.data(), plaintext_len, associated_data.data(),
                        associated_data.size()) != 1) {
    ERR_clear_error();
    return absl::InternalError("EVP_AEAD_CTX_seal failed");
  }
  return out_len;
}

OpenResult PacketProtector::OpenPayload(uint64_t pn, absl::Span<const uint8_t> header,
                                        absl::Span<const uint8_t> ciphertext,
                                        absl::Span<uint8_t> out) const {
  if (pn > kMaxPacketNumber) {
    return OpenResult::Error(
        absl::InvalidArgumentError("packet number above 2^62-1 (RFC 9000 §12.3)"));
  }
  // A payload shorter than the tag cannot authenticate; it is peer input, so it is treated
  // like any other forgery rather than as a local error.
  if (ciphertext.size() < tag_length()) return OpenResult::AuthenticationFailed();
  const size_t plaintext_len = ciphertext.size() - tag_length();
  if (out.size() < plaintext_len) {
    return OpenResult::Error(absl::ResourceExhaustedError("plaintext buffer too small"));
  }
  if (out.data() != ciphertext.data() &&
      Overlaps(out.data(), out.size(), ciphertext.data(), ciphertext.size())) {
    return OpenResult::Error(
        absl::InvalidArgumentError("plaintext buffer partially overlaps the ciphertext"));
  }
  const AeadNonce nonce = MakeNonce(pn);
  size_t out_len = 0;
  if (EVP_AEAD_CTX_open(&aead_ctx_, out.data(), &out_len, out.size(), nonce.data(),
                        nonce.size(), ciphertext.data(), ciphertext.size(), header.data(),
                        header.size()) != 1) {
    // Drop BoringSSL's queued CIPHER_R_BAD_DECRYPT so forgeries cannot pile up errors.
    ERR_clear_error();
    return OpenResult::AuthenticationFailed();
  }
  return OpenResult::Opened(out_len);
}

absl::StatusOr<HeaderProtectionMask> PacketProtector::ComputeHeaderProtectionMask(
    absl::Span<const uint8_t> sample) const {
  if (sample.size() != kHeaderProtectionSampleLength) {
    return absl::InvalidArgumentError("header protection sample must be 16 bytes");
  }
  HeaderProtectionMask mask;
  if (suite_->hp_cipher == HeaderProtectionCipher::kChaCha20) {
    // RFC 9001 §5.4.4: counter = sample[0..3] little-endian, nonce = sample[4..15],
    // mask = ChaCha20 over five zero bytes.
    const uint32_t counter = static_cast<uint32_t>(sample[0]) |
                             static_cast<uint32_t>(sample[1]) << 8 |
                             static_cast<uint32_t>(sample[2]) << 16 |
                             static_cast<uint32_t>(sample[3]) << 24;
    static constexpr uint8_t kZeros[kHeaderProtectionMaskLength] = {};
    CRYPTO_chacha_20(mask.data(), kZeros, mask.size(), hp_key_.data(), sample.data() + 4,
                     counter);
  } else {
    // RFC 9001 §5.4.3: mask = AES-ECB(hp_key, sample).
    uint8_t block[AES_BLOCK_SIZE];
    AES_encrypt(sample.data(), block, &hp_aes_key_);
    std::copy(block, block + mask.size(), mask.begin());
  }
  return mask;
}

absl::StatusOr<size_t> PacketProtector::ProtectPacket(uint8_t* packet, size_t header_len,
                                                      size_t pn_len, uint64_t pn,
                                                      size_t plaintext_len,
                                                      size_t capacity) const {
  if (packet == nullptr) return absl::InvalidArgumentError("null packet");
  if (pn_len < 1 || pn_len > kMaxPacketNumberLength) {
    return absl::InvalidArgumentError("packet number length must be 1..4 (RFC 9000 §17.1)");
  }
  if (header_len <= pn_len) {
    return absl::InvalidArgumentError("header must hold a first byte and the packet number");
  }
  if (header_len > capacity || plaintext_len > capacity - header_len) {
    return absl::InvalidArgumentError("header and payload exceed the buffer capacity");
  }
  const size_t pn_offset = header_len - pn_len;
  // RFC 9001 §5.4.2: pn_len + payload + tag must reach 4 bytes past the packet number start
  // plus the 16-byte sample; callers pad with PADDING frames.
  if (pn_len + plaintext_len + tag_length() <
      kHeaderProtectionSampleOffset + kHeaderProtectionSampleLength) {
    return absl::InvalidArgumentError(
        "payload too short for the header protection sample (RFC 9001 §5.4.2)");
  }
  if (static_cast<size_t>(packet[0] & 0x03) + 1 != pn_len) {
    return absl::InvalidArgumentError("first byte's Packet Number Length disagrees with pn_len");
  }
  for (size_t i = 0; i < pn_len; ++i) {
    if (packet[pn_offset + i] != static_cast<uint8_t>(pn >> (8 * (pn_len - 1 - i)))) {
      return absl::InvalidArgumentError("header packet number bytes do not encode pn");
    }
  }
  absl::StatusOr<size_t> sealed =
      SealPayload(pn, absl::MakeConstSpan(packet, header_len),
                  absl::MakeSpan(packet + header_len, capacity - header_len), plaintext_len);
  if (!sealed.ok()) return sealed.status();
  absl::StatusOr<HeaderProtectionMask> mask = ComputeHeaderProtectionMask(absl::MakeConstSpan(
      packet + pn_offset + kHeaderProtectionSampleOffset, kHeaderProtectionSampleLength));
  if (!mask.ok()) return mask.status();
  packet[0] ^= (*mask)[0] & FirstByteMask(packet[0]);
  for (size_t i = 0; i < pn_len; ++i) packet[pn_offset + i] ^= (*mask)[1 + i];
  return header_len + *sealed;
}

absl::StatusOr<UnmaskedHeader> PacketProtector::RemoveHeaderProtection(uint8_t* packet,
                                                                       size_t packet_len,
                                                                       size_t pn_offset) const {
  if (packet == nullptr) return absl::InvalidArgumentError("null packet");
  if (pn_offset == 0) {
    return absl::InvalidArgumentError("packet number cannot start at the first byte");
  }
  if (pn_offset > packet_len ||
      packet_len - pn_offset < kHeaderProtectionSampleOffset + kHeaderProtectionSampleLength) {
    return absl::InvalidArgumentError(
        "packet too short for the header protection sample (RFC 9001 §5.4.2)");
  }
  absl::StatusOr<HeaderProtectionMask> mask = ComputeHeaderProtectionMask(absl::MakeConstSpan(
      packet + pn_offset + kHeaderProtectionSampleOffset, kHeaderProtectionSampleLength));
  if (!mask.ok()) return mask.status();
  UnmaskedHeader h;
  h.first_byte = static_cast<uint8_t>(packet[0] ^ ((*mask)[0] & FirstByteMask(packet[0])));
  h.pn_length = static_cast<size_t>(h.first_byte & 0x03) + 1;
  packet[0] = h.first_byte;
  // pn_offset + 4 <= packet_len was checked above, so all pn_length bytes are in bounds.
  for (size_t i = 0; i < h.pn_length; ++i) {
    packet[pn_offset + i] ^= (*mask)[1 + i];
    h.truncated_pn = (h.truncated_pn << 8) | packet[pn_offset + i];
  }
  h.header_length = pn_offset + h.pn_length;
  return h;
}

}  // namespace kite::tls
