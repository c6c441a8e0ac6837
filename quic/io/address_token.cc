#include "quic/io/address_token.h"

#include <cstring>
#include <utility>

#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"

namespace kite::quic::io {
namespace {

// Associated data: the kind and the client address the token is bound to.
constexpr size_t kAdSize = 1 + 1 + 16 + 2;

std::array<uint8_t, kAdSize> AssociatedData(AddressTokenKind kind, const SocketAddress& client) {
  std::array<uint8_t, kAdSize> ad{};
  ad[0] = static_cast<uint8_t>(kind);
  ad[1] = client.ipv6 ? 6 : 4;
  std::memcpy(ad.data() + 2, client.ip.data(), client.ipv6 ? 16 : 4);
  // RFC 9000 §8.1.3: a NEW_TOKEN token must survive the client's port changing.
  if (kind == AddressTokenKind::kRetry) {
    ad[18] = static_cast<uint8_t>(client.port >> 8);
    ad[19] = static_cast<uint8_t>(client.port);
  }
  return ad;
}

}  // namespace

absl::StatusOr<AddressTokenCodec::KeyState> AddressTokenCodec::MakeKey(
    const AddressTokenKey& key) {
  KeyState state;
  state.id = key.id;
  state.ctx.reset(EVP_AEAD_CTX_new(EVP_aead_aes_128_gcm(), key.key.data(), key.key.size(),
                                   kAddressTokenTagSize));
  if (state.ctx == nullptr) return absl::InternalError("EVP_AEAD_CTX_new failed");
  return state;
}

absl::StatusOr<AddressTokenCodec> AddressTokenCodec::Create(const AddressTokenKey& key,
                                                            const AddressTokenConfig& config) {
  absl::StatusOr<KeyState> state = MakeKey(key);
  if (!state.ok()) return state.status();
  AddressTokenCodec codec(config);
  codec.current_ = std::move(*state);
  return codec;
}

absl::Status AddressTokenCodec::Rotate(const AddressTokenKey& key) {
  if (key.id == current_.id) {
    return absl::InvalidArgumentError("new token key must have a new id");
  }
  absl::StatusOr<KeyState> state = MakeKey(key);
  if (!state.ok()) return state.status();
  previous_ = std::move(current_);
  current_ = std::move(*state);
  return absl::OkStatus();
}

absl::StatusOr<size_t> AddressTokenCodec::IssueRetryToken(const SocketAddress& client,
                                                          const ConnectionId& original_dcid,
                                                          absl::Time now,
                                                          const RandomBytes& random,
                                                          absl::Span<uint8_t> out) const {
  return Issue(AddressTokenKind::kRetry, client, &original_dcid, now, random, out);
}

absl::StatusOr<size_t> AddressTokenCodec::IssueNewToken(const SocketAddress& client,
                                                        absl::Time now,
                                                        const RandomBytes& random,
                                                        absl::Span<uint8_t> out) const {
  return Issue(AddressTokenKind::kNewToken, client, nullptr, now, random, out);
}

absl::StatusOr<size_t> AddressTokenCodec::Issue(AddressTokenKind kind,
                                                const SocketAddress& client,
                                                const ConnectionId* original_dcid,
                                                absl::Time now, const RandomBytes& random,
                                                absl::Span<uint8_t> out) const {
  const size_t odcid_len = original_dcid != nullptr ? original_dcid->length() : 0;
  const size_t plaintext_len = 8 + 1 + odcid_len;
  const size_t total = kAddressTokenHeaderSize + plaintext_len + kAddressTokenTagSize;
  if (out.size() < total) return absl::InvalidArgumentError("token buffer too small");

  out[0] = current_.id;
  out[1] = static_cast<uint8_t>(kind);
  uint8_t* nonce = out.data() + 2;
  random(nonce, kAddressTokenNonceSize);

  // The plaintext is written in place after the header, then sealed over itself.
  uint8_t* body = out.data() + kAddressTokenHeaderSize;
  DataWriter writer(body, plaintext_len);
  bool ok = writer.WriteUInt64(static_cast<uint64_t>(absl::ToUnixMicros(now))) &&
            writer.WriteUInt8(static_cast<uint8_t>(odcid_len)) &&
            (odcid_len == 0 || writer.WriteBytes(original_dcid->data(), odcid_len));
  if (!ok) return absl::InternalError("token plaintext");

  std::array<uint8_t, kAdSize> ad = AssociatedData(kind, client);
  size_t sealed_len = 0;
  if (!EVP_AEAD_CTX_seal(current_.ctx.get(), body, &sealed_len, plaintext_len + kAddressTokenTagSize,
                         nonce, kAddressTokenNonceSize, body, plaintext_len, ad.data(),
                         ad.size())) {
    return absl::InternalError("token seal failed");
  }
  return kAddressTokenHeaderSize + sealed_len;
}

absl::StatusOr<ValidatedAddressToken> AddressTokenCodec::Validate(
    absl::Span<const uint8_t> token, const SocketAddress& client, absl::Time now) const {
  // Bounds first: the token is peer input (RFC 9000 §17.2.2 Token field).
  constexpr size_t kMinSize = kAddressTokenHeaderSize + 8 + 1 + kAddressTokenTagSize;
  if (token.size() < kMinSize || token.size() > kMaxAddressTokenSize) {
    return absl::InvalidArgumentError("not an address token: bad size");
  }
  const uint8_t key_id = token[0];
  const uint8_t kind_byte = token[1];
  if (kind_byte != static_cast<uint8_t>(AddressTokenKind::kRetry) &&
      kind_byte != static_cast<uint8_t>(AddressTokenKind::kNewToken)) {
    return absl::InvalidArgumentError("not an address token: bad kind");
  }
  const AddressTokenKind kind = static_cast<AddressTokenKind>(kind_byte);
  const EVP_AEAD_CTX* ctx = nullptr;
  if (key_id == current_.id) {
    ctx = current_.ctx.get();
  } else if (previous_.has_value() && key_id == previous_->id) {
    ctx = previous_->ctx.get();
  } else {
    return absl::UnauthenticatedError("address token under an unknown key");
  }

  std::array<uint8_t, kMaxAddressTokenSize> plain;
  size_t plain_len = 0;
  std::array<uint8_t, kAdSize> ad = AssociatedData(kind, client);
  const absl::Span<const uint8_t> sealed = token.subspan(kAddressTokenHeaderSize);
  if (!EVP_AEAD_CTX_open(ctx, plain.data(), &plain_len, plain.size(), token.data() + 2,
                         kAddressTokenNonceSize, sealed.data(), sealed.size(), ad.data(),
                         ad.size())) {
    return absl::UnauthenticatedError("address token does not open (tampered or other address)");
  }

  DataReader reader(plain.data(), plain_len);
  uint64_t micros = 0;
  uint8_t odcid_len = 0;
  absl::Span<const uint8_t> odcid;
  if (!reader.ReadUInt64(&micros) || !reader.ReadUInt8(&odcid_len) ||
      odcid_len > kMaxConnectionIdLength || !reader.ReadBytes(odcid_len, &odcid) ||
      !reader.empty()) {
    // Only a holder of the key could have sealed this: a bug, not an attack, but still rejected.
    return absl::InvalidArgumentError("address token plaintext malformed");
  }
  if (kind == AddressTokenKind::kNewToken && odcid_len != 0) {
    return absl::InvalidArgumentError("NEW_TOKEN token with an original DCID");
  }

  ValidatedAddressToken v;
  v.kind = kind;
  v.issued = absl::FromUnixMicros(static_cast<int64_t>(micros));
  v.original_dcid = ConnectionId(odcid);
  const absl::Duration lifetime = kind == AddressTokenKind::kRetry ? config_.retry_lifetime
                                                                   : config_.new_token_lifetime;
  if (v.issued > now + config_.max_clock_skew) {
    return absl::DeadlineExceededError("address token issued in the future");
  }
  if (now - v.issued > lifetime) return absl::DeadlineExceededError("address token expired");
  return v;
}

}  // namespace kite::quic::io
