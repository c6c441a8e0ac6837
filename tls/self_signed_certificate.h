// In-memory ECDSA P-256 self-signed certificates for tests, the demo and tools.
#ifndef KITE_TLS_SELF_SIGNED_CERTIFICATE_H_
#define KITE_TLS_SELF_SIGNED_CERTIFICATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kite::tls {

struct SelfSignedOptions {
  std::string common_name = "kite";
  std::vector<std::string> dns_names = {"localhost"};  // subjectAltName dNSName entries
  std::vector<std::string> ip_addresses;                // "127.0.0.1", "::1": iPAddress entries
  int validity_days = 30;  // notBefore is one hour before now to absorb clock skew
};

inline constexpr int kMaxSelfSignedValidityDays = 825;
inline constexpr size_t kMaxSubjectAltNames = 100;

struct SelfSignedCertificate {
  std::string certificate_pem;
  std::string private_key_pem;  // PKCS#8
};

absl::StatusOr<SelfSignedCertificate> GenerateSelfSignedCertificate(
    const SelfSignedOptions& options = SelfSignedOptions());

}  // namespace kite::tls

#endif  // KITE_TLS_SELF_SIGNED_CERTIFICATE_H_
