// A certificate chain with its private key, parsed once and installed on many handshakes.
#ifndef KITE_TLS_CERTIFICATE_CHAIN_H_
#define KITE_TLS_CERTIFICATE_CHAIN_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/base.h>

#include "absl/status/statusor.h"

namespace kite::tls {

// Where a certificate comes from: PEM text, or PEM files (the files win when both are set).
struct CertificateConfig {
  std::string chain_pem;  // leaf first, then intermediates
  std::string key_pem;
  std::string chain_file;
  std::string key_file;
};

// Upper bound on a PEM input (chain or key), so a wrong path (say /dev/zero) fails cleanly.
inline constexpr size_t kMaxPemBytes = 1 << 20;
// Upper bound on certificates in one chain.
inline constexpr size_t kMaxChainLength = 16;

class CertificateChain {
 public:
  static absl::StatusOr<std::shared_ptr<const CertificateChain>> Load(
      const CertificateConfig& config);
  static absl::StatusOr<std::shared_ptr<const CertificateChain>> FromPem(std::string_view chain_pem,
                                                                         std::string_view key_pem);

  ~CertificateChain();
  CertificateChain(const CertificateChain&) = delete;
  CertificateChain& operator=(const CertificateChain&) = delete;

  // Installs the chain and key on a server handshake (from the certificate callback).
  bool ApplyTo(SSL* ssl) const;

  size_t length() const { return certs_.size(); }
  // DER of certificate `i` (0 is the leaf).
  std::vector<uint8_t> CertificateDer(size_t i) const;

 private:
  CertificateChain() = default;

  std::vector<CRYPTO_BUFFER*> certs_;  // owned
  EVP_PKEY* key_ = nullptr;            // owned
};

// Reads a whole PEM file, bounded by kMaxPemBytes.
absl::StatusOr<std::string> ReadPemFile(const std::string& path);

}  // namespace kite::tls

#endif  // KITE_TLS_CERTIFICATE_CHAIN_H_
