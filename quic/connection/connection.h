// A QUIC connection as a sans-I/O state machine (RFC 9000, 9001, 9002; RFC 9369 for v2).
//
// Feed it datagrams with their arrival time and path (OnDatagram), pull datagrams to send
// (PollTransmit), ask when it next needs attention (NextDeadline) and tell it when that time
// has come (OnTimeout). It never reads a clock, opens a socket or starts a thread: every time is
// a parameter and randomness is injected, so a run replays exactly. Application-facing
// happenings queue up as ConnectionEvents (PollEvent); streams are read and written through
// the stream methods.
#ifndef KITE_QUIC_CONNECTION_CONNECTION_H_
#define KITE_QUIC_CONNECTION_CONNECTION_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "quic/codec/connection_id.h"
#include "quic/codec/frames.h"
#include "quic/codec/packet_header.h"
#include "quic/codec/packet_type.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/transport_parameters.h"
#include "quic/connection/connection_config.h"
#include "quic/connection/connection_event.h"
#include "quic/connection/connection_id_manager.h"
#include "quic/connection/connection_observer.h"
#include "quic/connection/sent_packet_record.h"
#include "quic/connection/sent_packet_record_store.h"
#include "quic/connection/socket_address.h"
#include "quic/recovery/ack_tracker.h"
#include "quic/recovery/loss_detection.h"
#include "quic/scheduler/stream_scheduler.h"
#include "quic/streams/recv_buffer.h"
#include "quic/streams/send_buffer.h"
#include "quic/streams/stream_manager.h"
#include "congestion/registry.h"
#include "tls/encryption_level.h"
#include "tls/packet_protector.h"
#include "tls/quic_tls.h"
#include "tls/tls_context.h"

namespace kite::quic {

// One datagram to send: its length in the caller's buffer and where it goes.
struct Transmit {
  size_t size = 0;
  NetworkPath path;
  // The IP ECN codepoint to send the datagram with (RFC 9000 §13.4).
  EcnCodepoint ecn = EcnCodepoint::kNotEct;
};

struct ConnectionStats {
  uint64_t packets_sent = 0;
  uint64_t packets_received = 0;
  uint64_t packets_lost = 0;
  uint64_t packets_dropped = 0;
  uint64_t bytes_sent = 0;
  uint64_t bytes_received = 0;
  uint64_t stream_bytes_sent = 0;
  uint64_t stream_bytes_retransmitted = 0;
  uint64_t key_updates = 0;
  // Client: handshake flights sent before completion (the first ack-eliciting Initial or
  // Handshake datagram after each datagram received); 1 normally, 2 after a Retry.
  uint64_t handshake_round_trips = 0;
  uint64_t zero_rtt_packets_sent = 0;
  uint64_t path_challenges_sent = 0;
  uint64_t paths_validated = 0;
  uint64_t path_validation_failures = 0;
  uint64_t migrations = 0;  // peer address changes followed (server) or started (client)
  uint64_t ecn_ce_received = 0;
};

class Connection : public tls::QuicTlsVisitor {
 public:
  // A client connection; its first flight is ready to PollTransmit at once.
  static absl::StatusOr<std::unique_ptr<Connection>> Connect(const ConnectionConfig& config,
                                                             tls::TlsClientContext& tls,
                                                             const NetworkPath& path,
                                                             absl::Time now, RandomBytes random);
  // A server connection for a client Initial (`header` parsed from `datagram`). The datagram is
  // processed at once. `retry_source_cid`/`original_dcid` are set when this server sent a Retry
  // and the Initial carried a valid token (RFC 9000 §7.3).
  static absl::StatusOr<std::unique_ptr<Connection>> Accept(
      const ConnectionConfig& config, tls::TlsServerContext& tls, const PacketHeader& header,
      const NetworkPath& path, absl::Time now, RandomBytes random,
      std::optional<ConnectionId> original_dcid = std::nullopt,
      std::optional<ConnectionId> retry_source_cid = std::nullopt);

