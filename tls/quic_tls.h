// The BoringSSL QUIC-method bridge (RFC 9001 §4): one QuicTls per connection moves handshake
// bytes between TLS and the connection's CRYPTO streams and hands out traffic secrets. It
// derives no packet keys: the connection does that from OnSecret.
//
// Not thread-safe; one connection drives it. Visitor callbacks run synchronously inside Start()
// and ProvideData() and must not call back into the same QuicTls.
#ifndef KITE_TLS_QUIC_TLS_H_
#define KITE_TLS_QUIC_TLS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/ssl.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tls/encryption_level.h"
#include "tls/tls_context.h"

namespace kite::tls {

enum class Direction : uint8_t { kRead, kWrite };

// What the connection implements.
class QuicTlsVisitor {
 public:
  virtual ~QuicTlsVisitor() = default;

  // A traffic secret for `level` (RFC 9001 §5.1). Write keys for a level always arrive before
  // its read keys. `cipher_suite` is the TLS 1.3 suite id (0x1301, 0x1302, 0x1303); `secret` is
  // valid only during the call.
  virtual void OnSecret(EncryptionLevel level, Direction direction, uint16_t cipher_suite,
                        absl::Span<const uint8_t> secret) = 0;
  // Handshake bytes to send in CRYPTO frames at `level`, in order (RFC 9001 §4.1.3).
  virtual void OnHandshakeData(EncryptionLevel level, absl::Span<const uint8_t> data) = 0;
  // TLS is sending a fatal alert: close with CRYPTO_ERROR 0x100 + alert (RFC 9001 §4.8).
  virtual void OnAlert(EncryptionLevel level, uint8_t alert) = 0;
  // Client: a ticket arrived; the serialized session resumes a later connection.
  virtual void OnNewSession(std::vector<uint8_t> serialized_session) = 0;
  // Client: the server rejected 0-RTT. Discard 0-RTT keys and resend that data in 1-RTT
  // (RFC 9001 §4.6.2); the handshake goes on.
  virtual void OnEarlyDataRejected() = 0;
};

class QuicTls {
 public:
  // `session_to_resume` is what OnNewSession delivered earlier (empty: full handshake).
  static absl::StatusOr<std::unique_ptr<QuicTls>> CreateClient(
      TlsClientContext& context, QuicTlsVisitor* visitor, std::string server_name,
      std::vector<uint8_t> local_transport_params,
      std::vector<uint8_t> session_to_resume = {});
  // `early_data_context` (RFC 9001 §4.6.1: transport parameters and application settings such
  // as the HTTP/3 SETTINGS) must be non-empty when the context enables early data; 0-RTT is
  // rejected when it differs from the context of the connection that issued the ticket.
  static absl::StatusOr<std::unique_ptr<QuicTls>> CreateServer(
      TlsServerContext& context, QuicTlsVisitor* visitor,
      std::vector<uint8_t> local_transport_params, std::vector<uint8_t> early_data_context);

  ~QuicTls();
  QuicTls(const QuicTls&) = delete;
  QuicTls& operator=(const QuicTls&) = delete;

  // Client: produces the ClientHello (and 0-RTT write keys when resuming a session that allows
  // early data); required before ProvideData. Server: optional, nothing happens until the
  // ClientHello arrives. Call at most once.
  absl::Status Start();

  // In-order CRYPTO stream bytes received at `level` (the connection reassembles offsets).
  // Data for a level TLS cannot read yet is queued, up to MaxBufferedCryptoBytes(level).
  // Errors carry a TlsErrorKind (tls/quic_tls_error.h); once failed, it stays failed.
  absl::Status ProvideData(EncryptionLevel level, absl::Span<const uint8_t> data);

  // RFC 9000 §7.5: the bound on unprocessed CRYPTO data held for `level`.
  size_t MaxBufferedCryptoBytes(EncryptionLevel level) const;
  size_t buffered_crypto_bytes(EncryptionLevel level) const;

  bool is_server() const { return is_server_; }
  bool handshake_complete() const;
  std::optional<uint8_t> alert() const { return alert_; }
  std::string_view alpn() const;
  uint16_t cipher_suite() const;  // 0 before negotiation
  uint16_t group_id() const;      // TLS NamedGroup (29 = X25519); 0 before negotiation
  std::string_view group_name() const;
  // Client: the name it was created with. Server: the SNI received ("" if none).
  std::string_view server_name() const;
  absl::Span<const uint8_t> peer_transport_params() const;
  bool is_resumed() const;
  bool early_data_attempted() const;
  bool early_data_accepted() const;
  bool early_data_rejected() const { return early_data_rejected_; }
  std::string_view early_data_reason() const;
  // The peer's certificate chain, leaf first, DER.
  std::vector<std::vector<uint8_t>> PeerCertificateChainDer() const;

 private:
  friend class TlsClientContext;  // installs NewSession as the context's new-session callback

  QuicTls(SSL* ssl, QuicTlsVisitor* visitor, bool is_server);
  static absl::StatusOr<std::unique_ptr<QuicTls>> NewConnection(SSL_CTX* ctx,
                                                                 QuicTlsVisitor* visitor,
                                                                 bool is_server,
                                                                 absl::Span<const uint8_t> params);
  static QuicTls* FromSsl(const SSL* ssl);

  // SSL_QUIC_METHOD and session callbacks.
  static int SetReadSecret(SSL* ssl, enum ssl_encryption_level_t level, const SSL_CIPHER* cipher,
                           const uint8_t* secret, size_t secret_len);
  static int SetWriteSecret(SSL* ssl, enum ssl_encryption_level_t level,
                            const SSL_CIPHER* cipher, const uint8_t* secret, size_t secret_len);
  static int AddHandshakeData(SSL* ssl, enum ssl_encryption_level_t level, const uint8_t* data,
                              size_t len);
  static int FlushFlight(SSL* ssl);
  static int SendAlert(SSL* ssl, enum ssl_encryption_level_t level, uint8_t alert);
  static int NewSession(SSL* ssl, SSL_SESSION* session);
  static const SSL_QUIC_METHOD kQuicMethod;

  // Runs the handshake (or post-handshake processing) as far as the provided data allows and
  // feeds queued data whenever the read level advances.
  absl::Status Advance();
  absl::Status DriveOnce();
  absl::Status Provide(EncryptionLevel level, absl::Span<const uint8_t> data);
  absl::Status TlsFailure(const std::string& what);
  absl::Status Fail(absl::Status status);

  SSL* ssl_;  // owned
  QuicTlsVisitor* visitor_;
  bool is_server_;
  std::string client_server_name_;
  bool started_ = false;
  bool early_write_key_installed_ = false;
  bool early_data_rejected_ = false;
  std::optional<uint8_t> alert_;
  absl::Status error_;  // sticky first failure
  std::array<std::vector<uint8_t>, kNumEncryptionLevels> queued_;
};

}  // namespace kite::tls

#endif  // KITE_TLS_QUIC_TLS_H_
