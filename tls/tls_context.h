// TLS 1.3 contexts for QUIC (RFC 9001 §4.2: TLS 1.3 or later only): one SSL_CTX per endpoint
// configuration, shared by every connection created from it. A context must outlive every
// QuicTls created from it.
#ifndef KITE_TLS_TLS_CONTEXT_H_
#define KITE_TLS_TLS_CONTEXT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/base.h>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "tls/certificate_chain.h"
#include "tls/key_log.h"

namespace kite::tls {

// RFC 7301 §3.1: a protocol name is 1..255 bytes.
inline constexpr size_t kMaxAlpnProtocolLength = 255;
inline constexpr size_t kMaxAlpnProtocols = 32;
// SSL_CTX_set_tlsext_ticket_keys takes exactly this much: name, HMAC key, AES key.
inline constexpr size_t kTicketKeysLength = 48;
// BoringSSL caps tickets sent per handshake at 16.
inline constexpr size_t kMaxTicketsPerHandshake = 16;
// RFC 6066 §3: HostName is at most 255 bytes... plus DNS limits; the same bound for SNI entries.
inline constexpr size_t kMaxServerNameLength = 255;
inline constexpr size_t kMaxSniCertificates = 1024;

struct ClientOptions {
  std::vector<std::string> alpn;  // required, preference order
  bool verify_peer = true;
  // Trust anchors: PEM text (each string may hold several certificates) and/or a PEM bundle
  // file (e.g. /etc/ssl/certs/ca-certificates.crt). verify_peer requires at least one.
  std::vector<std::string> trusted_certificates_pem;
  std::string trusted_certificates_file;
  bool enable_early_data = false;
  std::string curves;  // BoringSSL curve list, e.g. "X25519:P-256"; empty: library default
  KeyLogSink key_log;  // optional
};

struct SniCertificate {
  std::string server_name;  // exact host name, or "*.example.com" for one label
  CertificateConfig certificate;
};

struct ServerOptions {
  CertificateConfig certificate;  // used when no SNI entry matches
  std::vector<SniCertificate> sni_certificates;
  std::vector<std::string> alpn;  // required; the server picks its first one the client offers
  // 0-RTT: tickets allow early data; each server QuicTls must then set an early-data context.
  bool enable_early_data = false;
  // kTicketKeysLength bytes shared by a server fleet; empty: BoringSSL's own rotating keys.
  std::vector<uint8_t> ticket_keys;
  size_t num_tickets = 2;  // NewSessionTicket messages per handshake, up to kMaxTicketsPerHandshake
  std::string curves;
  KeyLogSink key_log;
};

// Encodes a list of protocol names as the ALPN wire format (RFC 7301 §3.1), validating it.
absl::StatusOr<std::vector<uint8_t>> EncodeAlpnList(const std::vector<std::string>& protocols);

class TlsClientContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsClientContext>> Create(ClientOptions options);
  ~TlsClientContext();
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;

  SSL_CTX* ssl_ctx() const { return ctx_; }
  absl::Span<const uint8_t> alpn_wire() const { return alpn_wire_; }
  bool verify_peer() const { return verify_peer_; }
  bool early_data_enabled() const { return early_data_enabled_; }

 private:
  TlsClientContext() = default;

  SSL_CTX* ctx_ = nullptr;  // owned
  std::vector<uint8_t> alpn_wire_;
  bool verify_peer_ = true;
  bool early_data_enabled_ = false;
  KeyLogSink key_log_;
};

class TlsServerContext {
 public:
  static absl::StatusOr<std::unique_ptr<TlsServerContext>> Create(ServerOptions options);
  ~TlsServerContext();
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // Replaces the ticket encryption keys (rotation). Tickets sealed under the old keys then no
  // longer resume: those clients fall back to a full handshake.
  absl::Status SetTicketKeys(absl::Span<const uint8_t> keys);

  // Replaces the default and SNI certificates for handshakes that start afterwards; ongoing
  // handshakes keep what they selected. On error nothing changes.
  absl::Status ReloadCertificates(const CertificateConfig& certificate,
                                  const std::vector<SniCertificate>& sni_certificates);

  SSL_CTX* ssl_ctx() const { return ctx_; }
  bool early_data_enabled() const { return early_data_enabled_; }

 private:
  struct CertificateSet {
    std::shared_ptr<const CertificateChain> default_chain;
    absl::flat_hash_map<std::string, std::shared_ptr<const CertificateChain>> by_name;
  };

  TlsServerContext() = default;
  static absl::StatusOr<std::shared_ptr<const CertificateSet>> LoadCertificates(
      const CertificateConfig& certificate, const std::vector<SniCertificate>& sni_certificates);
  std::shared_ptr<const CertificateSet> certificates() const;
  // The chain for a client's SNI (nullptr-safe: empty name selects the default).
  std::shared_ptr<const CertificateChain> SelectChain(std::string_view server_name) const;

  static int SelectCertificateCallback(SSL* ssl, void* arg);
  static int SelectAlpnCallback(SSL* ssl, const uint8_t** out, uint8_t* out_len,
                                const uint8_t* in, unsigned in_len, void* arg);

  SSL_CTX* ctx_ = nullptr;  // owned
  std::vector<std::string> alpn_;
  bool early_data_enabled_ = false;
  KeyLogSink key_log_;
  mutable std::mutex mu_;
  std::shared_ptr<const CertificateSet> certificates_;  // guarded by mu_
};

}  // namespace kite::tls

#endif  // KITE_TLS_TLS_CONTEXT_H_