  ~Connection() override;
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // --- The sans-I/O core ---
  // `ecn` is the IP ECN codepoint the datagram arrived with, where the I/O layer can read it.
  void OnDatagram(absl::Time now, const NetworkPath& path, absl::Span<const uint8_t> datagram,
                  EcnCodepoint ecn = EcnCodepoint::kNotEct);
  // The same for a caller that owns the bytes and is done with them: header protection is
  // removed in place, sparing the copy OnDatagram makes. `datagram`'s content is unspecified
  // afterwards.
  void OnDatagramInPlace(absl::Time now, const NetworkPath& path, absl::Span<uint8_t> datagram,
                         EcnCodepoint ecn = EcnCodepoint::kNotEct);
  // Writes at most one datagram (possibly several coalesced packets) into `out`.
  std::optional<Transmit> PollTransmit(absl::Time now, absl::Span<uint8_t> out);
  // When OnTimeout must next be called; nullopt once the connection is terminated.
  std::optional<absl::Time> NextDeadline() const;
  void OnTimeout(absl::Time now);
  std::optional<ConnectionEvent> PollEvent();

  // --- Streams ---
  absl::StatusOr<uint64_t> OpenStream(bool bidirectional);
  // Queues data; the connection copies it. Fails on a receive-only or finished stream.
  absl::Status WriteStream(uint64_t stream_id, absl::Span<const uint8_t> data, bool fin);
  // Reads in order; `*fin` is set once everything through the FIN has been read.
  absl::StatusOr<size_t> ReadStream(uint64_t stream_id, uint8_t* dst, size_t max, bool* fin);
  absl::Status ResetStream(uint64_t stream_id, uint64_t application_error_code);
  absl::Status StopSending(uint64_t stream_id, uint64_t application_error_code);
  absl::Status SetStreamPriority(uint64_t stream_id, uint8_t urgency, bool incremental);
  // Bytes written to the stream and not yet acknowledged (for application backpressure).
  uint64_t StreamBufferedBytes(uint64_t stream_id) const;

  // Server: whether any of the stream's data arrived in 0-RTT packets (RFC 9114 §10.9 and
  // RFC 8470: an application answers unsafe early requests with 425 Too Early).
  bool StreamReceivedInEarlyData(uint64_t stream_id) const {
    return early_data_streams_.contains(stream_id);
  }

  // --- Resumption state for the application (RFC 9000 §7.4.1, RFC 9114 §7.2.4.2) ---
  // Client: opaque bytes (e.g. the server's HTTP/3 SETTINGS) stored in every resumption ticket
  // this connection emits from now on.
  void SetResumptionApplicationData(std::vector<uint8_t> data) {
    resumption_app_data_ = std::move(data);
  }
  // Client: the application data of the ticket this connection resumed with (empty if none).
  const std::vector<uint8_t>& remembered_application_data() const { return remembered_app_data_; }

  // --- Address tokens (RFC 9000 §8.1.3) ---
  // Server: sends `token` in a NEW_TOKEN frame (§19.7, 1-RTT only, retransmitted if lost) for
  // the client's later connections; a second call replaces a token not yet sent.
  // FailedPrecondition on a client, InvalidArgument for an empty or over-long token
  // (kMaxAddressTokenLength). The client hands it out as ConnectionEvent::kNewToken.
  absl::Status SendNewToken(absl::Span<const uint8_t> token);
  // Server: whether the client's address counts as validated (RFC 9000 §8.1).
  bool address_validated() const { return address_validated_; }

  // --- DATAGRAM frames (RFC 9221) ---
  absl::Status SendDatagram(absl::Span<const uint8_t> data);
  size_t MaxDatagramPayload() const;

  // --- Lifecycle ---
  // Closes with an application error (CONNECTION_CLOSE 0x1d).
  void Close(absl::Time now, uint64_t application_error_code, std::string reason);
  // RFC 9000 §9.2: client only. Moves to `new_path` (a new local address): switches to an unused
  // connection ID of the peer's and validates the path with PATH_CHALLENGE. Fails before the
  // handshake is confirmed, when the peer set disable_active_migration, or with no spare ID.
  absl::Status MigrateTo(absl::Time now, const NetworkPath& new_path);
  // Whether the current path has been validated (RFC 9000 §8.2).
  bool path_validated() const { return path_validated_; }

  // RFC 9001 §6: starts a key update (only once the previous one was acknowledged).
  absl::Status InitiateKeyUpdate(absl::Time now);

