#include "tls/tls_context.h"

#include <catch2/catch.hpp>

#include "test/tls/quic_tls_harness.h"

namespace kite::tls {
namespace {

TEST_CASE("EncodeAlpnList writes RFC 7301 wire format and validates", "[tls]") {
  absl::StatusOr<std::vector<uint8_t>> wire = EncodeAlpnList({"h3", "hq-interop"});
  REQUIRE(wire.ok());
  std::vector<uint8_t> expected = {2, 'h', '3', 10, 'h', 'q', '-', 'i', 'n', 't', 'e', 'r', 'o', 'p'};
  CHECK(*wire == expected);
  CHECK_FALSE(EncodeAlpnList({}).ok());
  CHECK_FALSE(EncodeAlpnList({""}).ok());
  CHECK_FALSE(EncodeAlpnList({std::string(256, 'a')}).ok());
  CHECK(EncodeAlpnList({std::string(255, 'a')}).ok());
}

TEST_CASE("TlsClientContext validates its options", "[tls]") {
  ClientOptions options;
  options.verify_peer = false;
  CHECK_FALSE(TlsClientContext::Create(options).ok());  // no ALPN
  options.alpn = {"h3"};
  CHECK(TlsClientContext::Create(options).ok());
  options.verify_peer = true;
  CHECK_FALSE(TlsClientContext::Create(options).ok());  // nothing to trust
  options.trusted_certificates_pem = {"not a certificate"};
  CHECK_FALSE(TlsClientContext::Create(options).ok());
  options.trusted_certificates_pem = {testing::TestCertificate().certificate_pem +
                                      testing::OtherCertificate().certificate_pem};
  CHECK(TlsClientContext::Create(options).ok());
  options.trusted_certificates_file = "/nonexistent/ca.pem";
  CHECK_FALSE(TlsClientContext::Create(options).ok());
  options.trusted_certificates_file.clear();
  options.curves = "P-256:X25519";
  CHECK(TlsClientContext::Create(options).ok());
  options.curves = "NoSuchCurve";
  CHECK_FALSE(TlsClientContext::Create(options).ok());
}

TEST_CASE("TlsServerContext validates its options", "[tls]") {
  ServerOptions options;
  options.alpn = {"h3"};
  CHECK_FALSE(TlsServerContext::Create(options).ok());  // no certificate
  options.certificate.chain_pem = testing::TestCertificate().certificate_pem;
  options.certificate.key_pem = testing::OtherCertificate().private_key_pem;
  CHECK_FALSE(TlsServerContext::Create(options).ok());  // key does not match
  options.certificate.key_pem = testing::TestCertificate().private_key_pem;
  CHECK(TlsServerContext::Create(options).ok());
  options.certificate.chain_file = "/nonexistent/cert.pem";
  options.certificate.key_file = "/nonexistent/key.pem";
  CHECK_FALSE(TlsServerContext::Create(options).ok());
  options.certificate.chain_file.clear();
  options.certificate.key_file.clear();

  options.ticket_keys = std::vector<uint8_t>(kTicketKeysLength - 1, 7);
  CHECK_FALSE(TlsServerContext::Create(options).ok());
  options.ticket_keys = std::vector<uint8_t>(kTicketKeysLength, 7);
  CHECK(TlsServerContext::Create(options).ok());
  options.num_tickets = kMaxTicketsPerHandshake + 1;
  CHECK_FALSE(TlsServerContext::Create(options).ok());
  options.num_tickets = 1;

  SniCertificate sni;
  sni.certificate.chain_pem = testing::OtherCertificate().certificate_pem;
  sni.certificate.key_pem = testing::OtherCertificate().private_key_pem;
  sni.server_name = "a.*.test";  // wildcard not leading
  options.sni_certificates = {sni};
  CHECK_FALSE(TlsServerContext::Create(options).ok());
  sni.server_name = "alt.test";
  options.sni_certificates = {sni, sni};  // duplicate
  CHECK_FALSE(TlsServerContext::Create(options).ok());
  options.sni_certificates = {sni};
  CHECK(TlsServerContext::Create(options).ok());
}

TEST_CASE("Certificates load from PEM files", "[tls]") {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = std::string(dir != nullptr ? dir : "/tmp") + "/tls_context_test_";
  std::string cert_path = base + "cert.pem";
  std::string key_path = base + "key.pem";
  {
    std::FILE* f = std::fopen(cert_path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(testing::TestCertificate().certificate_pem.c_str(), f);
    std::fclose(f);
    f = std::fopen(key_path.c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs(testing::TestCertificate().private_key_pem.c_str(), f);
    std::fclose(f);
  }
  CertificateConfig config;
  config.chain_file = cert_path;
  config.key_file = key_path;
  absl::StatusOr<std::shared_ptr<const CertificateChain>> chain = CertificateChain::Load(config);
  REQUIRE(chain.ok());
  CHECK((*chain)->length() == 1);
  config.key_file.clear();
  CHECK_FALSE(CertificateChain::Load(config).ok());  // files go in pairs
}

}  // namespace
}  // namespace kite::tls
