#include "tls/self_signed_certificate.h"

#include <catch2/catch.hpp>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "tls/certificate_chain.h"

namespace kite::tls {
namespace {

bssl::UniquePtr<X509> ParsePem(const std::string& pem) {
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  return bssl::UniquePtr<X509>(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
}

TEST_CASE("Self-signed certificates carry the requested names and a P-256 key", "[tls]") {
  SelfSignedOptions options;
  options.common_name = "kite test";
  options.dns_names = {"example.test", "*.wild.test"};
  options.ip_addresses = {"192.0.2.7", "2001:db8::1"};
  absl::StatusOr<SelfSignedCertificate> cert = GenerateSelfSignedCertificate(options);
  REQUIRE(cert.ok());
  bssl::UniquePtr<X509> x509 = ParsePem(cert->certificate_pem);
  REQUIRE(x509);

  CHECK(X509_check_host(x509.get(), "example.test", 12, 0, nullptr) == 1);
  CHECK(X509_check_host(x509.get(), "a.wild.test", 11, 0, nullptr) == 1);
  CHECK(X509_check_host(x509.get(), "other.test", 10, 0, nullptr) != 1);
  CHECK(X509_check_ip_asc(x509.get(), "192.0.2.7", 0) == 1);
  CHECK(X509_check_ip_asc(x509.get(), "2001:db8::1", 0) == 1);
  CHECK(X509_check_ip_asc(x509.get(), "192.0.2.8", 0) != 1);

  bssl::UniquePtr<EVP_PKEY> key(X509_get_pubkey(x509.get()));
  REQUIRE(key);
  CHECK(EVP_PKEY_id(key.get()) == EVP_PKEY_EC);
  // Self-signed: the signature verifies under its own key.
  CHECK(X509_verify(x509.get(), key.get()) == 1);
  CHECK(X509_check_issued(x509.get(), x509.get()) == X509_V_OK);
  CHECK(X509_cmp_current_time(X509_get0_notBefore(x509.get())) < 0);
  CHECK(X509_cmp_current_time(X509_get0_notAfter(x509.get())) > 0);

  // The key matches the certificate.
  CHECK(CertificateChain::FromPem(cert->certificate_pem, cert->private_key_pem).ok());

  // Two generations differ (fresh key and serial).
  absl::StatusOr<SelfSignedCertificate> again = GenerateSelfSignedCertificate(options);
  REQUIRE(again.ok());
  CHECK(again->private_key_pem != cert->private_key_pem);
  CHECK_FALSE(CertificateChain::FromPem(cert->certificate_pem, again->private_key_pem).ok());
}

TEST_CASE("Self-signed generation rejects bad input", "[tls]") {
  SelfSignedOptions options;
  options.ip_addresses = {"not-an-ip"};
  CHECK_FALSE(GenerateSelfSignedCertificate(options).ok());
  options = SelfSignedOptions();
  options.dns_names = {"bad name,with comma"};
  CHECK_FALSE(GenerateSelfSignedCertificate(options).ok());
  options = SelfSignedOptions();
  options.validity_days = 0;
  CHECK_FALSE(GenerateSelfSignedCertificate(options).ok());
}

}  // namespace
}  // namespace kite::tls