  bool is_server() const { return perspective_ == Perspective::kServer; }
  bool handshake_complete() const { return handshake_complete_; }
  bool handshake_confirmed() const { return handshake_confirmed_; }
  // Closing or draining (RFC 9000 §10.2): no new data goes out.
  bool is_closing() const { return state_ != State::kOpen; }
  // Terminated: nothing more will be sent and the state can be freed.
  bool is_terminated() const { return state_ == State::kTerminated; }
  const std::optional<CloseInfo>& close_info() const { return close_info_; }
  uint32_t version() const { return version_; }
  std::string_view alpn() const { return tls_->alpn(); }
  uint16_t cipher_suite() const { return tls_->cipher_suite(); }
  bool early_data_accepted() const { return tls_->early_data_accepted(); }
  bool early_data_attempted() const { return tls_->early_data_attempted(); }
  bool is_resumed() const { return tls_->is_resumed(); }
  const TransportParameters& peer_transport_parameters() const { return peer_params_; }
  const ConnectionStats& stats() const { return stats_; }
  const LossDetection& recovery() const { return *recovery_; }
  const ConnectionIdManager& connection_ids() const { return cids_; }
  const NetworkPath& path() const { return path_; }
  // The Destination Connection ID of the client's first Initial (qlog's ODCID, RFC 9000 §7.3).
  const ConnectionId& original_destination_connection_id() const { return original_dcid_; }
  uint64_t key_phase_generation() const { return app_keys_.write_generation; }
  StreamManager& streams() { return *streams_; }

  // tls::QuicTlsVisitor
  void OnSecret(tls::EncryptionLevel level, tls::Direction direction, uint16_t cipher_suite,
                absl::Span<const uint8_t> secret) override;
  void OnHandshakeData(tls::EncryptionLevel level, absl::Span<const uint8_t> data) override;
  void OnAlert(tls::EncryptionLevel level, uint8_t alert) override;
  void OnNewSession(std::vector<uint8_t> serialized_session) override;
  void OnEarlyDataRejected() override;

 private:
  enum class State : uint8_t { kOpen, kClosing, kDraining, kTerminated };

  // Per packet number space (RFC 9000 §12.3).
  struct Space {
    std::unique_ptr<AckTracker> acks;
    uint64_t next_pn = 0;
    std::optional<uint64_t> largest_acked_by_peer;
    std::optional<uint64_t> largest_received;
    SentPacketRecordStore sent;  // ack-eliciting packets awaiting ACK or loss
    bool discarded = false;
    int probes_pending = 0;
    bool ack_eliciting_received_since_ack = false;
  };
  // CRYPTO stream of one encryption level (RFC 9000 §19.6).
  struct CryptoStream {
    SendBuffer send;
    RecvBuffer recv;
    CryptoStream();
  };
  // 1-RTT key phases (RFC 9001 §6).
  struct AppKeys {
    std::unique_ptr<tls::PacketProtector> write;
    std::unique_ptr<tls::PacketProtector> read;        // current phase
    std::unique_ptr<tls::PacketProtector> read_next;   // precomputed next phase
    std::unique_ptr<tls::PacketProtector> read_prev;   // previous phase, until discarded
    absl::Time read_prev_discard = absl::InfiniteFuture();
    bool key_phase = false;              // of the current write keys
    uint64_t write_generation = 0;
    std::optional<uint64_t> first_pn_in_phase;      // first packet we sent in this phase
    bool update_acknowledged = true;     // a packet of the current phase was acknowledged
    uint64_t packets_in_phase = 0;
    std::optional<uint64_t> lowest_pn_received_in_phase;  // read side, current phase
  };

  Connection(const ConnectionConfig& config, Perspective perspective, const NetworkPath& path,
             absl::Time now, RandomBytes random);

  absl::Status InitClient(tls::TlsClientContext& tls, absl::Time now);
  absl::Status InitServer(tls::TlsServerContext& tls, const PacketHeader& header,
                          std::optional<ConnectionId> original_dcid,
                          std::optional<ConnectionId> retry_source_cid);
  absl::Status InstallInitialKeys(const ConnectionId& client_dcid);
  TransportParameters LocalTransportParameters() const;
  absl::Status OnPeerTransportParameters();
  void ApplyRememberedParameters(const TransportParameters& params);

