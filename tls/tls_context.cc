#include "tls/tls_context.h"

#include <algorithm>
#include <utility>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "tls/quic_tls.h"

namespace kite::tls {
namespace {

// SSL_CTX ex-data slot holding the context's KeyLogSink*.
int KeyLogIndex() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

void KeyLogCallback(const SSL* ssl, const char* line) {
  auto* sink = static_cast<KeyLogSink*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), KeyLogIndex()));
  if (sink != nullptr && *sink) (*sink)(std::string_view(line));
}

std::string OpenSslErrorString() {
  uint32_t err = ERR_peek_last_error();
  const char* reason = ERR_reason_error_string(err);
  return reason != nullptr ? std::string(reason) : std::string("unknown error");
}

// TLS 1.3 only (RFC 9001 §4.2), keylog wiring, curves.
absl::StatusOr<SSL_CTX*> NewQuicSslCtx(const std::string& curves, KeyLogSink* key_log) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_method());
  if (ctx == nullptr) return absl::ResourceExhaustedError("SSL_CTX_new");
  if (!SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION) ||
      !SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION)) {
    SSL_CTX_free(ctx);
    return absl::InternalError("cannot restrict the context to TLS 1.3");
  }
  if (!curves.empty() && !SSL_CTX_set1_curves_list(ctx, curves.c_str())) {
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("unsupported curves list: ", curves));
  }
  if (*key_log) {
    if (KeyLogIndex() < 0 || !SSL_CTX_set_ex_data(ctx, KeyLogIndex(), key_log)) {
      SSL_CTX_free(ctx);
      return absl::InternalError("SSL_CTX_set_ex_data");
    }
    SSL_CTX_set_keylog_callback(ctx, KeyLogCallback);
  }
  return ctx;
}

// Adds every certificate in `pem` to `store`.
absl::Status AddTrustedPem(X509_STORE* store, const std::string& pem) {
  if (pem.size() > kMaxPemBytes) return absl::InvalidArgumentError("trusted PEM too large");
  bssl::UniquePtr<BIO> bio(BIO_new_mem_buf(pem.data(), pem.size()));
  if (!bio) return absl::ResourceExhaustedError("BIO_new_mem_buf");
  int added = 0;
  for (;;) {
    bssl::UniquePtr<X509> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (!cert) break;
    if (!X509_STORE_add_cert(store, cert.get())) {
      uint32_t err = ERR_peek_last_error();
      // A duplicate anchor is harmless.
      if (ERR_GET_REASON(err) != X509_R_CERT_ALREADY_IN_HASH_TABLE) {
        return absl::InvalidArgumentError(
            absl::StrCat("cannot trust certificate: ", OpenSslErrorString()));
      }
    }
    ERR_clear_error();
    ++added;
  }
  uint32_t err = ERR_peek_last_error();
  bool clean_end = ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  ERR_clear_error();
  if (added == 0 || !clean_end) {
    return absl::InvalidArgumentError("trusted certificate PEM holds no valid certificate");
  }
  return absl::OkStatus();
}

bool ValidSniName(const std::string& name) {
  if (name.empty() || name.size() > kMaxServerNameLength) return false;
  if (name.find('*') == std::string::npos) return true;
  // Only a leading "*." wildcard standing for exactly one label (RFC 6125 §6.4.3).
  return name.size() > 2 && name[0] == '*' && name[1] == '.' &&
         name.find('*', 1) == std::string::npos;
}

}  // namespace

absl::StatusOr<std::vector<uint8_t>> EncodeAlpnList(const std::vector<std::string>& protocols) {
  if (protocols.empty()) return absl::InvalidArgumentError("ALPN list is required");
  if (protocols.size() > kMaxAlpnProtocols) {
    return absl::InvalidArgumentError(absl::StrCat("more than ", kMaxAlpnProtocols, " ALPN ids"));
  }
  std::vector<uint8_t> wire;
  for (const std::string& p : protocols) {
    if (p.empty() || p.size() > kMaxAlpnProtocolLength) {
      return absl::InvalidArgumentError("ALPN protocol names are 1..255 bytes (RFC 7301 §3.1)");
    }
    wire.push_back(static_cast<uint8_t>(p.size()));
    wire.insert(wire.end(), p.begin(), p.end());
  }
  return wire;
}

// ---- client ----

