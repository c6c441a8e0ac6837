#include "tls/hkdf_label.h"

#include <openssl/hkdf.h>

#include <array>
#include <string>

namespace kite::tls {
namespace {

// Writes the HkdfLabel structure into `info` and returns its encoded length.
absl::StatusOr<size_t> EncodeHkdfLabel(std::string_view label, absl::Span<const uint8_t> context,
                                       size_t out_len,
                                       std::array<uint8_t, kMaxHkdfLabelInfoLength>* info) {
  if (label.size() > kMaxHkdfLabelLength) {
    return absl::InvalidArgumentError("HKDF label longer than 249 bytes (RFC 8446 §7.1)");
  }
  if (context.size() > kMaxHkdfContextLength) {
    return absl::InvalidArgumentError("HKDF context longer than 255 bytes (RFC 8446 §7.1)");
  }
  if (out_len > kMaxHkdfOutputLength) {
    return absl::InvalidArgumentError("HKDF-Expand-Label output longer than 65535 bytes");
  }
  if (label.empty()) {
    // "tls13 " alone is 6 bytes, below the <7..255> lower bound.
    return absl::InvalidArgumentError("HKDF label must not be empty (RFC 8446 §7.1)");
  }
  uint8_t* p = info->data();
  size_t n = 0;
  p[n++] = static_cast<uint8_t>(out_len >> 8);
  p[n++] = static_cast<uint8_t>(out_len);
  p[n++] = static_cast<uint8_t>(kHkdfLabelPrefix.size() + label.size());
  for (char c : kHkdfLabelPrefix) p[n++] = static_cast<uint8_t>(c);
  for (char c : label) p[n++] = static_cast<uint8_t>(c);
  p[n++] = static_cast<uint8_t>(context.size());
  for (uint8_t b : context) p[n++] = b;
  return n;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> BuildHkdfLabel(std::string_view label,
                                                    absl::Span<const uint8_t> context,
                                                    size_t out_len) {
  std::array<uint8_t, kMaxHkdfLabelInfoLength> info;
  absl::StatusOr<size_t> n = EncodeHkdfLabel(label, context, out_len, &info);
  if (!n.ok()) return n.status();
  return std::vector<uint8_t>(info.begin(), info.begin() + *n);
}

absl::Status HkdfExpandLabelInto(const EVP_MD* md, absl::Span<const uint8_t> secret,
                                 std::string_view label, absl::Span<const uint8_t> context,
                                 absl::Span<uint8_t> out) {
  if (md == nullptr) return absl::InvalidArgumentError("HKDF-Expand-Label: no digest");
  if (out.empty()) return absl::InvalidArgumentError("HKDF-Expand-Label: empty output");
  std::array<uint8_t, kMaxHkdfLabelInfoLength> info;
  absl::StatusOr<size_t> n = EncodeHkdfLabel(label, context, out.size(), &info);
  if (!n.ok()) return n.status();
  if (HKDF_expand(out.data(), out.size(), md, secret.data(), secret.size(), info.data(), *n) !=
      1) {
    return absl::InternalError("HKDF_expand failed for label \"" + std::string(label) + "\"");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint8_t>> HkdfExpandLabel(const EVP_MD* md,
                                                     absl::Span<const uint8_t> secret,
                                                     std::string_view label,
                                                     absl::Span<const uint8_t> context,
                                                     size_t out_len) {
  std::vector<uint8_t> out(out_len);
  absl::Status s = HkdfExpandLabelInto(md, secret, label, context, absl::MakeSpan(out));
  if (!s.ok()) return s;
  return out;
}

}  // namespace kite::tls