  // Receive path.
  void ProcessDatagram(absl::Time now, const NetworkPath& path, absl::Span<uint8_t> datagram);
  // Returns bytes consumed from `packet` (the whole rest on error or short header).
  size_t ProcessPacket(absl::Time now, const NetworkPath& path, absl::Span<uint8_t> packet,
                       bool first_in_datagram, absl::Span<uint8_t> whole_datagram);
  void ProcessRetry(absl::Time now, const PacketHeader& header, absl::Span<const uint8_t> packet);
  void ProcessVersionNegotiation(absl::Time now, const PacketHeader& header);
  absl::Status ProcessFrames(absl::Time now, PacketType type, tls::PacketNumberSpace space,
                             absl::Span<const uint8_t> payload, const PacketInfo& info,
                             const ConnectionId& packet_dcid, bool* ack_eliciting,
                             bool* non_probing);
  absl::Status OnFrame(absl::Time now, PacketType type, tls::PacketNumberSpace space,
                       const Frame& frame, const ConnectionId& packet_dcid);
  absl::Status OnAckFrame(absl::Time now, tls::PacketNumberSpace space, const AckFrame& ack);
  absl::Status OnCryptoFrame(absl::Time now, tls::EncryptionLevel level, const CryptoFrame& f);
  absl::Status OnStreamFrame(absl::Time now, const StreamFrame& f);
  absl::Status DriveTls();
  void OnHandshakeCompleteInternal(absl::Time now);
  void ConfirmHandshake(absl::Time now);
  void DiscardSpace(absl::Time now, tls::PacketNumberSpace space);
  void HandleAcked(absl::Time now, tls::PacketNumberSpace space, const SentPacketRecord& rec,
                   uint64_t pn);
  void HandleLost(absl::Time now, tls::PacketNumberSpace space, const SentPacketRecord& rec,
                  uint64_t pn);
  void CheckStatelessReset(absl::Time now, absl::Span<const uint8_t> datagram);
  bool TryOpenOneRtt(uint64_t pn, bool key_phase, absl::Span<const uint8_t> header,
                     absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out,
                     size_t* plaintext_len, absl::Time now);

  // Send path.
  size_t BuildPacket(absl::Time now, tls::EncryptionLevel level, absl::Span<uint8_t> out,
                     size_t min_size, bool* ack_eliciting, bool allow_data);
  bool HasDataToSend(tls::EncryptionLevel level, absl::Time now) const;
  bool WantsToSend(tls::EncryptionLevel level, absl::Time now, bool congestion_allows) const;
  size_t BuildClosePacket(absl::Time now, tls::EncryptionLevel level, absl::Span<uint8_t> out,
                          size_t min_size);
  size_t AmplificationBudget() const;
  void MaybeInitiateScheduledKeyUpdate(absl::Time now);

  // Path validation and migration (RFC 9000 §8.2, §9).
  void StartPathValidation(absl::Time now);
  void OnPathResponse(absl::Time now, const PathChallengeData& data);
  void OnPeerAddressChange(absl::Time now, const NetworkPath& path, const ConnectionId& dcid);
  void OnPathValidationTimeout(absl::Time now);

  // Errors and close.
  void CloseWithError(absl::Time now, const absl::Status& status);
  void EnterDraining(absl::Time now, CloseInfo info);
  void Terminate(CloseInfo info);
  absl::Duration Pto() const;
  absl::Duration IdleTimeout() const;
  void Emit(ConnectionEvent event) { events_.push_back(std::move(event)); }
  void EmitStreamEvents();
  void ReleaseStreamIfDone(uint64_t stream_id);
  // Tells the observer about recovery metrics and a congestion state change, if any.
  void ReportRecoveryState(absl::Time now);

  tls::EncryptionLevel LevelOf(PacketType type) const;
  Space& space(tls::PacketNumberSpace s) { return spaces_[static_cast<int>(s)]; }
  const Space& space(tls::PacketNumberSpace s) const { return spaces_[static_cast<int>(s)]; }
  tls::PacketProtector* WriteKeys(tls::EncryptionLevel level) const;
  tls::PacketProtector* ReadKeys(tls::EncryptionLevel level) const;

  const ConnectionConfig config_;
  const Perspective perspective_;
  RandomBytes random_;
  uint32_t version_;
  State state_ = State::kOpen;
  NetworkPath path_;
  ConnectionObserver* observer_;

  std::unique_ptr<tls::QuicTls> tls_;
  ConnectionIdManager cids_;
  ConnectionId original_dcid_;        // client's first DCID (Initial keys, transport param)
  std::optional<ConnectionId> retry_source_cid_;
  std::optional<ConnectionId> peer_initial_scid_;  // what the peer's transport params must say
  // Client: the token our Initials carry: from a Retry, else a NEW_TOKEN token of an earlier
  // connection (ConnectionConfig::address_token).
  std::vector<uint8_t> retry_token_;
  bool received_retry_ = false;
  bool received_first_server_packet_ = false;

