#include "tls/self_signed_certificate.h"

#include <arpa/inet.h>

#include <cstring>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec_key.h>
#include <openssl/evp.h>
#include <openssl/nid.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tls {
namespace {

constexpr long kSecondsPerDay = 86400;
constexpr long kClockSkewSeconds = 3600;
constexpr size_t kSerialBytes = 16;  // RFC 5280 §4.1.2.2: at most 20 octets, positive

absl::StatusOr<std::string> BioToString(BIO* bio) {
  const uint8_t* data = nullptr;
  size_t len = 0;
  if (!BIO_mem_contents(bio, &data, &len)) return absl::InternalError("BIO_mem_contents");
  return std::string(reinterpret_cast<const char*>(data), len);
}

bool AddDnsName(GENERAL_NAMES* names, const std::string& dns) {
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  ASN1_IA5STRING* str = ASN1_IA5STRING_new();
  if (!name || str == nullptr ||
      !ASN1_STRING_set(str, dns.data(), static_cast<int>(dns.size()))) {
    ASN1_IA5STRING_free(str);
    return false;
  }
  GENERAL_NAME_set0_value(name.get(), GEN_DNS, str);
  if (!sk_GENERAL_NAME_push(names, name.get())) return false;
  name.release();
  return true;
}

bool AddIpAddress(GENERAL_NAMES* names, const std::string& ip) {
  uint8_t addr[16];
  int len = 0;
  if (inet_pton(AF_INET, ip.c_str(), addr) == 1) {
    len = 4;
  } else if (inet_pton(AF_INET6, ip.c_str(), addr) == 1) {
    len = 16;
  } else {
    return false;
  }
  bssl::UniquePtr<GENERAL_NAME> name(GENERAL_NAME_new());
  ASN1_OCTET_STRING* str = ASN1_OCTET_STRING_new();
  if (!name || str == nullptr || !ASN1_OCTET_STRING_set(str, addr, len)) {
    ASN1_OCTET_STRING_free(str);
    return false;
  }
  GENERAL_NAME_set0_value(name.get(), GEN_IPADD, str);
  if (!sk_GENERAL_NAME_push(names, name.get())) return false;
  name.release();
  return true;
}

bool ValidDnsName(const std::string& dns) {
  if (dns.empty() || dns.size() > 253) return false;
  for (char c : dns) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '.' || c == '*';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<SelfSignedCertificate> GenerateSelfSignedCertificate(
    const SelfSignedOptions& options) {
  if (options.validity_days <= 0 || options.validity_days > kMaxSelfSignedValidityDays) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity_days must be in 1..", kMaxSelfSignedValidityDays));
  }
  if (options.dns_names.size() + options.ip_addresses.size() > kMaxSubjectAltNames) {
    return absl::InvalidArgumentError("too many subjectAltName entries");
  }
  if (options.common_name.empty() || options.common_name.size() > 64) {
    return absl::InvalidArgumentError("common_name must be 1..64 bytes (RFC 5280 ub-common-name)");
  }

  bssl::UniquePtr<EC_KEY> ec(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!ec || !EC_KEY_generate_key(ec.get())) return absl::InternalError("EC key generation");
  bssl::UniquePtr<EVP_PKEY> key(EVP_PKEY_new());
  if (!key || !EVP_PKEY_assign_EC_KEY(key.get(), ec.release())) {
    return absl::InternalError("EVP_PKEY_assign_EC_KEY");
  }

  bssl::UniquePtr<X509> x509(X509_new());
  if (!x509 || !X509_set_version(x509.get(), X509_VERSION_3)) {
    return absl::InternalError("X509_new");
  }

  uint8_t serial_bytes[kSerialBytes];
  RAND_bytes(serial_bytes, sizeof(serial_bytes));
  serial_bytes[0] &= 0x7f;  // positive
  serial_bytes[0] |= 0x01;  // and a full 16 bytes long
  bssl::UniquePtr<BIGNUM> serial(BN_bin2bn(serial_bytes, sizeof(serial_bytes), nullptr));
  if (!serial || !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x509.get()))) {
    return absl::InternalError("serial number");
  }

  if (!X509_gmtime_adj(X509_getm_notBefore(x509.get()), -kClockSkewSeconds) ||
      !X509_gmtime_adj(X509_getm_notAfter(x509.get()),
                       static_cast<long>(options.validity_days) * kSecondsPerDay)) {
    return absl::InternalError("validity");
  }

  X509_NAME* subject = X509_get_subject_name(x509.get());
  if (!X509_NAME_add_entry_by_txt(
          subject, "CN", MBSTRING_UTF8,
          reinterpret_cast<const uint8_t*>(options.common_name.data()),
          static_cast<int>(options.common_name.size()), -1, 0) ||
      !X509_set_issuer_name(x509.get(), subject) || !X509_set_pubkey(x509.get(), key.get())) {
    return absl::InternalError("subject");
  }

  // RFC 5280 §4.2.1.6: names the certificate is valid for; TLS clients match only these.
  bssl::UniquePtr<GENERAL_NAMES> names(GENERAL_NAMES_new());
  if (!names) return absl::InternalError("GENERAL_NAMES_new");
  for (const std::string& dns : options.dns_names) {
    if (!ValidDnsName(dns)) return absl::InvalidArgumentError(absl::StrCat("bad DNS name ", dns));
    if (!AddDnsName(names.get(), dns)) return absl::InternalError("dNSName");
  }
  for (const std::string& ip : options.ip_addresses) {
    if (!AddIpAddress(names.get(), ip)) {
      return absl::InvalidArgumentError(absl::StrCat("bad IP address ", ip));
    }
  }
  if (sk_GENERAL_NAME_num(names.get()) > 0 &&
      !X509_add1_ext_i2d(x509.get(), NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT)) {
    return absl::InternalError("subjectAltName");
  }

  // RFC 5280 §4.2.1.9: an end-entity certificate, not a CA.
  bssl::UniquePtr<BASIC_CONSTRAINTS> bc(BASIC_CONSTRAINTS_new());
  if (!bc) return absl::InternalError("BASIC_CONSTRAINTS_new");
  bc->ca = 0;
  if (!X509_add1_ext_i2d(x509.get(), NID_basic_constraints, bc.get(), 1, X509V3_ADD_DEFAULT)) {
    return absl::InternalError("basicConstraints");
  }

  // RFC 5280 §4.2.1.12: TLS server and client authentication.
  bssl::UniquePtr<EXTENDED_KEY_USAGE> eku(sk_ASN1_OBJECT_new_null());
  if (!eku || !sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth)) ||
      !sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_client_auth)) ||
      !X509_add1_ext_i2d(x509.get(), NID_ext_key_usage, eku.get(), 0, X509V3_ADD_DEFAULT)) {
    return absl::InternalError("extendedKeyUsage");
  }

  if (!X509_sign(x509.get(), key.get(), EVP_sha256())) return absl::InternalError("X509_sign");

  SelfSignedCertificate out;
  bssl::UniquePtr<BIO> cert_bio(BIO_new(BIO_s_mem()));
  if (!cert_bio || !PEM_write_bio_X509(cert_bio.get(), x509.get())) {
    return absl::InternalError("PEM_write_bio_X509");
  }
  absl::StatusOr<std::string> cert_pem = BioToString(cert_bio.get());
  if (!cert_pem.ok()) return cert_pem.status();
  out.certificate_pem = *std::move(cert_pem);

  bssl::UniquePtr<BIO> key_bio(BIO_new(BIO_s_mem()));
  if (!key_bio || !PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr)) {
    return absl::InternalError("PEM_write_bio_PrivateKey");
  }
  absl::StatusOr<std::string> key_pem = BioToString(key_bio.get());
  if (!key_pem.ok()) return key_pem.status();
  out.private_key_pem = *std::move(key_pem);
  return out;
}

}  // namespace kite::tls
