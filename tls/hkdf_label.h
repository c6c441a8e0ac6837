// HKDF-Expand-Label from TLS 1.3 (RFC 8446 §7.1), the derivation QUIC uses for every packet
// protection secret, key, IV and header protection key (RFC 9001 §5.1).
#ifndef KITE_TLS_HKDF_LABEL_H_
#define KITE_TLS_HKDF_LABEL_H_

#include <openssl/base.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace kite::tls {

// RFC 8446 §7.1: `opaque label<7..255> = "tls13 " + Label;` and `opaque context<0..255>`.
inline constexpr std::string_view kHkdfLabelPrefix = "tls13 ";
inline constexpr size_t kMaxHkdfLabelLength = 255 - kHkdfLabelPrefix.size();
inline constexpr size_t kMaxHkdfContextLength = 255;
// `uint16 length` in HkdfLabel; HKDF itself further caps the output at 255 * hash length.
inline constexpr size_t kMaxHkdfOutputLength = 0xffff;
// Largest encoded HkdfLabel structure: length(2) + label length(1) + label + context
// length(1) + context.
inline constexpr size_t kMaxHkdfLabelInfoLength =
    2 + 1 + kHkdfLabelPrefix.size() + kMaxHkdfLabelLength + 1 + kMaxHkdfContextLength;

// The encoded HkdfLabel structure (the HKDF-Expand `info`). RFC 9001 Appendix A.1 lists
// these bytes for its labels.
absl::StatusOr<std::vector<uint8_t>> BuildHkdfLabel(std::string_view label,
                                                    absl::Span<const uint8_t> context,
                                                    size_t out_len);

// HKDF-Expand-Label(secret, label, context, out.size()) into `out`.
absl::Status HkdfExpandLabelInto(const EVP_MD* md, absl::Span<const uint8_t> secret,
                                 std::string_view label, absl::Span<const uint8_t> context,
                                 absl::Span<uint8_t> out);

// HKDF-Expand-Label(secret, label, context, out_len).
absl::StatusOr<std::vector<uint8_t>> HkdfExpandLabel(const EVP_MD* md,
                                                     absl::Span<const uint8_t> secret,
                                                     std::string_view label,
                                                     absl::Span<const uint8_t> context,
                                                     size_t out_len);

}  // namespace kite::tls

#endif  // KITE_TLS_HKDF_LABEL_H_