  std::array<std::unique_ptr<tls::PacketProtector>, tls::kNumEncryptionLevels> read_keys_;
  std::array<std::unique_ptr<tls::PacketProtector>, tls::kNumEncryptionLevels> write_keys_;
  AppKeys app_keys_;
  uint16_t cipher_suite_id_ = 0;
  std::vector<uint8_t> pending_app_read_secret_;
  std::vector<uint8_t> pending_app_write_secret_;

  std::array<Space, tls::kNumPacketNumberSpaces> spaces_;
  std::array<CryptoStream, tls::kNumEncryptionLevels> crypto_;
  std::unique_ptr<LossDetection> recovery_;
  std::unique_ptr<StreamManager> streams_;
  StreamScheduler scheduler_;

  TransportParameters peer_params_;
  bool have_peer_params_ = false;
  bool handshake_complete_ = false;
  bool handshake_flight_counted_ = false;  // stats_.handshake_round_trips, see there
  bool handshake_confirmed_ = false;
  bool handshake_done_pending_ = false;
  bool address_validated_ = false;  // server: peer address validated (RFC 9000 §8)
  bool sent_handshake_packet_ = false;
  bool zero_rtt_rejected_ = false;

  // Anti-amplification accounting (RFC 9000 §8.1).
  uint64_t amp_bytes_received_ = 0;
  uint64_t amp_bytes_sent_ = 0;

  // Connection-level control frames waiting to be sent.
  std::vector<IssuedConnectionId> pending_new_cids_;
  std::deque<PathChallengeData> pending_path_responses_;
  std::deque<std::vector<uint8_t>> pending_datagrams_;
  size_t pending_datagram_bytes_ = 0;
  bool ping_pending_ = false;
  std::vector<uint8_t> new_token_;  // server: NEW_TOKEN to send; cleared once acknowledged
  bool new_token_pending_ = false;

  // Buffered undecryptable packets (keys not yet available), RFC 9001 §5.7.
  struct BufferedPacket {
    NetworkPath path;
    std::vector<uint8_t> bytes;
  };
  std::deque<BufferedPacket> undecryptable_;

  // Closing.
  std::optional<CloseInfo> close_info_;
  ConnectionCloseFrame close_frame_;
  std::string close_reason_storage_;
  absl::Time close_deadline_ = absl::InfiniteFuture();
  bool close_send_pending_ = false;

  // Path validation (RFC 9000 §8.2).
  bool path_validated_ = true;
  std::optional<PathChallengeData> outgoing_challenge_;
  bool challenge_send_pending_ = false;
  absl::Time challenge_resend_at_ = absl::InfiniteFuture();
  absl::Time challenge_deadline_ = absl::InfiniteFuture();
  std::optional<NetworkPath> previous_path_;  // server: where to go back if validation fails
  ConnectionId last_peer_dcid_;               // the DCID the peer last sent to

  // ECN (RFC 9000 §13.4): the codepoint of the datagram being processed / being built.
  EcnCodepoint rx_ecn_ = EcnCodepoint::kNotEct;
  EcnCodepoint tx_ecn_ = EcnCodepoint::kNotEct;

  std::string reported_congestion_state_;

  absl::Time idle_start_;
  absl::Time now_;
  bool read_key_phase_ = false;
  std::vector<uint8_t> rx_datagram_;
  // Size of the datagram being processed.
  size_t rx_datagram_size_ = 0;
  std::vector<uint8_t> rx_plain_;
  // Streams that received data in the datagram being processed (may repeat until emitted); a
  // vector kept across datagrams, so marking one allocates nothing.
  std::vector<uint64_t> readable_streams_;
  absl::btree_set<uint64_t> flow_blocked_streams_;
  size_t received_datagram_bytes_ = 0;
  absl::Time last_ack_eliciting_sent_ = absl::InfinitePast();
  bool ack_eliciting_sent_since_receive_ = false;

  absl::btree_set<uint64_t> early_data_streams_;
  std::vector<uint8_t> resumption_app_data_;
  std::vector<uint8_t> remembered_app_data_;

  std::deque<ConnectionEvent> events_;
  ConnectionStats stats_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_CONNECTION_CONNECTION_H_