absl::StatusOr<std::unique_ptr<TlsClientContext>> TlsClientContext::Create(ClientOptions options) {
  absl::StatusOr<std::vector<uint8_t>> alpn = EncodeAlpnList(options.alpn);
  if (!alpn.ok()) return alpn.status();
  if (options.verify_peer && options.trusted_certificates_pem.empty() &&
      options.trusted_certificates_file.empty()) {
    return absl::InvalidArgumentError("verify_peer needs trusted certificates");
  }

  std::unique_ptr<TlsClientContext> context(new TlsClientContext());
  context->alpn_wire_ = *std::move(alpn);
  context->verify_peer_ = options.verify_peer;
  context->early_data_enabled_ = options.enable_early_data;
  context->key_log_ = std::move(options.key_log);
  absl::StatusOr<SSL_CTX*> ctx = NewQuicSslCtx(options.curves, &context->key_log_);
  if (!ctx.ok()) return ctx.status();
  context->ctx_ = *ctx;

  // Sessions go to the connection through new_session_cb, which BoringSSL only calls with
  // client caching on; the internal store is unused (resumption passes bytes explicitly).
  SSL_CTX_set_session_cache_mode(context->ctx_, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL);
  SSL_CTX_sess_set_new_cb(context->ctx_, &QuicTls::NewSession);
  SSL_CTX_set_early_data_enabled(context->ctx_, options.enable_early_data ? 1 : 0);

  if (options.verify_peer) {
    X509_STORE* store = SSL_CTX_get_cert_store(context->ctx_);
    for (const std::string& pem : options.trusted_certificates_pem) {
      absl::Status status = AddTrustedPem(store, pem);
      if (!status.ok()) return status;
    }
    if (!options.trusted_certificates_file.empty()) {
      absl::StatusOr<std::string> bundle = ReadPemFile(options.trusted_certificates_file);
      if (!bundle.ok()) return bundle.status();
      absl::Status status = AddTrustedPem(store, *bundle);
      if (!status.ok()) return status;
    }
    SSL_CTX_set_verify(context->ctx_, SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(context->ctx_, SSL_VERIFY_NONE, nullptr);
  }
  return context;
}

TlsClientContext::~TlsClientContext() { SSL_CTX_free(ctx_); }

// ---- server ----

absl::StatusOr<std::unique_ptr<TlsServerContext>> TlsServerContext::Create(ServerOptions options) {
  absl::StatusOr<std::vector<uint8_t>> alpn = EncodeAlpnList(options.alpn);
  if (!alpn.ok()) return alpn.status();
  if (options.num_tickets > kMaxTicketsPerHandshake) {
    return absl::InvalidArgumentError(
        absl::StrCat("num_tickets above ", kMaxTicketsPerHandshake));
  }
  absl::StatusOr<std::shared_ptr<const CertificateSet>> certificates =
      LoadCertificates(options.certificate, options.sni_certificates);
  if (!certificates.ok()) return certificates.status();

  std::unique_ptr<TlsServerContext> context(new TlsServerContext());
  context->alpn_ = std::move(options.alpn);
  context->early_data_enabled_ = options.enable_early_data;
  context->key_log_ = std::move(options.key_log);
  context->certificates_ = *std::move(certificates);
  absl::StatusOr<SSL_CTX*> ctx = NewQuicSslCtx(options.curves, &context->key_log_);
  if (!ctx.ok()) return ctx.status();
  context->ctx_ = *ctx;

  // Stateless tickets only: no per-session server memory.
  SSL_CTX_set_session_cache_mode(context->ctx_, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_early_data_enabled(context->ctx_, options.enable_early_data ? 1 : 0);
  if (!SSL_CTX_set_num_tickets(context->ctx_, options.num_tickets)) {
    return absl::InvalidArgumentError("SSL_CTX_set_num_tickets");
  }
  if (!options.ticket_keys.empty()) {
    absl::Status status = context->SetTicketKeys(options.ticket_keys);
    if (!status.ok()) return status;
  }
  // The certificate is chosen per handshake, after SNI is known.
  SSL_CTX_set_cert_cb(context->ctx_, &TlsServerContext::SelectCertificateCallback, context.get());
  SSL_CTX_set_alpn_select_cb(context->ctx_, &TlsServerContext::SelectAlpnCallback, context.get());
  return context;
}

TlsServerContext::~TlsServerContext() { SSL_CTX_free(ctx_); }

absl::Status TlsServerContext::SetTicketKeys(absl::Span<const uint8_t> keys) {
  if (keys.size() != kTicketKeysLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("ticket keys must be ", kTicketKeysLength, " bytes"));
  }
  if (!SSL_CTX_set_tlsext_ticket_keys(ctx_, keys.data(), keys.size())) {
    return absl::InternalError("SSL_CTX_set_tlsext_ticket_keys");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<const TlsServerContext::CertificateSet>>
TlsServerContext::LoadCertificates(const CertificateConfig& certificate,
                                   const std::vector<SniCertificate>& sni_certificates) {
  if (sni_certificates.size() > kMaxSniCertificates) {
    return absl::InvalidArgumentError("too many SNI certificates");
  }
  auto set = std::make_shared<CertificateSet>();
  absl::StatusOr<std::shared_ptr<const CertificateChain>> chain = CertificateChain::Load(certificate);
  if (!chain.ok()) return chain.status();
  set->default_chain = *std::move(chain);
  for (const SniCertificate& entry : sni_certificates) {
    std::string name = absl::AsciiStrToLower(entry.server_name);
    if (!ValidSniName(name)) {
      return absl::InvalidArgumentError(absl::StrCat("bad SNI name: ", entry.server_name));
    }
    absl::StatusOr<std::shared_ptr<const CertificateChain>> sni_chain =
        CertificateChain::Load(entry.certificate);
    if (!sni_chain.ok()) {
      return absl::Status(sni_chain.status().code(),
                          absl::StrCat(name, ": ", sni_chain.status().message()));
    }
    if (!set->by_name.emplace(name, *std::move(sni_chain)).second) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate SNI name: ", name));
    }
  }
  return std::shared_ptr<const CertificateSet>(std::move(set));
}

absl::Status TlsServerContext::ReloadCertificates(
    const CertificateConfig& certificate, const std::vector<SniCertificate>& sni_certificates) {
  absl::StatusOr<std::shared_ptr<const CertificateSet>> set =
      LoadCertificates(certificate, sni_certificates);
  if (!set.ok()) return set.status();
  std::lock_guard<std::mutex> lock(mu_);
  certificates_ = *std::move(set);
  return absl::OkStatus();
}

std::shared_ptr<const TlsServerContext::CertificateSet> TlsServerContext::certificates() const {
  std::lock_guard<std::mutex> lock(mu_);
  return certificates_;
}

std::shared_ptr<const CertificateChain> TlsServerContext::SelectChain(
    std::string_view server_name) const {
  std::shared_ptr<const CertificateSet> set = certificates();
  if (server_name.empty() || server_name.size() > kMaxServerNameLength || set->by_name.empty()) {
    return set->default_chain;
  }
  std::string name = absl::AsciiStrToLower(absl::string_view(server_name.data(), server_name.size()));
  auto it = set->by_name.find(name);
  if (it != set->by_name.end()) return it->second;
  size_t dot = name.find('.');
  if (dot != std::string::npos && dot > 0) {
    it = set->by_name.find(absl::StrCat("*", name.substr(dot)));
    if (it != set->by_name.end()) return it->second;
  }
  return set->default_chain;
}

int TlsServerContext::SelectCertificateCallback(SSL* ssl, void* arg) {
  const auto* context = static_cast<const TlsServerContext*>(arg);
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  std::shared_ptr<const CertificateChain> chain =
      context->SelectChain(sni != nullptr ? std::string_view(sni) : std::string_view());
  // SSL_set_chain_and_key takes its own references, so the chain may be reloaded meanwhile.
  return chain != nullptr && chain->ApplyTo(ssl) ? 1 : 0;
}

// RFC 7301 §3.2: the server picks by its own preference among what the client offers; no
// overlap is a fatal no_application_protocol alert (also RFC 9001 §8.1).
int TlsServerContext::SelectAlpnCallback(SSL* /*ssl*/, const uint8_t** out, uint8_t* out_len,
                                         const uint8_t* in, unsigned in_len, void* arg) {
  const auto* context = static_cast<const TlsServerContext*>(arg);
  for (const std::string& ours : context->alpn_) {
    size_t pos = 0;
    while (pos < in_len) {
      size_t len = in[pos];
      ++pos;
      if (len == 0 || len > in_len - pos) return SSL_TLSEXT_ERR_ALERT_FATAL;  // malformed list
      if (len == ours.size() && std::equal(ours.begin(), ours.end(), in + pos)) {
        *out = reinterpret_cast<const uint8_t*>(ours.data());
        *out_len = static_cast<uint8_t>(ours.size());
        return SSL_TLSEXT_ERR_OK;
      }
      pos += len;
    }
  }
  return SSL_TLSEXT_ERR_ALERT_FATAL;
}

}  // namespace kite::tls
