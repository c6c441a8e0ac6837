#include "tls/certificate_chain.h"

#include <cstdio>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pool.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kite::tls {
namespace {

std::string OpenSslErrorString() {
  uint32_t err = ERR_peek_last_error();
  const char* reason = ERR_reason_error_string(err);
  return reason != nullptr ? std::string(reason) : std::string("unknown error");
}

bool IsPemEnd() {
  uint32_t err = ERR_peek_last_error();
  return ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
}

}  // namespace

absl::StatusOr<std::string> ReadPemFile(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), file)) > 0) {
    if (out.size() + n > kMaxPemBytes) {
      std::fclose(file);
      return absl::InvalidArgumentError(absl::StrCat(path, " is larger than ", kMaxPemBytes));
    }
    out.append(buf, n);
  }
  bool failed = std::ferror(file) != 0;
  std::fclose(file);
  if (failed) return absl::DataLossError(absl::StrCat("read error on ", path));
  return out;
}

absl::StatusOr<std::shared_ptr<const CertificateChain>> CertificateChain::Load(
    const CertificateConfig& config) {
  if (!config.chain_file.empty() || !config.key_file.empty()) {
    if (config.chain_file.empty() || config.key_file.empty()) {
      return absl::InvalidArgumentError("certificate chain_file and key_file go together");
    }
    absl::StatusOr<std::string> chain = ReadPemFile(config.chain_file);
    if (!chain.ok()) return chain.status();
    absl::StatusOr<std::string> key = ReadPemFile(config.key_file);
    if (!key.ok()) return key.status();
    return FromPem(*chain, *key);
  }
  return FromPem(config.chain_pem, config.key_pem);
}

absl::StatusOr<std::shared_ptr<const CertificateChain>> CertificateChain::FromPem(
    std::string_view chain_pem, std::string_view key_pem) {
  if (chain_pem.empty() || key_pem.empty()) {
    return absl::InvalidArgumentError("certificate chain and private key are required");
  }
  if (chain_pem.size() > kMaxPemBytes || key_pem.size() > kMaxPemBytes) {
    return absl::InvalidArgumentError("PEM input too large");
  }
  std::shared_ptr<CertificateChain> chain(new CertificateChain());
  ERR_clear_error();

  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(chain_pem.data(), chain_pem.size()));
  if (!bio) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  bssl::UniquePtr<X509> leaf;
  for (;;) {
    bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) {
      if (!chain->certs_.empty() && IsPemEnd()) {
        ERR_clear_error();
        break;
      }
      return absl::InvalidArgumentError(
          absl::StrCat("bad certificate PEM: ", OpenSslErrorString()));
    }
    if (chain->certs_.size() == kMaxChainLength) {
      return absl::InvalidArgumentError(
          absl::StrCat("certificate chain longer than ", kMaxChainLength));
    }
    uint8_t* der = nullptr;
    int der_len = i2d_X509(cert.get(), &der);
    if (der_len <= 0) return absl::InvalidArgumentError("cannot encode certificate");
    CRYPTO_BUFFER* buffer = CRYPTO_BUFFER_new(der, static_cast<size_t>(der_len), nullptr);
    OPENSSL_free(der);
    if (buffer == nullptr) return absl::ResourceExhaustedError("CRYPTO_BUFFER_new");
    chain->certs_.push_back(buffer);
    if (!leaf) leaf = std::move(cert);
  }

  bssl::UniquePtr<BIO> key_bio(BIO_new_mem_buf(key_pem.data(), key_pem.size()));
  if (!key_bio) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  chain->key_ = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (chain->key_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("bad private key PEM: ", OpenSslErrorString()));
  }
  if (!X509_check_private_key(leaf.get(), chain->key_)) {
    ERR_clear_error();
    return absl::InvalidArgumentError("private key does not match the leaf certificate");
  }
  return std::shared_ptr<const CertificateChain>(std::move(chain));
}

CertificateChain::~CertificateChain() {
  for (CRYPTO_BUFFER* cert : certs_) CRYPTO_BUFFER_free(cert);
  EVP_PKEY_free(key_);
}

bool CertificateChain::ApplyTo(SSL* ssl) const {
  return SSL_set_chain_and_key(ssl, certs_.data(), certs_.size(), key_, nullptr) == 1;
}

std::vector<uint8_t> CertificateChain::CertificateDer(size_t i) const {
  if (i >= certs_.size()) return {};
  const uint8_t* data = CRYPTO_BUFFER_data(certs_[i]);
  return std::vector<uint8_t>(data, data + CRYPTO_BUFFER_len(certs_[i]));
}

}  // namespace kite::tls
