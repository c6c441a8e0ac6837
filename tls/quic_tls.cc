#include "tls/quic_tls.h"

#include <arpa/inet.h>

#include <utility>

#include <openssl/err.h>
#include <openssl/x509.h>

#include "absl/strings/str_cat.h"
#include "tls/quic_tls_error.h"

namespace kite::tls {
namespace {

int QuicTlsIndex() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// ssl_encryption_level_t and EncryptionLevel share their numbering (RFC 9001 §4 order).
EncryptionLevel ToLevel(enum ssl_encryption_level_t level) {
  return static_cast<EncryptionLevel>(level);
}
enum ssl_encryption_level_t ToSslLevel(EncryptionLevel level) {
  return static_cast<enum ssl_encryption_level_t>(level);
}

bool IsIpLiteral(const std::string& name) {
  uint8_t addr[16];
  return inet_pton(AF_INET, name.c_str(), addr) == 1 ||
         inet_pton(AF_INET6, name.c_str(), addr) == 1;
}

std::string ErrorQueueString() {
  uint32_t err = ERR_peek_error();
  if (err == 0) return "no library error";
  const char* reason = ERR_reason_error_string(err);
  const char* lib = ERR_lib_error_string(err);
  return absl::StrCat(lib != nullptr ? lib : "?", ": ", reason != nullptr ? reason : "?");
}

}  // namespace

const SSL_QUIC_METHOD QuicTls::kQuicMethod = {
    &QuicTls::SetReadSecret,  &QuicTls::SetWriteSecret, &QuicTls::AddHandshakeData,
    &QuicTls::FlushFlight,    &QuicTls::SendAlert,
};

QuicTls::QuicTls(SSL* ssl, QuicTlsVisitor* visitor, bool is_server)
    : ssl_(ssl), visitor_(visitor), is_server_(is_server) {}

QuicTls::~QuicTls() { SSL_free(ssl_); }

QuicTls* QuicTls::FromSsl(const SSL* ssl) {
  return static_cast<QuicTls*>(SSL_get_ex_data(ssl, QuicTlsIndex()));
}

absl::StatusOr<std::unique_ptr<QuicTls>> QuicTls::NewConnection(
    SSL_CTX* ctx, QuicTlsVisitor* visitor, bool is_server, absl::Span<const uint8_t> params) {
  if (visitor == nullptr) return absl::InvalidArgumentError("visitor is required");
  // RFC 9001 §8.2: the extension is mandatory in both directions.
  if (params.empty()) return absl::InvalidArgumentError("transport parameters are required");
  if (QuicTlsIndex() < 0) return TlsInternalError("SSL_get_ex_new_index");
  SSL* ssl = SSL_new(ctx);
  if (ssl == nullptr) return TlsInternalError("SSL_new");
  std::unique_ptr<QuicTls> tls(new QuicTls(ssl, visitor, is_server));
  if (!SSL_set_ex_data(ssl, QuicTlsIndex(), tls.get()) ||
      !SSL_set_quic_method(ssl, &kQuicMethod) ||
      !SSL_set_quic_transport_params(ssl, params.data(), params.size())) {
    return TlsInternalError(absl::StrCat("SSL setup: ", ErrorQueueString()));
  }
  if (is_server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
  }
  return tls;
}

absl::StatusOr<std::unique_ptr<QuicTls>> QuicTls::CreateClient(
    TlsClientContext& context, QuicTlsVisitor* visitor, std::string server_name,
    std::vector<uint8_t> local_transport_params, std::vector<uint8_t> session_to_resume) {
  if (server_name.size() > kMaxServerNameLength ||
      server_name.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError("server name too long or holds a NUL");
  }
  if (context.verify_peer() && server_name.empty()) {
    return absl::InvalidArgumentError("verify_peer needs a server name to check");
  }
  ERR_clear_error();
  absl::StatusOr<std::unique_ptr<QuicTls>> tls =
      NewConnection(context.ssl_ctx(), visitor, /*is_server=*/false, local_transport_params);
  if (!tls.ok()) return tls.status();
  SSL* ssl = (*tls)->ssl_;
  (*tls)->client_server_name_ = server_name;

  absl::Span<const uint8_t> alpn = context.alpn_wire();
  // Inverted convention: SSL_set_alpn_protos returns 0 on success.
  if (SSL_set_alpn_protos(ssl, alpn.data(), alpn.size()) != 0) {
    return TlsInternalError("SSL_set_alpn_protos");
  }
  bool ip_literal = IsIpLiteral(server_name);
  // RFC 6066 §3: literal IP addresses are not sent as SNI.
  if (!server_name.empty() && !ip_literal &&
      !SSL_set_tlsext_host_name(ssl, server_name.c_str())) {
    return absl::InvalidArgumentError(absl::StrCat("bad server name: ", server_name));
  }
  if (context.verify_peer()) {
    X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
    int ok = ip_literal ? X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str())
                        : SSL_set1_host(ssl, server_name.c_str());
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad server name: ", server_name));
  }
  if (!session_to_resume.empty()) {
    bssl::UniquePtr<SSL_SESSION> session(SSL_SESSION_from_bytes(
        session_to_resume.data(), session_to_resume.size(), context.ssl_ctx()));
    if (!session) {
      ERR_clear_error();
      return absl::InvalidArgumentError("session_to_resume does not parse");
    }
    if (!SSL_set_session(ssl, session.get())) return TlsInternalError("SSL_set_session");
  }
  return tls;
}

