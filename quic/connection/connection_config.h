// Configuration of one QUIC connection: plain values with documented defaults.
#ifndef KITE_QUIC_CONNECTION_CONNECTION_CONFIG_H_
#define KITE_QUIC_CONNECTION_CONNECTION_CONFIG_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "quic/codec/packet_type.h"
#include "quic/connection/connection_id_manager.h"

namespace kite::quic {

class ConnectionObserver;

// Bound on the address tokens a connection sends or accepts (RFC 9000 §19.7 sets none; kite's
// own are under 64 bytes, and a client's Initial must still fit its ClientHello).
inline constexpr size_t kMaxAddressTokenLength = 512;

struct ConnectionConfig {
  // QUIC version to start with (client) or accept (server): kQuicVersion1 or kQuicVersion2.
  uint32_t version = kQuicVersion1;
  // Length of the connection IDs we issue (the server dispatches on them).
  size_t local_cid_length = 8;
  // Optional: makes the IDs we issue and their stateless reset tokens (a server's I/O layer
  // encodes the worker in the ID and derives tokens from its static key). Default: random.
  ConnectionIdGenerator connection_id_generator;

  // Transport parameters we advertise (RFC 9000 §18.2).
  absl::Duration max_idle_timeout = absl::Seconds(30);
  uint64_t initial_max_data = 1 << 20;
  uint64_t initial_max_stream_data_bidi_local = 256 << 10;
  uint64_t initial_max_stream_data_bidi_remote = 256 << 10;
  uint64_t initial_max_stream_data_uni = 256 << 10;
  uint64_t initial_max_streams_bidi = 100;
  uint64_t initial_max_streams_uni = 100;
  uint8_t ack_delay_exponent = 3;
  absl::Duration max_ack_delay = absl::Milliseconds(25);
  uint64_t max_udp_payload_size = 1472;
  // RFC 9221: 0 disables DATAGRAM frames.
  uint64_t max_datagram_frame_size = 0;
  bool disable_active_migration = false;
  // Receive-window auto-tuning caps (RFC 9000 §4.2 leaves the policy to us).
  uint64_t max_connection_receive_window = 24 << 20;
  uint64_t max_stream_receive_window = 16 << 20;

  // Datagram size we send (RFC 9000 §14: at least 1200; no PMTU discovery yet).
  size_t max_datagram_size = 1200;
  // Congestion controller by registry name (congestion/registry.h).
  std::string congestion_controller = "newreno";
  absl::Duration initial_rtt = absl::Milliseconds(333);
  // Adaptive packet/time reordering thresholds (quic/recovery RecoveryConfig): raised when a
  // loss proves spurious. Off: RFC 9002's fixed kPacketThreshold and kTimeThreshold.
  bool adaptive_reordering = true;
  // RFC 9000 §13.4: mark packets ECT(0) and report received ECN counts; marking stops by
  // itself if the path fails ECN validation (§13.4.2).
  bool enable_ecn = true;
  // Packets per 1-RTT key phase before we initiate a key update (0 = only when asked).
  uint64_t key_update_interval_packets = 0;

  // Client only.
  std::string server_name = "localhost";
  // A session from an earlier connection (ConnectionEvent::kNewSessionTicket). Enables 0-RTT
  // when the TLS context allows early data.
  std::vector<uint8_t> resumption_session;
  // A token from a NEW_TOKEN frame of an earlier connection to this server
  // (ConnectionEvent::kNewToken), put in our Initial packets so the server can skip address
  // validation (RFC 9000 §8.1.3). Ignored when longer than kMaxAddressTokenLength; a Retry's
  // token replaces it.
  std::vector<uint8_t> address_token;

  // Server only: application state that 0-RTT depends on (e.g. the HTTP/3 SETTINGS,
  // RFC 9114 §7.2.4.2). It joins the TLS early-data context, so a ticket issued under other
  // values makes the server refuse 0-RTT.
  std::vector<uint8_t> early_data_application_context;
  // Server only: the I/O layer already validated the client's address (a valid NEW_TOKEN token
  // in its Initial, RFC 9000 §8.1.3), so the anti-amplification limit (§8.1) does not apply.
  bool address_validated = false;

  // Optional; must outlive the connection.
  ConnectionObserver* observer = nullptr;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_CONNECTION_CONFIG_H_