absl::StatusOr<std::unique_ptr<QuicTls>> QuicTls::CreateServer(
    TlsServerContext& context, QuicTlsVisitor* visitor,
    std::vector<uint8_t> local_transport_params, std::vector<uint8_t> early_data_context) {
  if (context.early_data_enabled() && early_data_context.empty()) {
    return absl::InvalidArgumentError("early data needs a non-empty early_data_context");
  }
  ERR_clear_error();
  absl::StatusOr<std::unique_ptr<QuicTls>> tls =
      NewConnection(context.ssl_ctx(), visitor, /*is_server=*/true, local_transport_params);
  if (!tls.ok()) return tls.status();
  if (!early_data_context.empty() &&
      !SSL_set_quic_early_data_context((*tls)->ssl_, early_data_context.data(),
                                       early_data_context.size())) {
    return TlsInternalError("SSL_set_quic_early_data_context");
  }
  return tls;
}

absl::Status QuicTls::Start() {
  if (!error_.ok()) return error_;
  if (started_) return absl::FailedPreconditionError("QuicTls::Start called twice");
  started_ = true;
  return Advance();
}

size_t QuicTls::MaxBufferedCryptoBytes(EncryptionLevel level) const {
  // BoringSSL's bound on one level's unprocessed handshake bytes: 16 KiB, except a client's
  // Handshake level which must hold a large certificate chain.
  return SSL_quic_max_handshake_flight_len(ssl_, ToSslLevel(level));
}

size_t QuicTls::buffered_crypto_bytes(EncryptionLevel level) const {
  return queued_[static_cast<size_t>(level)].size();
}

absl::Status QuicTls::ProvideData(EncryptionLevel level, absl::Span<const uint8_t> data) {
  if (!error_.ok()) return error_;
  if (static_cast<size_t>(level) >= static_cast<size_t>(kNumEncryptionLevels)) {
    return Fail(TlsInternalError("bad encryption level"));
  }
  // RFC 9000 §12.4 (Table 3): CRYPTO frames never travel in 0-RTT packets.
  if (level == EncryptionLevel::kEarlyData) {
    return Fail(TlsProtocolViolationError("CRYPTO data in 0-RTT"));
  }
  // A client's first bytes must follow its ClientHello; a server needs no Start().
  if (!is_server_ && !started_) {
    return absl::FailedPreconditionError("QuicTls::Start must precede ProvideData on a client");
  }
  if (data.empty()) return absl::OkStatus();
  EncryptionLevel read_level = ToLevel(SSL_quic_read_level(ssl_));
  if (level < read_level) {
    // RFC 9001 §4.1.3: a finished level may only repeat data already received, which the
    // connection's reassembly drops; anything new is a violation.
    return Fail(TlsProtocolViolationError(
        absl::StrCat("CRYPTO data at ", EncryptionLevelName(level), " after TLS moved to ",
                     EncryptionLevelName(read_level))));
  }
  if (level > read_level) {
    std::vector<uint8_t>& queue = queued_[static_cast<size_t>(level)];
    if (data.size() > MaxBufferedCryptoBytes(level) - queue.size()) {
      return Fail(CryptoBufferExceededError(
          absl::StrCat("more than ", MaxBufferedCryptoBytes(level), " bytes queued at ",
                       EncryptionLevelName(level))));
    }
    queue.insert(queue.end(), data.begin(), data.end());
    return absl::OkStatus();
  }
  absl::Status status = Provide(level, data);
  if (!status.ok()) return Fail(status);
  return Advance();
}

absl::Status QuicTls::Provide(EncryptionLevel level, absl::Span<const uint8_t> data) {
  ERR_clear_error();
  if (SSL_provide_quic_data(ssl_, ToSslLevel(level), data.data(), data.size()) == 1) {
    return absl::OkStatus();
  }
  uint32_t err = ERR_peek_error();
  ERR_clear_error();
  if (ERR_GET_LIB(err) == ERR_LIB_SSL && ERR_GET_REASON(err) == SSL_R_EXCESSIVE_MESSAGE_SIZE) {
    return CryptoBufferExceededError(absl::StrCat("more than ", MaxBufferedCryptoBytes(level),
                                                  " unprocessed bytes at ",
                                                  EncryptionLevelName(level)));
  }
  return TlsProtocolViolationError(
      absl::StrCat("TLS refused CRYPTO data at ", EncryptionLevelName(level)));
}

absl::Status QuicTls::Advance() {
  for (;;) {
    absl::Status status = DriveOnce();
    if (!status.ok()) return Fail(status);
    // Keys for a new read level may have been installed: feed what waited for them.
    EncryptionLevel read_level = ToLevel(SSL_quic_read_level(ssl_));
    std::vector<uint8_t>& queue = queued_[static_cast<size_t>(read_level)];
    if (queue.empty()) return absl::OkStatus();
    std::vector<uint8_t> data = std::move(queue);
    queue.clear();
    status = Provide(read_level, data);
    if (!status.ok()) return Fail(status);
  }
}

absl::Status QuicTls::DriveOnce() {
  ERR_clear_error();
  if (!SSL_in_init(ssl_)) {
    // Post-handshake messages (NewSessionTicket, RFC 8446 §4.6.1).
    if (SSL_process_quic_post_handshake(ssl_) == 1) return absl::OkStatus();
    return TlsFailure("post-handshake message");
  }
  for (;;) {
    int rv = SSL_do_handshake(ssl_);
    // 1: done, or an early return with 0-RTT keys (SSL_in_init stays true until Finished).
    if (rv == 1) return absl::OkStatus();
    int err = SSL_get_error(ssl_, rv);
    if (err == SSL_ERROR_WANT_READ) return absl::OkStatus();
    if (err == SSL_ERROR_EARLY_DATA_REJECTED) {
      // RFC 9001 §4.6.2: the handshake goes on in 1-RTT; the connection drops its 0-RTT keys.
      early_data_rejected_ = true;
      visitor_->OnEarlyDataRejected();
      SSL_reset_early_data_reject(ssl_);
      continue;
    }
    return TlsFailure(absl::StrCat("handshake failed (SSL_get_error ", err, ")"));
  }
}

absl::Status QuicTls::TlsFailure(const std::string& what) {
  std::string reason = absl::StrCat(what, ": ", ErrorQueueString());
  // Certificate alerts (RFC 8446 §6.2: bad_certificate .. unknown_ca): say why.
  if (alert_.has_value() && *alert_ >= kAlertBadCertificate && *alert_ <= kAlertUnknownCa &&
      SSL_get_verify_result(ssl_) != X509_V_OK) {
    absl::StrAppend(&reason, " (certificate: ",
                    X509_verify_cert_error_string(SSL_get_verify_result(ssl_)), ")");
  }
  ERR_clear_error();
  // RFC 9001 §4.8: the alert TLS chose becomes CRYPTO_ERROR 0x100 + alert.
  if (alert_.has_value()) {
    return TlsAlertError(*alert_, absl::StrCat(SSL_alert_desc_string_long(*alert_), ": ", reason));
  }
  return TlsInternalError(reason);
}

absl::Status QuicTls::Fail(absl::Status status) {
  if (error_.ok()) error_ = status;
  return error_;
}

// ---- SSL_QUIC_METHOD ----

int QuicTls::SetReadSecret(SSL* ssl, enum ssl_encryption_level_t level, const SSL_CIPHER* cipher,
                           const uint8_t* secret, size_t secret_len) {
  QuicTls* tls = FromSsl(ssl);
  if (tls == nullptr) return 0;
  tls->visitor_->OnSecret(ToLevel(level), Direction::kRead,
                          static_cast<uint16_t>(SSL_CIPHER_get_protocol_id(cipher)),
                          absl::MakeConstSpan(secret, secret_len));
  return 1;
}

int QuicTls::SetWriteSecret(SSL* ssl, enum ssl_encryption_level_t level,
                            const SSL_CIPHER* cipher, const uint8_t* secret, size_t secret_len) {
  QuicTls* tls = FromSsl(ssl);
  if (tls == nullptr) return 0;
  if (level == ssl_encryption_early_data) tls->early_write_key_installed_ = true;
  tls->visitor_->OnSecret(ToLevel(level), Direction::kWrite,
                          static_cast<uint16_t>(SSL_CIPHER_get_protocol_id(cipher)),
                          absl::MakeConstSpan(secret, secret_len));
  return 1;
}

int QuicTls::AddHandshakeData(SSL* ssl, enum ssl_encryption_level_t level, const uint8_t* data,
                              size_t len) {
  QuicTls* tls = FromSsl(ssl);
  if (tls == nullptr) return 0;
  tls->visitor_->OnHandshakeData(ToLevel(level), absl::MakeConstSpan(data, len));
  return 1;
}

int QuicTls::FlushFlight(SSL* /*ssl*/) {
  // The connection sends when Start/ProvideData returns; nothing is held here.
  return 1;
}

int QuicTls::SendAlert(SSL* ssl, enum ssl_encryption_level_t level, uint8_t alert) {
  QuicTls* tls = FromSsl(ssl);
  if (tls == nullptr) return 0;
  if (!tls->alert_.has_value()) tls->alert_ = alert;
  tls->visitor_->OnAlert(ToLevel(level), alert);
  return 1;
}

int QuicTls::NewSession(SSL* ssl, SSL_SESSION* session) {
  QuicTls* tls = FromSsl(ssl);
  if (tls == nullptr) return 0;
  uint8_t* bytes = nullptr;
  size_t len = 0;
  if (!SSL_SESSION_to_bytes(session, &bytes, &len)) {
    ERR_clear_error();
    return 0;
  }
  std::vector<uint8_t> serialized(bytes, bytes + len);
  OPENSSL_free(bytes);
  tls->visitor_->OnNewSession(std::move(serialized));
  return 0;  // we did not keep a reference to `session`
}

// ---- queries ----

bool QuicTls::handshake_complete() const { return !SSL_in_init(ssl_); }

std::string_view QuicTls::alpn() const {
  const uint8_t* data = nullptr;
  unsigned len = 0;
  SSL_get0_alpn_selected(ssl_, &data, &len);
  if (data == nullptr) return {};
  return std::string_view(reinterpret_cast<const char*>(data), len);
}

uint16_t QuicTls::cipher_suite() const {
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl_);
  return cipher != nullptr ? static_cast<uint16_t>(SSL_CIPHER_get_protocol_id(cipher)) : 0;
}

uint16_t QuicTls::group_id() const { return SSL_get_curve_id(ssl_); }

std::string_view QuicTls::group_name() const {
  const char* name = SSL_get_curve_name(SSL_get_curve_id(ssl_));
  return name != nullptr ? std::string_view(name) : std::string_view();
}

std::string_view QuicTls::server_name() const {
  if (!is_server_) return client_server_name_;
  const char* name = SSL_get_servername(ssl_, TLSEXT_NAMETYPE_host_name);
  return name != nullptr ? std::string_view(name) : std::string_view();
}

absl::Span<const uint8_t> QuicTls::peer_transport_params() const {
  const uint8_t* params = nullptr;
  size_t len = 0;
  SSL_get_peer_quic_transport_params(ssl_, &params, &len);
  if (params == nullptr) return {};
  return absl::MakeConstSpan(params, len);
}

bool QuicTls::is_resumed() const { return SSL_session_reused(ssl_) == 1; }

bool QuicTls::early_data_attempted() const {
  if (!is_server_) return early_write_key_installed_;
  // A server learns it only through the reason it records for the ClientHello.
  switch (SSL_get_early_data_reason(ssl_)) {
    case ssl_early_data_unknown:
    case ssl_early_data_disabled:
    case ssl_early_data_protocol_version:
    case ssl_early_data_peer_declined:
    case ssl_early_data_no_session_offered:
      return false;
    default:
      return true;
  }
}

bool QuicTls::early_data_accepted() const { return SSL_early_data_accepted(ssl_) == 1; }

std::string_view QuicTls::early_data_reason() const {
  const char* reason = SSL_early_data_reason_string(SSL_get_early_data_reason(ssl_));
  return reason != nullptr ? std::string_view(reason) : std::string_view("unknown");
}

std::vector<std::vector<uint8_t>> QuicTls::PeerCertificateChainDer() const {
  std::vector<std::vector<uint8_t>> out;
  const STACK_OF(CRYPTO_BUFFER)* chain = SSL_get0_peer_certificates(ssl_);
  if (chain == nullptr) return out;
  for (size_t i = 0; i < sk_CRYPTO_BUFFER_num(chain); ++i) {
    const CRYPTO_BUFFER* cert = sk_CRYPTO_BUFFER_value(chain, i);
    const uint8_t* data = CRYPTO_BUFFER_data(cert);
    out.emplace_back(data, data + CRYPTO_BUFFER_len(cert));
  }
  return out;
}

}  // namespace kite::tls
