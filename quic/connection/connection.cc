#include "quic/connection/connection.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/frame_decoder.h"
#include "quic/codec/frame_encoder.h"
#include "quic/codec/frame_rules.h"
#include "quic/codec/packet_number.h"
#include "quic/connection/resumption_ticket.h"
#include "tls/cipher_suite.h"
#include "tls/initial_secrets.h"
#include "tls/quic_version.h"
#include "tls/retry_integrity.h"

namespace kite::quic {
namespace {

using tls::EncryptionLevel;
using tls::PacketNumberSpace;

// RFC 9000 §14.1: datagrams carrying Initial packets are padded to at least this size.
constexpr size_t kMinInitialDatagramSize = 1200;
// RFC 9000 §7.2: a client's first Destination Connection ID is at least 8 random bytes.
constexpr size_t kInitialDcidLength = 8;
// RFC 9001 §5.7: undecryptable packets held until their keys arrive.
constexpr size_t kMaxBufferedUndecryptablePackets = 16;
// Bound on queued PATH_RESPONSE frames (RFC 9000 §8.2.2 allows dropping excess challenges).
constexpr size_t kMaxPendingPathResponses = 4;
// Bound on DATAGRAM frames queued for sending and received-but-unread.
constexpr size_t kMaxPendingDatagramBytes = 1 << 20;
constexpr size_t kMaxQueuedEvents = 1 << 16;
// Streams remembered as having carried 0-RTT data (bounded by the stream limits in practice).
constexpr size_t kMaxEarlyDataStreams = 4096;
// CRYPTO data held out of order per level (RFC 9000 §7.5: at least 4096 bytes).
constexpr uint64_t kMaxCryptoReassembly = 64 * 1024;
// Smallest room worth starting a packet in (header + a frame + tag).
constexpr size_t kMinPacketRoom = 48;
// Bytes of the 2-byte Length field we always write in long headers.
constexpr size_t kLengthFieldLength = 2;
// RFC 9000 §10.2: the closing and draining periods last three PTOs.
constexpr int kClosePtoMultiplier = 3;

PacketType PacketTypeFor(EncryptionLevel level) {
  switch (level) {
    case EncryptionLevel::kInitial: return PacketType::kInitial;
    case EncryptionLevel::kEarlyData: return PacketType::kZeroRtt;
    case EncryptionLevel::kHandshake: return PacketType::kHandshake;
    case EncryptionLevel::kApplication: return PacketType::kOneRtt;
  }
  return PacketType::kOneRtt;
}

// The packet type of a lost packet in `space` (0-RTT and 1-RTT share the application space;
// what was lost there after the handshake is 1-RTT).
PacketType PacketTypeForSpace(PacketNumberSpace space) {
  switch (space) {
    case PacketNumberSpace::kInitial: return PacketType::kInitial;
    case PacketNumberSpace::kHandshake: return PacketType::kHandshake;
    default: return PacketType::kOneRtt;
  }
}

tls::QuicVersion TlsVersion(uint32_t wire) {
  return wire == kQuicVersion2 ? tls::QuicVersion::kV2 : tls::QuicVersion::kV1;
}

StreamControlFrame ToStreamControlFrame(SentStreamControl kind) {
  switch (kind) {
    case SentStreamControl::kMaxStreamData: return StreamControlFrame::kMaxStreamData;
    case SentStreamControl::kStreamDataBlocked: return StreamControlFrame::kStreamDataBlocked;
    case SentStreamControl::kResetStream: return StreamControlFrame::kResetStream;
    case SentStreamControl::kStopSending: return StreamControlFrame::kStopSending;
  }
  return StreamControlFrame::kMaxStreamData;
}

uint64_t DurationToMs(absl::Duration d) { return static_cast<uint64_t>(d / absl::Milliseconds(1)); }

}  // namespace

Connection::CryptoStream::CryptoStream() : recv(kMaxCryptoReassembly) {}

Connection::Connection(const ConnectionConfig& config, Perspective perspective,
                       const NetworkPath& path, absl::Time now, RandomBytes random)
    : config_(config),
      perspective_(perspective),
      random_(std::move(random)),
      version_(config.version),
      path_(path),
      observer_(config.observer),
      cids_(config.local_cid_length, random_, config.connection_id_generator),
      idle_start_(now) {
  for (int i = 0; i < tls::kNumPacketNumberSpaces; ++i) {
    AckPolicy policy;
    policy.max_ack_delay = config_.max_ack_delay;
    spaces_[i].acks =
        std::make_unique<AckTracker>(static_cast<PacketNumberSpace>(i), policy);
  }
  congestion::ControllerParams cc_params;
  cc_params.max_datagram_size = config_.max_datagram_size;
  // Each connection seeds its controller's random choices from its own randomness: two flows
  // with one seed would probe for bandwidth in lockstep and keep whatever split they started with.
  uint8_t seed_bytes[8];
  random_(seed_bytes, sizeof(seed_bytes));
  cc_params.random_seed = 0;
  for (uint8_t b : seed_bytes) cc_params.random_seed = (cc_params.random_seed << 8) | b;
  std::unique_ptr<congestion::CongestionController> cc =
      congestion::CreateController(config_.congestion_controller, cc_params);
  if (cc == nullptr) cc = congestion::CreateController("newreno", cc_params);
  RecoveryConfig rc;
  rc.initial_rtt = config_.initial_rtt;
  rc.max_datagram_size = config_.max_datagram_size;
  rc.is_server = perspective == Perspective::kServer;
  rc.adaptive_reordering = config_.adaptive_reordering;
  recovery_ = std::make_unique<LossDetection>(std::move(cc), rc);

  LocalStreamLimits limits;
  limits.initial_max_streams_bidi = config_.initial_max_streams_bidi;
  limits.initial_max_streams_uni = config_.initial_max_streams_uni;
  limits.initial_max_stream_data_bidi_local = config_.initial_max_stream_data_bidi_local;
  limits.initial_max_stream_data_bidi_remote = config_.initial_max_stream_data_bidi_remote;
  limits.initial_max_stream_data_uni = config_.initial_max_stream_data_uni;
  limits.initial_max_data = config_.initial_max_data;
  limits.max_stream_receive_window = config_.max_stream_receive_window;
  limits.max_connection_receive_window = config_.max_connection_receive_window;
  // A legitimate sender on a lossy path can leave one gap per lost packet across the whole
  // receive window, so the bound on out-of-order fragments scales with the window (about one
  // per KiB); tiny-frame abuse still hits it.
  const uint64_t largest_stream_window =
      std::max({config_.max_stream_receive_window, config_.initial_max_stream_data_bidi_local,
                config_.initial_max_stream_data_bidi_remote, config_.initial_max_stream_data_uni});
  limits.max_recv_fragments_per_stream = std::max<size_t>(
      RecvBuffer::kDefaultMaxFragments, static_cast<size_t>(largest_stream_window / 1024));
  streams_ = std::make_unique<StreamManager>(perspective_, limits);
}

Connection::~Connection() = default;

absl::StatusOr<std::unique_ptr<Connection>> Connection::Connect(const ConnectionConfig& config,
                                                                tls::TlsClientContext& tls,
                                                                const NetworkPath& path,
                                                                absl::Time now,
                                                                RandomBytes random) {
  if (!IsSupportedVersion(config.version)) {
    return absl::InvalidArgumentError("unsupported QUIC version");
  }
  std::unique_ptr<Connection> c(
      new Connection(config, Perspective::kClient, path, now, std::move(random)));
  absl::Status st = c->InitClient(tls, now);
  if (!st.ok()) return st;
  return c;
}

absl::StatusOr<std::unique_ptr<Connection>> Connection::Accept(
    const ConnectionConfig& config, tls::TlsServerContext& tls, const PacketHeader& header,
    const NetworkPath& path, absl::Time now, RandomBytes random,
    std::optional<ConnectionId> original_dcid, std::optional<ConnectionId> retry_source_cid) {
  if (header.type != PacketType::kInitial || !header.version_supported) {
    return absl::InvalidArgumentError("a server connection starts from a client Initial");
  }
  // RFC 9000 §7.2: the client's first DCID is at least 8 bytes.
  if (header.dcid.length() < kInitialDcidLength && !retry_source_cid.has_value()) {
    return absl::InvalidArgumentError("client Initial DCID shorter than 8 bytes");
  }
  ConnectionConfig server_config = config;
  server_config.version = header.version;
  std::unique_ptr<Connection> c(
      new Connection(server_config, Perspective::kServer, path, now, std::move(random)));
  absl::Status st = c->InitServer(tls, header, original_dcid, retry_source_cid);
  if (!st.ok()) return st;
  return c;
}

absl::Status Connection::InitClient(tls::TlsClientContext& tls, absl::Time now) {
  (void)now;
  uint8_t dcid[kInitialDcidLength];
  random_(dcid, sizeof(dcid));
  original_dcid_ = ConnectionId(dcid, sizeof(dcid));
  cids_.SetInitialPeerId(original_dcid_);
  // RFC 9000 §8.1.3: a NEW_TOKEN token from an earlier connection goes in our Initials.
  if (config_.address_token.size() <= kMaxAddressTokenLength) {
    retry_token_ = config_.address_token;
  }
  absl::Status st = InstallInitialKeys(original_dcid_);
  if (!st.ok()) return st;

  std::vector<uint8_t> session;
  if (!config_.resumption_session.empty()) {
    absl::StatusOr<ResumptionTicket> ticket =
        DecodeResumptionTicket(absl::MakeConstSpan(config_.resumption_session));
    if (ticket.ok()) {
      absl::StatusOr<TransportParameters> remembered = ParseTransportParameters(
          absl::MakeConstSpan(ticket->transport_parameters), Perspective::kServer);
      if (remembered.ok()) {
        session = std::move(ticket->tls_session);
        remembered_app_data_ = std::move(ticket->application_data);
        ApplyRememberedParameters(*remembered);
      }
    }
  }
  absl::StatusOr<std::vector<uint8_t>> tp =
      SerializeTransportParameters(LocalTransportParameters(), Perspective::kClient);
  if (!tp.ok()) return tp.status();
  absl::StatusOr<std::unique_ptr<tls::QuicTls>> t = tls::QuicTls::CreateClient(
      tls, this, config_.server_name, std::move(*tp), std::move(session));
  if (!t.ok()) return t.status();
  tls_ = std::move(*t);
  return tls_->Start();
}

absl::Status Connection::InitServer(tls::TlsServerContext& tls, const PacketHeader& header,
                                    std::optional<ConnectionId> original_dcid,
                                    std::optional<ConnectionId> retry_source_cid) {
  original_dcid_ = original_dcid.value_or(header.dcid);
  retry_source_cid_ = retry_source_cid;
  // A valid Retry token proves the client's address (RFC 9000 §8.1.2), as does a NEW_TOKEN
  // token the I/O layer validated (§8.1.3).
  address_validated_ = retry_source_cid.has_value() || config_.address_validated;
  cids_.SetInitialPeerId(header.scid);
  peer_initial_scid_ = header.scid;
  // Initial keys come from the DCID of this Initial (after a Retry, the Retry's SCID).
  absl::Status st = InstallInitialKeys(header.dcid);
  if (!st.ok()) return st;
  absl::StatusOr<std::vector<uint8_t>> tp =
      SerializeTransportParameters(LocalTransportParameters(), Perspective::kServer);
  if (!tp.ok()) return tp.status();
  // RFC 9001 §4.6.1, RFC 9000 §7.4.1: 0-RTT is bound to the transport parameters a client
  // remembers and uses before the handshake completes. The connection IDs and the stateless
  // reset token change on every connection, so they stay out of the context.
  TransportParameters remembered;
  TransportParameters local = LocalTransportParameters();
  remembered.active_connection_id_limit = local.active_connection_id_limit;
  remembered.initial_max_data = local.initial_max_data;
  remembered.initial_max_stream_data_bidi_local = local.initial_max_stream_data_bidi_local;
  remembered.initial_max_stream_data_bidi_remote = local.initial_max_stream_data_bidi_remote;
  remembered.initial_max_stream_data_uni = local.initial_max_stream_data_uni;
  remembered.initial_max_streams_bidi = local.initial_max_streams_bidi;
  remembered.initial_max_streams_uni = local.initial_max_streams_uni;
  remembered.max_datagram_frame_size = local.max_datagram_frame_size;
  remembered.disable_active_migration = local.disable_active_migration;
  remembered.max_udp_payload_size = local.max_udp_payload_size;
  remembered.initial_source_connection_id = ConnectionId();  // required field, fixed value
  absl::StatusOr<std::vector<uint8_t>> context =
      SerializeTransportParameters(remembered, Perspective::kClient);
  if (!context.ok()) return context.status();
  std::vector<uint8_t> early_context = std::move(*context);
  early_context.push_back(static_cast<uint8_t>(version_ >> 24));
  early_context.push_back(static_cast<uint8_t>(version_));
  // RFC 9114 §7.2.4.2: the application's own 0-RTT-relevant state (HTTP/3 SETTINGS) too.
  early_context.insert(early_context.end(), config_.early_data_application_context.begin(),
                       config_.early_data_application_context.end());
  absl::StatusOr<std::unique_ptr<tls::QuicTls>> t =
      tls::QuicTls::CreateServer(tls, this, std::move(*tp), std::move(early_context));
  if (!t.ok()) return t.status();
  tls_ = std::move(*t);
  return tls_->Start();
}

absl::Status Connection::InstallInitialKeys(const ConnectionId& client_dcid) {
  absl::StatusOr<tls::InitialProtectors> p =
      tls::CreateInitialProtectors(TlsVersion(version_), client_dcid.span());
  if (!p.ok()) return p.status();
  int i = static_cast<int>(EncryptionLevel::kInitial);
  if (perspective_ == Perspective::kClient) {
    write_keys_[i] = std::move(p->client);
    read_keys_[i] = std::move(p->server);
  } else {
    write_keys_[i] = std::move(p->server);
    read_keys_[i] = std::move(p->client);
  }
  return absl::OkStatus();
}

TransportParameters Connection::LocalTransportParameters() const {
  TransportParameters p;
  p.max_idle_timeout_ms = DurationToMs(config_.max_idle_timeout);
  p.max_udp_payload_size = std::max<uint64_t>(config_.max_udp_payload_size, 1200);
  p.initial_max_data = config_.initial_max_data;
  p.initial_max_stream_data_bidi_local = config_.initial_max_stream_data_bidi_local;
  p.initial_max_stream_data_bidi_remote = config_.initial_max_stream_data_bidi_remote;
  p.initial_max_stream_data_uni = config_.initial_max_stream_data_uni;
  p.initial_max_streams_bidi = config_.initial_max_streams_bidi;
  p.initial_max_streams_uni = config_.initial_max_streams_uni;
  p.ack_delay_exponent = config_.ack_delay_exponent;
  p.max_ack_delay_ms = DurationToMs(config_.max_ack_delay);
  p.disable_active_migration = config_.disable_active_migration;
  p.active_connection_id_limit = kMaxActivePeerConnectionIds;
  p.initial_source_connection_id = cids_.InitialLocalId().id;
  if (config_.max_datagram_frame_size > 0) {
    p.max_datagram_frame_size = config_.max_datagram_frame_size;
  }
  // RFC 9368 §3: version information, for downgrade protection.
  VersionInformation vi;
  vi.chosen_version = version_;
  vi.available_versions = {version_, version_ == kQuicVersion1 ? kQuicVersion2 : kQuicVersion1};
  p.version_information = vi;
  if (perspective_ == Perspective::kServer) {
    p.original_destination_connection_id = original_dcid_;
    p.retry_source_connection_id = retry_source_cid_;
    p.stateless_reset_token = cids_.InitialLocalId().reset_token;
  }
  return p;
}

void Connection::ApplyRememberedParameters(const TransportParameters& params) {
  // RFC 9000 §7.4.1: 0-RTT uses the remembered flow-control and stream limits.
  PeerStreamLimits peer;
  peer.initial_max_data = params.initial_max_data;
  peer.initial_max_stream_data_bidi_local = params.initial_max_stream_data_bidi_local;
  peer.initial_max_stream_data_bidi_remote = params.initial_max_stream_data_bidi_remote;
  peer.initial_max_stream_data_uni = params.initial_max_stream_data_uni;
  peer.initial_max_streams_bidi = params.initial_max_streams_bidi;
  peer.initial_max_streams_uni = params.initial_max_streams_uni;
  (void)streams_->SetPeerTransportParameters(peer);
  peer_params_.max_datagram_frame_size = params.max_datagram_frame_size;
}

absl::Status Connection::OnPeerTransportParameters() {
  absl::Span<const uint8_t> raw = tls_->peer_transport_params();
  Perspective sender =
      perspective_ == Perspective::kClient ? Perspective::kServer : Perspective::kClient;
  absl::StatusOr<TransportParameters> parsed = ParseTransportParameters(raw, sender);
  if (!parsed.ok()) return parsed.status();
  TransportParameters& p = *parsed;
  // RFC 9000 §7.3: authenticate the connection IDs.
  auto mismatch = [](const std::optional<ConnectionId>& got, const std::optional<ConnectionId>& want) {
    return got.has_value() != want.has_value() || (got.has_value() && *got != *want);
  };
  if (mismatch(p.initial_source_connection_id, peer_initial_scid_)) {
    return TransportErrorStatus(TransportErrorCode::kTransportParameterError,
                                "initial_source_connection_id does not match");
  }
  if (perspective_ == Perspective::kClient) {
    if (mismatch(p.original_destination_connection_id, original_dcid_)) {
      return TransportErrorStatus(TransportErrorCode::kTransportParameterError,
                                  "original_destination_connection_id does not match");
    }
    std::optional<ConnectionId> want_retry;
    if (received_retry_) want_retry = retry_source_cid_;
    if (mismatch(p.retry_source_connection_id, want_retry)) {
      return TransportErrorStatus(TransportErrorCode::kTransportParameterError,
                                  "retry_source_connection_id does not match");
    }
    if (p.stateless_reset_token.has_value()) {
      cids_.SetPeerResetTokenForSequenceZero(*p.stateless_reset_token);
    }
  }
  // RFC 9368 §4: a chosen version other than the one in use is a downgrade.
  if (p.version_information.has_value() && p.version_information->chosen_version != version_) {
    return TransportErrorStatus(TransportErrorCode::kVersionNegotiationError,
                                "version_information chosen version mismatch");
  }
  if (zero_rtt_rejected_ || !tls_->early_data_accepted() || perspective_ == Perspective::kServer) {
    PeerStreamLimits peer;
    peer.initial_max_data = p.initial_max_data;
    peer.initial_max_stream_data_bidi_local = p.initial_max_stream_data_bidi_local;
    peer.initial_max_stream_data_bidi_remote = p.initial_max_stream_data_bidi_remote;
    peer.initial_max_stream_data_uni = p.initial_max_stream_data_uni;
    peer.initial_max_streams_bidi = p.initial_max_streams_bidi;
    peer.initial_max_streams_uni = p.initial_max_streams_uni;
    absl::Status st = streams_->SetPeerTransportParameters(peer);
    if (!st.ok()) return st;
  }
  cids_.SetPeerActiveConnectionIdLimit(p.active_connection_id_limit);
  peer_params_ = std::move(p);
  have_peer_params_ = true;
  // Streams that ran into the (until now zero) limits may send again.
  for (uint64_t id : flow_blocked_streams_) scheduler_.MarkReady(id);
  flow_blocked_streams_.clear();
  return absl::OkStatus();
}

// --- tls::QuicTlsVisitor ---

void Connection::OnSecret(EncryptionLevel level, tls::Direction direction, uint16_t cipher_suite,
                          absl::Span<const uint8_t> secret) {
  absl::StatusOr<const tls::CipherSuite*> suite = tls::CipherSuiteByProtocolId(cipher_suite);
  if (!suite.ok()) {
    CloseWithError(now_, TransportErrorStatus(TransportErrorCode::kInternalError,
                                              "unsupported cipher suite"));
    return;
  }
  absl::StatusOr<std::unique_ptr<tls::PacketProtector>> p =
      tls::PacketProtector::Create(**suite, TlsVersion(version_), secret);
  if (!p.ok()) {
    CloseWithError(now_, TransportErrorStatus(TransportErrorCode::kInternalError,
                                              "packet key derivation failed"));
    return;
  }
  int i = static_cast<int>(level);
  if (level == EncryptionLevel::kApplication) {
    cipher_suite_id_ = cipher_suite;
    if (direction == tls::Direction::kWrite) {
      app_keys_.write = std::move(*p);
    } else {
      absl::StatusOr<std::unique_ptr<tls::PacketProtector>> next = (*p)->NextGeneration();
      app_keys_.read = std::move(*p);
      if (next.ok()) app_keys_.read_next = std::move(*next);
    }
    return;
  }
  if (direction == tls::Direction::kWrite) {
    write_keys_[i] = std::move(*p);
  } else {
    read_keys_[i] = std::move(*p);
  }
}

void Connection::OnHandshakeData(EncryptionLevel level, absl::Span<const uint8_t> data) {
  crypto_[static_cast<int>(level)].send.Append(data);
}

void Connection::OnAlert(EncryptionLevel level, uint8_t alert) {
  (void)level;
  CloseWithError(now_, TransportErrorStatus(CryptoError(alert),
                                            absl::StrCat("TLS alert ", alert)));
}

void Connection::OnNewSession(std::vector<uint8_t> serialized_session) {
  ResumptionTicket ticket;
  ticket.tls_session = std::move(serialized_session);
  absl::Span<const uint8_t> tp = tls_ != nullptr ? tls_->peer_transport_params()
                                                 : absl::Span<const uint8_t>();
  ticket.transport_parameters.assign(tp.begin(), tp.end());
  ticket.application_data = resumption_app_data_;
  ConnectionEvent ev{ConnectionEvent::Type::kNewSessionTicket};
  ev.data = EncodeResumptionTicket(ticket);
  Emit(std::move(ev));
}

void Connection::OnEarlyDataRejected() {
  zero_rtt_rejected_ = true;
  // RFC 9001 §4.6.2: discard 0-RTT keys; everything sent in 0-RTT is resent in 1-RTT.
  write_keys_[static_cast<int>(EncryptionLevel::kEarlyData)].reset();
  Space& app = space(PacketNumberSpace::kApplication);
  for (const SentPacket& p : recovery_->TakeUnackedForRetransmission(
           PacketNumberSpace::kApplication, now_)) {
    uint64_t pn = p.packet_number;
    SentPacketRecord rec;
    if (!app.sent.Take(pn, &rec)) continue;
    HandleLost(now_, PacketNumberSpace::kApplication, rec, pn);
  }
  Emit(ConnectionEvent{ConnectionEvent::Type::kZeroRttRejected});
}

// --- Receive path ---

EncryptionLevel Connection::LevelOf(PacketType type) const {
  switch (type) {
    case PacketType::kInitial: return EncryptionLevel::kInitial;
    case PacketType::kZeroRtt: return EncryptionLevel::kEarlyData;
    case PacketType::kHandshake: return EncryptionLevel::kHandshake;
    default: return EncryptionLevel::kApplication;
  }
}

tls::PacketProtector* Connection::WriteKeys(EncryptionLevel level) const {
  if (level == EncryptionLevel::kApplication) return app_keys_.write.get();
  return write_keys_[static_cast<int>(level)].get();
}

tls::PacketProtector* Connection::ReadKeys(EncryptionLevel level) const {
  if (level == EncryptionLevel::kApplication) return app_keys_.read.get();
  return read_keys_[static_cast<int>(level)].get();
}

void Connection::OnDatagram(absl::Time now, const NetworkPath& path,
                            absl::Span<const uint8_t> datagram, EcnCodepoint ecn) {
  if (state_ == State::kTerminated || state_ == State::kDraining) {
    now_ = now;
    rx_ecn_ = ecn;
    return;
  }
  // Header protection is removed in place (RFC 9001 §5.4), so work on a copy.
  rx_datagram_.assign(datagram.begin(), datagram.end());
  OnDatagramInPlace(now, path, absl::MakeSpan(rx_datagram_), ecn);
}

void Connection::OnDatagramInPlace(absl::Time now, const NetworkPath& path,
                                   absl::Span<uint8_t> datagram, EcnCodepoint ecn) {
  now_ = now;
  rx_ecn_ = ecn;
  if (state_ == State::kTerminated || state_ == State::kDraining) return;
  stats_.bytes_received += datagram.size();
  amp_bytes_received_ += datagram.size();
  handshake_flight_counted_ = false;  // our next handshake flight answers this one
  rx_datagram_size_ = datagram.size();
  ProcessDatagram(now, path, datagram);
  if (state_ == State::kClosing) {
    // RFC 9000 §10.2.1: answer packets in the closing state with CONNECTION_CLOSE again.
    close_send_pending_ = true;
  }
  EmitStreamEvents();
}

void Connection::ProcessDatagram(absl::Time now, const NetworkPath& path,
                                 absl::Span<uint8_t> datagram) {
  size_t offset = 0;
  bool first = true;
  while (offset < datagram.size() && state_ != State::kTerminated &&
         state_ != State::kDraining) {
    size_t consumed = ProcessPacket(now, path, datagram.subspan(offset), first, datagram);
    if (consumed == 0) break;
    offset += consumed;
    first = false;
  }
}

size_t Connection::ProcessPacket(absl::Time now, const NetworkPath& path,
                                 absl::Span<uint8_t> packet, bool first_in_datagram,
                                 absl::Span<uint8_t> whole_datagram) {
  absl::StatusOr<PacketHeader> parsed = ParsePacketHeader(packet, config_.local_cid_length);
  if (!parsed.ok()) {
    stats_.packets_dropped++;
    if (observer_) {
      observer_->OnPacketDropped(now, PacketType::kOneRtt, packet.size(),
                                 PacketDropReason::kHeaderParseError);
    }
    if (first_in_datagram) CheckStatelessReset(now, whole_datagram);
    return packet.size();
  }
  PacketHeader& h = *parsed;
  auto drop = [&](PacketDropReason reason) {
    stats_.packets_dropped++;
    if (observer_) observer_->OnPacketDropped(now, h.type, h.packet_length, reason);
    return h.packet_length == 0 ? packet.size() : h.packet_length;
  };
  if (h.long_header && !h.version_supported) return drop(PacketDropReason::kUnsupportedVersion);
  if (h.type == PacketType::kVersionNegotiation) {
    ProcessVersionNegotiation(now, h);
    return packet.size();
  }
  if (h.type == PacketType::kRetry) {
    ProcessRetry(now, h, packet.subspan(0, h.packet_length));
    return packet.size();
  }
  if (h.long_header && h.version != version_) return drop(PacketDropReason::kUnsupportedVersion);
  // RFC 9000 §12.2: coalesced packets with a different DCID are dropped.
  if (!first_in_datagram && !cids_.IsLocalId(h.dcid) && h.dcid != original_dcid_) {
    return drop(PacketDropReason::kUnexpectedPacket);
  }

  EncryptionLevel level = LevelOf(h.type);
  PacketNumberSpace sp = tls::SpaceOf(level);
  Space& s = space(sp);
  if (perspective_ == Perspective::kClient && h.type == PacketType::kZeroRtt) {
    return drop(PacketDropReason::kUnexpectedPacket);
  }
  tls::PacketProtector* keys = ReadKeys(level);
  if (keys == nullptr || s.discarded) {
    bool may_arrive = !s.discarded && !(level == EncryptionLevel::kEarlyData && handshake_complete_);
    if (may_arrive && undecryptable_.size() < kMaxBufferedUndecryptablePackets) {
      BufferedPacket b;
      b.path = path;
      b.bytes.assign(packet.begin(), packet.begin() + h.packet_length);
      undecryptable_.push_back(std::move(b));
      if (observer_) {
        observer_->OnPacketDropped(now, h.type, h.packet_length, PacketDropReason::kBuffered);
      }
      return h.packet_length;
    }
    return drop(PacketDropReason::kNoKeys);
  }

  absl::StatusOr<tls::UnmaskedHeader> unmasked =
      keys->RemoveHeaderProtection(packet.data(), h.packet_length, h.pn_offset);
  if (!unmasked.ok()) return drop(PacketDropReason::kDecryptionFailure);
  absl::StatusOr<UnprotectedHeaderBits> bits =
      ReadUnprotectedHeaderBits(h, packet.subspan(0, h.packet_length));
  if (!bits.ok()) return drop(PacketDropReason::kHeaderParseError);
  uint64_t pn = DecodePacketNumber(s.largest_received, bits->truncated_pn, bits->pn_length * 8);
  size_t header_len = unmasked->header_length;
  absl::Span<const uint8_t> header_bytes(packet.data(), header_len);
  absl::Span<const uint8_t> ciphertext(packet.data() + header_len, h.packet_length - header_len);
  if (ciphertext.size() < keys->tag_length()) return drop(PacketDropReason::kDecryptionFailure);
  rx_plain_.resize(ciphertext.size());
  size_t plain_len = 0;
  if (level == EncryptionLevel::kApplication) {
    if (!TryOpenOneRtt(pn, bits->key_phase, header_bytes, ciphertext, absl::MakeSpan(rx_plain_),
                       &plain_len, now)) {
      // RFC 9000 §10.3.1: an undecryptable last packet may be a stateless reset.
      if (h.packet_length == packet.size()) CheckStatelessReset(now, whole_datagram);
      return drop(PacketDropReason::kDecryptionFailure);
    }
  } else {
    tls::OpenResult r = keys->OpenPayload(pn, header_bytes, ciphertext, absl::MakeSpan(rx_plain_));
    if (!r.ok()) return drop(PacketDropReason::kDecryptionFailure);
    plain_len = r.plaintext_length();
  }
  if (state_ == State::kTerminated || state_ == State::kDraining) return h.packet_length;
  // RFC 9000 §17.2, §17.3.1: reserved bits set after successful decryption.
  if (bits->reserved_bits_set) {
    CloseWithError(now, TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                             "reserved header bits set"));
    return h.packet_length;
  }
  if (s.acks->IsDuplicate(pn)) return drop(PacketDropReason::kDuplicate);

  if (perspective_ == Perspective::kClient && !received_first_server_packet_ &&
      h.type == PacketType::kInitial) {
    // RFC 9000 §7.2: the client switches to the server's chosen connection ID.
    received_first_server_packet_ = true;
    cids_.SetInitialPeerId(h.scid);
    peer_initial_scid_ = h.scid;
  }
  if (perspective_ == Perspective::kServer && level == EncryptionLevel::kHandshake) {
    // RFC 9000 §8.1: a Handshake packet from the client validates its address; RFC 9001
    // §4.9.1: the server discards Initial keys once it processes one.
    address_validated_ = true;
    recovery_->SetPeerAddressValidated(true, now);
    DiscardSpace(now, PacketNumberSpace::kInitial);
  }

  PacketInfo info;
  info.type = h.type;
  info.packet_number = pn;
  info.size = h.packet_length;
  info.key_phase = bits->key_phase;
  if (observer_) observer_->OnPacketReceived(now, info);
  stats_.packets_received++;

  bool ack_eliciting = false;
  bool non_probing = false;
  absl::Status st = ProcessFrames(now, h.type, sp, absl::MakeConstSpan(rx_plain_.data(), plain_len),
                                  info, h.dcid, &ack_eliciting, &non_probing);
  if (!st.ok()) {
    CloseWithError(now, st);
    return h.packet_length;
  }
  if (s.discarded) return h.packet_length;  // e.g. HANDSHAKE_DONE discarded it meanwhile
  s.acks->OnPacketReceived(pn, now, ack_eliciting, rx_ecn_);
  if (rx_ecn_ == EcnCodepoint::kCe) stats_.ecn_ce_received++;
  if (!s.largest_received.has_value() || pn > *s.largest_received) {
    s.largest_received = pn;
    // RFC 9000 §9.3: follow the peer to a new address on its newest non-probing packet.
    if (level == EncryptionLevel::kApplication && non_probing && handshake_confirmed_ &&
        path.remote != path_.remote && perspective_ == Perspective::kServer) {
      OnPeerAddressChange(now, path, h.dcid);
    }
    if (level == EncryptionLevel::kApplication) last_peer_dcid_ = h.dcid;
  }
  // RFC 9000 §10.1: any successfully processed packet restarts the idle timer.
  idle_start_ = now;
  ack_eliciting_sent_since_receive_ = false;
  return h.packet_length;
}

bool Connection::TryOpenOneRtt(uint64_t pn, bool key_phase, absl::Span<const uint8_t> header,
                               absl::Span<const uint8_t> ciphertext, absl::Span<uint8_t> out,
                               size_t* plaintext_len, absl::Time now) {
  // RFC 9001 §6.3: the key phase bit picks current, previous or next keys.
  if (key_phase == read_key_phase_) {
    tls::OpenResult r = app_keys_.read->OpenPayload(pn, header, ciphertext, out);
    if (!r.ok()) return false;
    *plaintext_len = r.plaintext_length();
    if (!app_keys_.lowest_pn_received_in_phase.has_value() ||
        pn < *app_keys_.lowest_pn_received_in_phase) {
      app_keys_.lowest_pn_received_in_phase = pn;
    }
    return true;
  }
  bool older = app_keys_.read_prev != nullptr && app_keys_.lowest_pn_received_in_phase.has_value() &&
               pn < *app_keys_.lowest_pn_received_in_phase;
  if (older) {
    tls::OpenResult r = app_keys_.read_prev->OpenPayload(pn, header, ciphertext, out);
    if (!r.ok()) return false;
    *plaintext_len = r.plaintext_length();
    return true;
  }
  if (app_keys_.read_next == nullptr || !handshake_confirmed_) return false;
  tls::OpenResult r = app_keys_.read_next->OpenPayload(pn, header, ciphertext, out);
  if (!r.ok()) return false;
  *plaintext_len = r.plaintext_length();
  // The peer moved to the next key phase.
  app_keys_.read_prev = std::move(app_keys_.read);
  app_keys_.read = std::move(app_keys_.read_next);
  absl::StatusOr<std::unique_ptr<tls::PacketProtector>> next = app_keys_.read->NextGeneration();
  if (next.ok()) app_keys_.read_next = std::move(*next);
  app_keys_.read_prev_discard = now + kClosePtoMultiplier * Pto();
  app_keys_.lowest_pn_received_in_phase = pn;
  read_key_phase_ = key_phase;
  if (app_keys_.key_phase != key_phase) {
    // RFC 9001 §6.2: respond to the peer's update by updating our own send keys.
    absl::StatusOr<std::unique_ptr<tls::PacketProtector>> w = app_keys_.write->NextGeneration();
    if (w.ok()) {
      app_keys_.write = std::move(*w);
      app_keys_.key_phase = key_phase;
      app_keys_.write_generation++;
      app_keys_.update_acknowledged = false;
      app_keys_.first_pn_in_phase.reset();
      app_keys_.packets_in_phase = 0;
      stats_.key_updates++;
      if (observer_) observer_->OnKeyUpdated(now, "1rtt_remote", app_keys_.write_generation);
    }
  }
  return true;
}

absl::Status Connection::InitiateKeyUpdate(absl::Time now) {
  if (!handshake_confirmed_ || app_keys_.write == nullptr) {
    return absl::FailedPreconditionError("key update needs a confirmed handshake");
  }
  // RFC 9001 §6.1: not before a packet of the current phase was acknowledged.
  if (!app_keys_.update_acknowledged) {
    return absl::FailedPreconditionError("previous key update not yet acknowledged");
  }
  absl::StatusOr<std::unique_ptr<tls::PacketProtector>> w = app_keys_.write->NextGeneration();
  if (!w.ok()) return w.status();
  app_keys_.write = std::move(*w);
  app_keys_.key_phase = !app_keys_.key_phase;
  app_keys_.write_generation++;
  app_keys_.update_acknowledged = false;
  app_keys_.first_pn_in_phase.reset();
  app_keys_.packets_in_phase = 0;
  stats_.key_updates++;
  if (observer_) observer_->OnKeyUpdated(now, "1rtt_local", app_keys_.write_generation);
  return absl::OkStatus();
}

void Connection::MaybeInitiateScheduledKeyUpdate(absl::Time now) {
  if (config_.key_update_interval_packets == 0) return;
  if (app_keys_.packets_in_phase >= config_.key_update_interval_packets) {
    (void)InitiateKeyUpdate(now);
  }
}

void Connection::CheckStatelessReset(absl::Time now, absl::Span<const uint8_t> datagram) {
  // RFC 9000 §10.3.1: the last 16 bytes of a datagram that cannot be processed.
  if (datagram.size() < 21) return;
  absl::Span<const uint8_t> token = datagram.subspan(datagram.size() - kStatelessResetTokenLength);
  if (!cids_.IsPeerStatelessResetToken(token)) return;
  (void)now;
  CloseInfo info;
  info.by_peer = true;
  info.stateless_reset = true;
  info.reason = "stateless reset";
  Terminate(std::move(info));
}

void Connection::ProcessVersionNegotiation(absl::Time now, const PacketHeader& h) {
  // RFC 9000 §6.2: only a client that has received nothing else acts on it, and a list that
  // contains the version we sent is ignored.
  if (perspective_ == Perspective::kServer || received_first_server_packet_) return;
  if (h.dcid != cids_.InitialLocalId().id || h.scid != original_dcid_) return;
  for (uint32_t v : h.supported_versions) {
    if (v == version_) return;
  }
  (void)now;
  CloseInfo info;
  info.by_peer = true;
  info.error_code = static_cast<uint64_t>(TransportErrorCode::kVersionNegotiationError);
  info.reason = "version negotiation: no common version";
  Terminate(std::move(info));
}

void Connection::ProcessRetry(absl::Time now, const PacketHeader& h,
                              absl::Span<const uint8_t> packet) {
  // RFC 9000 §17.2.5.2: a client accepts one Retry, before any other server packet.
  if (perspective_ == Perspective::kServer || received_retry_ || received_first_server_packet_) {
    return;
  }
  if (h.retry_token.empty() || h.dcid != cids_.InitialLocalId().id) return;
  absl::StatusOr<bool> tag_ok =
      tls::VerifyRetryIntegrityTag(TlsVersion(version_), original_dcid_.span(), packet);
  if (!tag_ok.ok() || !*tag_ok) return;
  received_retry_ = true;
  retry_source_cid_ = h.scid;
  retry_token_.assign(h.retry_token.begin(), h.retry_token.end());
  cids_.SetInitialPeerId(h.scid);
  peer_initial_scid_ = h.scid;
  // RFC 9001 §5.2: new Initial keys from the Retry's SCID; RFC 9002 §6.3: resend the Initial
  // data without treating it as lost.
  (void)InstallInitialKeys(h.scid);
  Space& init = space(PacketNumberSpace::kInitial);
  for (const SentPacket& p : recovery_->TakeUnackedForRetransmission(PacketNumberSpace::kInitial,
                                                                      now)) {
    SentPacketRecord rec;
    if (!init.sent.Take(p.packet_number, &rec)) continue;
    for (const SentCryptoRange& c : rec.crypto) {
      crypto_[0].send.OnLost(c.offset, c.length, false);
    }
  }
  (void)now;
}

// --- Frames ---

absl::Status Connection::ProcessFrames(absl::Time now, PacketType type, PacketNumberSpace sp,
                                       absl::Span<const uint8_t> payload, const PacketInfo& info,
                                       const ConnectionId& packet_dcid, bool* ack_eliciting,
                                       bool* non_probing) {
  return DecodeFrames(payload, type, [&](const Frame& frame) -> absl::Status {
    if (observer_) observer_->OnFrame(now, info, frame, /*sent=*/false);
    if (IsAckEliciting(frame)) *ack_eliciting = true;
    // RFC 9000 §9.1: probing frames are PATH_CHALLENGE, PATH_RESPONSE, NEW_CONNECTION_ID and
    // PADDING.
    if (!std::holds_alternative<PathChallengeFrame>(frame) &&
        !std::holds_alternative<PathResponseFrame>(frame) &&
        !std::holds_alternative<NewConnectionIdFrame>(frame) &&
        !std::holds_alternative<PaddingFrame>(frame)) {
      *non_probing = true;
    }
    if (state_ == State::kDraining || state_ == State::kTerminated) return absl::OkStatus();
    return OnFrame(now, type, sp, frame, packet_dcid);
  });
}

absl::Status Connection::OnFrame(absl::Time now, PacketType type, PacketNumberSpace sp,
                                 const Frame& frame, const ConnectionId& packet_dcid) {
  EncryptionLevel level = LevelOf(type);
  if (const auto* ack = std::get_if<AckFrame>(&frame)) return OnAckFrame(now, sp, *ack);
  if (const auto* c = std::get_if<CryptoFrame>(&frame)) return OnCryptoFrame(now, level, *c);
  if (const auto* f = std::get_if<StreamFrame>(&frame)) {
    if (type == PacketType::kZeroRtt && early_data_streams_.size() < kMaxEarlyDataStreams) {
      early_data_streams_.insert(f->stream_id);
    }
    return OnStreamFrame(now, *f);
  }
  if (std::holds_alternative<PaddingFrame>(frame) || std::holds_alternative<PingFrame>(frame)) {
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<ResetStreamFrame>(&frame)) {
    absl::Status st = streams_->OnResetStream(f->stream_id, f->application_error_code,
                                              f->final_size);
    if (!st.ok()) return st;
    ConnectionEvent ev{ConnectionEvent::Type::kStreamReset};
    ev.stream_id = f->stream_id;
    ev.error_code = f->application_error_code;
    Emit(std::move(ev));
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<StopSendingFrame>(&frame)) {
    absl::Status st = streams_->OnStopSending(f->stream_id, f->application_error_code);
    if (!st.ok()) return st;
    scheduler_.Unregister(f->stream_id);
    ConnectionEvent ev{ConnectionEvent::Type::kStopSending};
    ev.stream_id = f->stream_id;
    ev.error_code = f->application_error_code;
    Emit(std::move(ev));
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<NewTokenFrame>(&frame)) {
    // RFC 9000 §19.7: only servers send NEW_TOKEN.
    if (perspective_ == Perspective::kServer) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "client sent NEW_TOKEN", 0x07);
    }
    // RFC 9000 §8.1.3: the client keeps it for a later connection; tokens too long to send
    // back are of no use.
    if (f->token.size() <= kMaxAddressTokenLength) {
      ConnectionEvent ev{ConnectionEvent::Type::kNewToken};
      ev.data.assign(f->token.begin(), f->token.end());
      Emit(std::move(ev));
    }
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<MaxDataFrame>(&frame)) {
    streams_->OnMaxData(f->maximum_data);
    for (uint64_t id : flow_blocked_streams_) {
      scheduler_.MarkReady(id);
      ConnectionEvent ev{ConnectionEvent::Type::kStreamWritable};
      ev.stream_id = id;
      Emit(std::move(ev));
    }
    flow_blocked_streams_.clear();
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<MaxStreamDataFrame>(&frame)) {
    absl::Status st = streams_->OnMaxStreamData(f->stream_id, f->maximum_stream_data);
    if (!st.ok()) return st;
    Stream* s = streams_->GetStream(f->stream_id);
    if (s != nullptr && s->HasDataToSend()) scheduler_.MarkReady(f->stream_id);
    if (s != nullptr && flow_blocked_streams_.erase(f->stream_id) > 0) {
      ConnectionEvent ev{ConnectionEvent::Type::kStreamWritable};
      ev.stream_id = f->stream_id;
      Emit(std::move(ev));
    }
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<MaxStreamsFrame>(&frame)) {
    return streams_->OnMaxStreams(f->bidirectional, f->maximum_streams);
  }
  if (std::holds_alternative<DataBlockedFrame>(frame)) return absl::OkStatus();
  if (const auto* f = std::get_if<StreamDataBlockedFrame>(&frame)) {
    return streams_->OnStreamDataBlocked(f->stream_id, f->maximum_stream_data);
  }
  if (const auto* f = std::get_if<StreamsBlockedFrame>(&frame)) {
    return streams_->OnStreamsBlocked(f->bidirectional, f->maximum_streams);
  }
  if (const auto* f = std::get_if<NewConnectionIdFrame>(&frame)) {
    return cids_.OnNewConnectionId(f->sequence_number, f->retire_prior_to, f->connection_id,
                                   f->stateless_reset_token);
  }
  if (const auto* f = std::get_if<RetireConnectionIdFrame>(&frame)) {
    absl::Status st = cids_.OnRetireConnectionId(f->sequence_number, packet_dcid);
    if (!st.ok()) return st;
    for (IssuedConnectionId& id : cids_.TopUpLocalIds()) pending_new_cids_.push_back(id);
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<PathChallengeFrame>(&frame)) {
    if (pending_path_responses_.size() < kMaxPendingPathResponses) {
      pending_path_responses_.push_back(f->data);
    }
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<PathResponseFrame>(&frame)) {
    OnPathResponse(now, f->data);
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<ConnectionCloseFrame>(&frame)) {
    CloseInfo info;
    info.by_peer = true;
    info.is_application = f->is_application;
    info.error_code = f->error_code;
    info.frame_type = f->frame_type;
    info.reason.assign(f->reason_phrase.begin(), f->reason_phrase.end());
    EnterDraining(now, std::move(info));
    return absl::OkStatus();
  }
  if (std::holds_alternative<HandshakeDoneFrame>(frame)) {
    // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE is a PROTOCOL_VIOLATION.
    if (perspective_ == Perspective::kServer) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "client sent HANDSHAKE_DONE", 0x1e);
    }
    ConfirmHandshake(now);
    return absl::OkStatus();
  }
  if (const auto* f = std::get_if<DatagramFrame>(&frame)) {
    // RFC 9221 §3: DATAGRAM frames we did not ask for, or larger than we allow.
    if (config_.max_datagram_frame_size == 0 ||
        f->data.size() > config_.max_datagram_frame_size) {
      return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                  "unexpected or oversized DATAGRAM frame", 0x30);
    }
    if (received_datagram_bytes_ + f->data.size() <= kMaxPendingDatagramBytes) {
      ConnectionEvent ev{ConnectionEvent::Type::kDatagramReceived};
      ev.data.assign(f->data.begin(), f->data.end());
      received_datagram_bytes_ += f->data.size();
      Emit(std::move(ev));
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::Status Connection::OnAckFrame(absl::Time now, PacketNumberSpace sp, const AckFrame& ack) {
  Space& s = space(sp);
  if (ack.ranges.empty()) return absl::OkStatus();
  // RFC 9000 §13.1: acknowledging a packet we never sent is a PROTOCOL_VIOLATION.
  if (ack.largest_acknowledged() >= s.next_pn) {
    return TransportErrorStatus(TransportErrorCode::kProtocolViolation,
                                "ACK for a packet never sent", 0x02);
  }
  AckRanges ranges;
  ranges.ranges.reserve(ack.ranges.size());
  for (const AckRange& r : ack.ranges) ranges.ranges.push_back(PacketRange{r.smallest, r.largest});
  if (ack.ecn.has_value()) ranges.ecn = AckEcnCounts{ack.ecn->ect0, ack.ecn->ect1, ack.ecn->ecn_ce};
  uint64_t exponent = have_peer_params_ ? peer_params_.ack_delay_exponent : 3;
  // RFC 9000 §19.3: ack_delay is scaled by 2^ack_delay_exponent microseconds; a huge value is
  // clamped rather than overflowing.
  uint64_t delay_us = ack.ack_delay > (uint64_t{1} << 40) ? (uint64_t{1} << 40)
                                                          : (ack.ack_delay << exponent);
  absl::Duration ack_delay = absl::Microseconds(static_cast<int64_t>(delay_us));
  if (sp != PacketNumberSpace::kApplication) ack_delay = absl::ZeroDuration();
  absl::Duration peer_max_ack_delay =
      absl::Milliseconds(have_peer_params_ ? peer_params_.max_ack_delay_ms : 25);
  absl::StatusOr<AckOutcome> outcome = recovery_->OnAckReceived(
      sp, ranges, ack_delay, now, handshake_confirmed_, peer_max_ack_delay);
  if (!outcome.ok()) return outcome.status();
  if (!s.largest_acked_by_peer.has_value() || ack.largest_acknowledged() > *s.largest_acked_by_peer) {
    s.largest_acked_by_peer = ack.largest_acknowledged();
  }
  SentPacketRecord rec;  // reused across the loop
  for (const SentPacket& p : outcome->acked) {
    // Every acknowledged packet counts for ACK-of-ACK pruning (RFC 9000 §13.2.4), including the
    // ACK-only ones that keep no record.
    s.acks->OnPacketAcked(p.packet_number);
    if (!s.sent.Take(p.packet_number, &rec)) continue;
    HandleAcked(now, sp, rec, p.packet_number);
  }
  for (const SentPacket& p : outcome->lost) {
    s.acks->OnPacketLost(p.packet_number);
    stats_.packets_lost++;
    if (observer_) observer_->OnPacketLost(now, PacketTypeForSpace(sp), p.packet_number, p.bytes);
    if (!s.sent.Take(p.packet_number, &rec)) continue;
    HandleLost(now, sp, rec, p.packet_number);
  }
  ReportRecoveryState(now);
  return absl::OkStatus();
}

void Connection::ReportRecoveryState(absl::Time now) {
  if (observer_ == nullptr) return;
  const RttEstimator& rtt = recovery_->rtt();
  observer_->OnRecoveryMetrics(now, recovery_->CongestionWindow(), recovery_->bytes_in_flight(),
                               rtt.smoothed_rtt(), rtt.min_rtt(), rtt.latest_rtt(), rtt.rttvar(),
                               recovery_->pto_count());
  std::string_view state = recovery_->controller().StateName();
  if (state != reported_congestion_state_) {
    reported_congestion_state_.assign(state.data(), state.size());
    observer_->OnCongestionStateChanged(now, state);
  }
}

void Connection::HandleAcked(absl::Time now, PacketNumberSpace sp, const SentPacketRecord& rec,
                             uint64_t pn) {
  (void)now;
  (void)sp;
  (void)pn;
  for (const SentStreamRange& r : rec.streams) {
    streams_->OnStreamChunkAcked(r.stream_id, r.offset, r.length, r.fin);
    ReleaseStreamIfDone(r.stream_id);
  }
  for (const SentCryptoRange& c : rec.crypto) {
    crypto_[static_cast<int>(rec.level)].send.OnAcked(c.offset, c.length, false);
  }
  for (const SentStreamControlFrame& c : rec.stream_controls) {
    streams_->OnStreamControlFrameAcked(c.stream_id, ToStreamControlFrame(c.kind));
    ReleaseStreamIfDone(c.stream_id);
  }
  if (rec.level == EncryptionLevel::kApplication) {
    if (rec.key_phase == app_keys_.key_phase) app_keys_.update_acknowledged = true;
    // RFC 9001 §4.1.2: a client may confirm the handshake on the ACK of a 1-RTT packet.
    if (perspective_ == Perspective::kClient && handshake_complete_) ConfirmHandshake(now);
    if (rec.new_token && !new_token_pending_) new_token_.clear();
  }
}

void Connection::HandleLost(absl::Time now, PacketNumberSpace sp, const SentPacketRecord& rec,
                            uint64_t pn) {
  (void)now;
  (void)sp;
  (void)pn;
  for (const SentStreamRange& r : rec.streams) {
    streams_->OnStreamChunkLost(r.stream_id, r.offset, r.length, r.fin);
    Stream* s = streams_->GetStream(r.stream_id);
    if (s != nullptr && s->HasDataToSend()) scheduler_.MarkReady(r.stream_id);
  }
  for (const SentCryptoRange& c : rec.crypto) {
    crypto_[static_cast<int>(rec.level)].send.OnLost(c.offset, c.length, false);
  }
  for (const SentStreamControlFrame& c : rec.stream_controls) {
    streams_->OnStreamControlFrameLost(c.stream_id, ToStreamControlFrame(c.kind));
  }
  if (rec.handshake_done) handshake_done_pending_ = true;
  if (rec.new_token && !new_token_.empty()) new_token_pending_ = true;
  if (rec.max_data) streams_->OnMaxDataLost();
  if (rec.data_blocked) streams_->OnDataBlockedLost();
  if (rec.max_streams_bidi) streams_->OnMaxStreamsLost(true);
  if (rec.max_streams_uni) streams_->OnMaxStreamsLost(false);
  for (uint64_t seq : rec.new_connection_ids) {
    std::optional<IssuedConnectionId> id = cids_.LocalIdBySequence(seq);
    if (id.has_value()) pending_new_cids_.push_back(*id);
  }
  for (uint64_t seq : rec.retire_connection_ids) cids_.pending_retirements().push_back(seq);
}

absl::Status Connection::OnCryptoFrame(absl::Time now, EncryptionLevel level,
                                       const CryptoFrame& f) {
  (void)now;
  CryptoStream& cs = crypto_[static_cast<int>(level)];
  // RFC 9000 §7.5: more out-of-order CRYPTO data than we buffer is CRYPTO_BUFFER_EXCEEDED.
  if (f.offset + f.data.size() > cs.recv.read_offset() + kMaxCryptoReassembly) {
    return TransportErrorStatus(TransportErrorCode::kCryptoBufferExceeded,
                                "CRYPTO data beyond the reassembly limit", 0x06);
  }
  absl::Status st = cs.recv.OnData(f.offset, f.data, false);
  if (!st.ok()) {
    return TransportErrorStatus(TransportErrorCode::kCryptoBufferExceeded,
                                std::string(st.message()), 0x06);
  }
  while (true) {
    absl::Span<const uint8_t> ready = cs.recv.Peek();
    if (ready.empty()) break;
    absl::Status p = tls_->ProvideData(level, ready);
    size_t n = ready.size();
    cs.recv.Consume(n);
    if (!p.ok()) {
      if (tls_->alert().has_value()) {
        return TransportErrorStatus(CryptoError(*tls_->alert()), std::string(p.message()));
      }
      TransportErrorCode code = GetTransportErrorCode(p);
      if (code == TransportErrorCode::kInternalError) {
        code = TransportErrorCode::kCryptoBufferExceeded;
      }
      return TransportErrorStatus(code, std::string(p.message()));
    }
  }
  return DriveTls();
}

absl::Status Connection::DriveTls() {
  if (state_ != State::kOpen) return absl::OkStatus();
  // A server knows the client's transport parameters once it has read the ClientHello; it needs
  // them before the handshake completes to send 0.5-RTT data (responses to 0-RTT requests)
  // within the client's stream and flow-control limits (RFC 9000 §7.4).
  if (perspective_ == Perspective::kServer && !have_peer_params_ &&
      !tls_->peer_transport_params().empty()) {
    absl::Status st = OnPeerTransportParameters();
    if (!st.ok()) return st;
  }
  if (!handshake_complete_ && tls_->handshake_complete()) {
    if (!have_peer_params_) {
      absl::Status st = OnPeerTransportParameters();
      if (!st.ok()) return st;
    }
    OnHandshakeCompleteInternal(now_);
  }
  // Keys may have arrived: retry buffered packets (RFC 9001 §5.7).
  if (!undecryptable_.empty()) {
    std::deque<BufferedPacket> pending;
    pending.swap(undecryptable_);
    for (BufferedPacket& b : pending) {
      if (state_ != State::kOpen) break;
      ProcessDatagram(now_, b.path, absl::MakeSpan(b.bytes));
    }
  }
  return absl::OkStatus();
}

void Connection::OnHandshakeCompleteInternal(absl::Time now) {
  handshake_complete_ = true;
  if (observer_) observer_->OnConnectionStateChanged(now, "handshake_complete");
  Emit(ConnectionEvent{ConnectionEvent::Type::kHandshakeCompleted});
  for (IssuedConnectionId& id : cids_.TopUpLocalIds()) pending_new_cids_.push_back(id);
  if (perspective_ == Perspective::kServer) {
    // RFC 9001 §4.1.2: the server's handshake is confirmed when it completes.
    handshake_done_pending_ = true;
    ConfirmHandshake(now);
  }
  // 0-RTT keys are no longer used for sending once 1-RTT keys exist (RFC 9001 §4.9.3).
  if (perspective_ == Perspective::kClient) {
    write_keys_[static_cast<int>(EncryptionLevel::kEarlyData)].reset();
  }
}

void Connection::ConfirmHandshake(absl::Time now) {
  if (handshake_confirmed_) return;
  handshake_confirmed_ = true;
  recovery_->SetHandshakeConfirmed(true, now);
  if (perspective_ == Perspective::kClient) {
    address_validated_ = true;
    recovery_->SetPeerAddressValidated(true, now);
  }
  // RFC 9001 §4.9.2: Handshake keys go once the handshake is confirmed.
  DiscardSpace(now, PacketNumberSpace::kInitial);
  DiscardSpace(now, PacketNumberSpace::kHandshake);
  if (observer_) observer_->OnConnectionStateChanged(now, "handshake_confirmed");
  Emit(ConnectionEvent{ConnectionEvent::Type::kHandshakeConfirmed});
}

void Connection::DiscardSpace(absl::Time now, PacketNumberSpace sp) {
  Space& s = space(sp);
  if (s.discarded) return;
  s.discarded = true;
  recovery_->DiscardSpace(sp, now);
  s.sent.Clear();
  s.probes_pending = 0;
  EncryptionLevel level =
      sp == PacketNumberSpace::kInitial ? EncryptionLevel::kInitial : EncryptionLevel::kHandshake;
  if (sp != PacketNumberSpace::kApplication) {
    read_keys_[static_cast<int>(level)].reset();
    write_keys_[static_cast<int>(level)].reset();
    crypto_[static_cast<int>(level)].send.Discard();
  }
  if (observer_) {
    observer_->OnKeyUpdated(now, sp == PacketNumberSpace::kInitial ? "initial_discarded"
                                                                  : "handshake_discarded",
                            0);
  }
}

absl::Status Connection::OnStreamFrame(absl::Time now, const StreamFrame& f) {
  (void)now;
  absl::Status st = streams_->OnStreamFrame(f.stream_id, f.offset, f.data, f.fin);
  if (!st.ok()) return st;
  // Consecutive frames mostly name the same stream; duplicates go at EmitStreamEvents.
  if (readable_streams_.empty() || readable_streams_.back() != f.stream_id) {
    readable_streams_.push_back(f.stream_id);
  }
  return absl::OkStatus();
}

void Connection::ReleaseStreamIfDone(uint64_t stream_id) {
  // A finished stream leaves the scheduler too, or every request would leave an entry behind.
  if (streams_->MaybeReleaseStream(stream_id)) scheduler_.Unregister(stream_id);
}

void Connection::EmitStreamEvents() {
  while (Stream* s = streams_->AcceptStream()) {
    ConnectionEvent ev{ConnectionEvent::Type::kStreamOpened};
    ev.stream_id = s->id();
    Emit(std::move(ev));
  }
  // One event per stream, in stream ID order.
  std::sort(readable_streams_.begin(), readable_streams_.end());
  readable_streams_.erase(std::unique(readable_streams_.begin(), readable_streams_.end()),
                          readable_streams_.end());
  for (uint64_t id : readable_streams_) {
    ConnectionEvent ev{ConnectionEvent::Type::kStreamReadable};
    ev.stream_id = id;
    Emit(std::move(ev));
  }
  readable_streams_.clear();
}

// --- Send path ---

size_t Connection::AmplificationBudget() const {
  // RFC 9000 §8.1: before validating the client's address a server sends at most three times
  // what it received.
  // RFC 9000 §9.3: the same limit applies to a new peer address until it is validated.
  if (perspective_ == Perspective::kClient || (address_validated_ && path_validated_)) {
    return SIZE_MAX;
  }
  uint64_t limit = 3 * amp_bytes_received_;
  return limit > amp_bytes_sent_ ? static_cast<size_t>(limit - amp_bytes_sent_) : 0;
}

bool Connection::HasDataToSend(EncryptionLevel level, absl::Time now) const {
  (void)now;
  if (crypto_[static_cast<int>(level)].send.HasDataToSend()) return true;
  if (level != EncryptionLevel::kApplication && level != EncryptionLevel::kEarlyData) {
    return false;
  }
  if (level == EncryptionLevel::kApplication) {
    if (handshake_done_pending_ || new_token_pending_ || !pending_new_cids_.empty() ||
        !cids_.pending_retirements_view().empty() || !pending_path_responses_.empty() ||
        ping_pending_ || challenge_send_pending_) {
      return true;
    }
    if (streams_->PendingMaxData().has_value() || streams_->PendingDataBlocked().has_value() ||
        streams_->PendingMaxStreams(true).has_value() ||
        streams_->PendingMaxStreams(false).has_value() ||
        streams_->HasStreamsWithPendingControlFrames()) {
      return true;
    }
  }
  if (!pending_datagrams_.empty()) return true;
  return scheduler_.HasReady();
}

bool Connection::WantsToSend(EncryptionLevel level, absl::Time now, bool congestion_allows) const {
  PacketNumberSpace sp = tls::SpaceOf(level);
  const Space& s = space(sp);
  if (s.discarded || WriteKeys(level) == nullptr) return false;
  if (level == EncryptionLevel::kEarlyData) {
    // 0-RTT only until 1-RTT keys exist; it carries no ACKs.
    if (app_keys_.write != nullptr) return false;
    return congestion_allows && HasDataToSend(level, now);
  }
  if (level == EncryptionLevel::kApplication && !handshake_complete_ &&
      perspective_ == Perspective::kClient) {
    // The client sends 1-RTT only after its Finished (keys arrive with it, so this is rare).
    return false;
  }
  std::optional<absl::Time> ack_deadline = s.acks->AckDeadline();
  if (ack_deadline.has_value() && *ack_deadline <= now) return true;
  if (s.probes_pending > 0) return true;
  return congestion_allows && HasDataToSend(level, now);
}

std::optional<Transmit> Connection::PollTransmit(absl::Time now, absl::Span<uint8_t> out) {
  now_ = now;
  if (state_ == State::kTerminated || state_ == State::kDraining) return std::nullopt;
  size_t max_size = std::min(out.size(), config_.max_datagram_size);
  if (have_peer_params_) {
    max_size = std::min<size_t>(max_size, peer_params_.max_udp_payload_size);
  }
  size_t budget = AmplificationBudget();
  if (state_ == State::kClosing) {
    if (!close_send_pending_) return std::nullopt;
    close_send_pending_ = false;
    max_size = std::min(max_size, budget);
    size_t offset = 0;
    for (EncryptionLevel level : {EncryptionLevel::kInitial, EncryptionLevel::kHandshake,
                                  EncryptionLevel::kApplication}) {
      if (WriteKeys(level) == nullptr || space(tls::SpaceOf(level)).discarded) continue;
      if (max_size - offset < kMinPacketRoom) break;
      bool has_initial = level == EncryptionLevel::kInitial;
      size_t min_size = (has_initial && perspective_ == Perspective::kClient)
                            ? kMinInitialDatagramSize
                            : 0;
      offset += BuildClosePacket(now, level, out.subspan(offset, max_size - offset), min_size);
      // An application close goes only in 1-RTT once we have it (RFC 9000 §10.2.3).
      if (level == EncryptionLevel::kHandshake && app_keys_.write != nullptr) break;
    }
    if (offset == 0) return std::nullopt;
    amp_bytes_sent_ += offset;
    stats_.bytes_sent += offset;
    return Transmit{offset, path_};
  }
  MaybeInitiateScheduledKeyUpdate(now);
  // RFC 9000 §13.4.2: mark ECT(0) until validation shows the path mangles ECN.
  tx_ecn_ = config_.enable_ecn && !recovery_->ecn_validation_failed() ? EcnCodepoint::kEct0
                                                                       : EcnCodepoint::kNotEct;
  max_size = std::min(max_size, budget);
  if (max_size < kMinPacketRoom) {
    recovery_->SetAmplificationBlocked(budget < kMinPacketRoom, now);
    return std::nullopt;
  }
  recovery_->SetAmplificationBlocked(false, now);

  bool any_probe = false;
  for (const Space& s : spaces_) any_probe = any_probe || s.probes_pending > 0;
  bool congestion_allows =
      any_probe || (recovery_->CanSend(config_.max_datagram_size) &&
                    recovery_->NextPacingTime(now) <= now);

  static constexpr EncryptionLevel kOrder[] = {EncryptionLevel::kInitial,
                                               EncryptionLevel::kHandshake,
                                               EncryptionLevel::kEarlyData,
                                               EncryptionLevel::kApplication};
  bool wants[4] = {false, false, false, false};
  int last = -1;
  for (int i = 0; i < 4; ++i) {
    wants[i] = WantsToSend(kOrder[i], now, congestion_allows);
    if (wants[i]) last = i;
  }
  if (last < 0) return std::nullopt;
  // RFC 9000 §14.1: a client pads every datagram carrying an Initial; a server pads those with
  // ack-eliciting Initials. The padding goes into the datagram's last packet.
  bool pad = wants[0] && (perspective_ == Perspective::kClient ||
                          crypto_[0].send.HasDataToSend() || space(PacketNumberSpace::kInitial).probes_pending > 0);
  size_t offset = 0;
  int last_built = -1;
  bool handshake_flight = false;  // an ack-eliciting Initial or Handshake packet went in
  for (int i = 0; i < 4; ++i) {
    if (!wants[i]) continue;
    if (max_size - offset < kMinPacketRoom) break;
    size_t min_size = 0;
    if (pad && i == last && offset < kMinInitialDatagramSize) {
      min_size = kMinInitialDatagramSize - offset;
    }
    // RFC 9000 §8.2.1, §8.2.2: datagrams with PATH_CHALLENGE or PATH_RESPONSE are expanded
    // to 1200 bytes, within the amplification limit.
    if (kOrder[i] == EncryptionLevel::kApplication &&
        (challenge_send_pending_ || !pending_path_responses_.empty()) &&
        offset < kMinInitialDatagramSize && max_size >= kMinInitialDatagramSize) {
      min_size = std::max(min_size, kMinInitialDatagramSize - offset);
    }
    bool ack_eliciting = false;
    size_t n = BuildPacket(now, kOrder[i], out.subspan(offset, max_size - offset), min_size,
                           &ack_eliciting, congestion_allows);
    if (n > 0) last_built = i;
    if (ack_eliciting && i < 2) handshake_flight = true;
    offset += n;
  }
  if (pad && offset > 0 && offset < kMinInitialDatagramSize && last_built >= 0 &&
      max_size >= kMinInitialDatagramSize) {
    // The last planned packet came out empty: add a padding packet at the last level used
    // (not after a short-header packet, which must end the datagram).
    EncryptionLevel level = kOrder[last_built];
    if (level != EncryptionLevel::kApplication) {
      bool ack_eliciting = false;
      offset += BuildPacket(now, level, out.subspan(offset, max_size - offset),
                            kMinInitialDatagramSize - offset, &ack_eliciting, false);
    }
  }
  if (offset == 0) return std::nullopt;
  amp_bytes_sent_ += offset;
  stats_.bytes_sent += offset;
  // A client's handshake round trip: its first ack-eliciting Initial/Handshake datagram after
  // hearing from the server (or at all). 0-RTT datagrams, ACKs and the rest of one flight
  // do not start another.
  if (perspective_ == Perspective::kClient && !handshake_complete_ && handshake_flight &&
      !handshake_flight_counted_) {
    stats_.handshake_round_trips++;
    handshake_flight_counted_ = true;
  }
  return Transmit{offset, path_, tx_ecn_};
}

size_t Connection::BuildPacket(absl::Time now, EncryptionLevel level, absl::Span<uint8_t> out,
                               size_t min_size, bool* ack_eliciting, bool allow_data) {
  PacketNumberSpace sp = tls::SpaceOf(level);
  Space& s = space(sp);
  tls::PacketProtector* keys = WriteKeys(level);
  if (keys == nullptr) return 0;
  const size_t tag = keys->tag_length();
  uint64_t pn = s.next_pn;
  size_t pn_len = PacketNumberLengthForSend(pn, s.largest_acked_by_peer);
  DataWriter w(out);
  size_t length_field_offset = 0;
  size_t pn_offset = 0;
  bool key_phase = app_keys_.key_phase;
  if (level == EncryptionLevel::kApplication) {
    if (!WriteShortHeader(w, cids_.ActivePeerId(), false, key_phase, pn_len,
                          TruncatePacketNumber(pn, pn_len), &pn_offset)) {
      return 0;
    }
  } else {
    LongHeaderFields f;
    f.type = PacketTypeFor(level);
    f.version = version_;
    f.dcid = cids_.ActivePeerId();
    f.scid = cids_.InitialLocalId().id;
    if (level == EncryptionLevel::kInitial && perspective_ == Perspective::kClient) {
      f.token = absl::MakeConstSpan(retry_token_);
    }
    if (!WriteLongHeader(w, f, pn_len, TruncatePacketNumber(pn, pn_len), kLengthFieldLength,
                         &length_field_offset, &pn_offset)) {
      return 0;
    }
  }
  const size_t header_len = w.length();
  if (out.size() < header_len + tag + 8) return 0;
  DataWriter pw(out.subspan(header_len, out.size() - header_len - tag));
  SentPacketRecord rec;
  rec.level = level;
  rec.key_phase = key_phase;
  PacketInfo info;
  info.type = PacketTypeFor(level);
  info.packet_number = pn;
  info.key_phase = key_phase;
  bool eliciting = false;
  auto note = [&](const Frame& frame) {
    if (observer_) observer_->OnFrame(now, info, frame, /*sent=*/true);
  };

  // 1. ACK (never in 0-RTT).
  if (level != EncryptionLevel::kEarlyData && s.acks->HasNewAckToSend()) {
    AckRanges ranges = s.acks->BuildAck(now);
    if (!ranges.empty()) {
      absl::InlinedVector<AckRange, 8> wire;
      for (const PacketRange& r : ranges.ranges) wire.push_back(AckRange{r.smallest, r.largest});
      uint64_t delay_raw = static_cast<uint64_t>(
                               std::max<int64_t>(0, absl::ToInt64Microseconds(ranges.ack_delay))) >>
                           config_.ack_delay_exponent;
      std::optional<EcnCounts> ecn;
      if (ranges.ecn.has_value()) ecn = EcnCounts{ranges.ecn->ect0, ranges.ecn->ect1, ranges.ecn->ce};
      size_t written = WriteAckFrameWithinBudget(pw, absl::MakeConstSpan(wire), delay_raw, ecn,
                                                 pw.remaining());
      if (written > 0) {
        s.acks->OnAckSent(pn, ranges);
        rec.largest_acked = ranges.largest();
        if (observer_) {
          AckFrame af;
          for (size_t i = 0; i < written; ++i) af.ranges.push_back(wire[i]);
          af.ack_delay = delay_raw;
          af.ecn = ecn;
          note(af);
        }
      }
    }
  }

  if (allow_data || s.probes_pending > 0) {
    // 2. HANDSHAKE_DONE (server, 1-RTT).
    if (level == EncryptionLevel::kApplication && handshake_done_pending_ &&
        EncodeFrame(HandshakeDoneFrame{}, pw)) {
      handshake_done_pending_ = false;
      rec.handshake_done = true;
      eliciting = true;
      note(HandshakeDoneFrame{});
    }
    // NEW_TOKEN (server, 1-RTT only: RFC 9000 §12.4).
    if (level == EncryptionLevel::kApplication && new_token_pending_) {
      NewTokenFrame f{absl::MakeConstSpan(new_token_)};
      if (EncodeFrame(f, pw)) {
        new_token_pending_ = false;
        rec.new_token = true;
        eliciting = true;
        note(f);
      }
    }
    // 3. CRYPTO.
    CryptoStream& cs = crypto_[static_cast<int>(level)];
    while (cs.send.HasDataToSend() && pw.remaining() > 16) {
      std::optional<SendChunk> chunk = cs.send.NextChunk(pw.remaining() - 13);
      if (!chunk.has_value() || chunk->length == 0) break;
      if (!WriteCryptoFrameHeader(pw, chunk->offset, chunk->length)) {
        cs.send.OnLost(chunk->offset, chunk->length, false);
        break;
      }
      uint8_t* dst = pw.Reserve(chunk->length);
      cs.send.CopyData(chunk->offset, chunk->length, dst);
      rec.crypto.push_back(SentCryptoRange{chunk->offset, chunk->length});
      eliciting = true;
      if (observer_) {
        CryptoFrame cf;
        cf.offset = chunk->offset;
        cf.data = absl::Span<const uint8_t>(dst, chunk->length);
        note(cf);
      }
    }
    if (level == EncryptionLevel::kApplication) {
      // 4. Connection control frames.
      auto put = [&](const Frame& frame) {
        if (!EncodeFrame(frame, pw)) return false;
        eliciting = true;
        note(frame);
        return true;
      };
      if (std::optional<uint64_t> v = streams_->PendingMaxData()) {
        if (put(MaxDataFrame{*v})) {
          streams_->OnMaxDataSent();
          rec.max_data = true;
        }
      }
      for (bool bidi : {true, false}) {
        if (std::optional<uint64_t> v = streams_->PendingMaxStreams(bidi)) {
          if (put(MaxStreamsFrame{bidi, *v})) {
            streams_->OnMaxStreamsSent(bidi);
            (bidi ? rec.max_streams_bidi : rec.max_streams_uni) = true;
          }
        }
        if (std::optional<uint64_t> v = streams_->PendingStreamsBlocked(bidi)) {
          if (put(StreamsBlockedFrame{bidi, *v})) streams_->OnStreamsBlockedSent(bidi);
        }
      }
      if (std::optional<uint64_t> v = streams_->PendingDataBlocked()) {
        if (put(DataBlockedFrame{*v})) {
          streams_->OnDataBlockedSent();
          rec.data_blocked = true;
        }
      }
      for (uint64_t id : streams_->StreamsWithPendingControlFrames()) {
        Stream* st = streams_->GetStream(id);
        if (st == nullptr) continue;
        if (std::optional<ResetStreamInfo> r = st->PendingResetStream()) {
          if (put(ResetStreamFrame{id, r->error_code, r->final_size})) {
            st->OnControlFrameSent(StreamControlFrame::kResetStream);
            rec.stream_controls.push_back({id, SentStreamControl::kResetStream});
          }
        }
        if (std::optional<uint64_t> code = st->PendingStopSending()) {
          if (put(StopSendingFrame{id, *code})) {
            st->OnControlFrameSent(StreamControlFrame::kStopSending);
            rec.stream_controls.push_back({id, SentStreamControl::kStopSending});
          }
        }
        if (std::optional<uint64_t> v = st->PendingMaxStreamData()) {
          if (put(MaxStreamDataFrame{id, *v})) {
            st->OnControlFrameSent(StreamControlFrame::kMaxStreamData);
            rec.stream_controls.push_back({id, SentStreamControl::kMaxStreamData});
          }
        }
        if (std::optional<uint64_t> v = st->PendingStreamDataBlocked()) {
          if (put(StreamDataBlockedFrame{id, *v})) {
            st->OnControlFrameSent(StreamControlFrame::kStreamDataBlocked);
            rec.stream_controls.push_back({id, SentStreamControl::kStreamDataBlocked});
          }
        }
      }
      while (!pending_new_cids_.empty()) {
        const IssuedConnectionId& id = pending_new_cids_.front();
        NewConnectionIdFrame f;
        f.sequence_number = id.sequence_number;
        f.retire_prior_to = 0;
        f.connection_id = id.id;
        f.stateless_reset_token = id.reset_token;
        if (!cids_.LocalIdBySequence(id.sequence_number).has_value()) {
          pending_new_cids_.erase(pending_new_cids_.begin());
          continue;
        }
        if (!put(f)) break;
        rec.new_connection_ids.push_back(id.sequence_number);
        pending_new_cids_.erase(pending_new_cids_.begin());
      }
      std::vector<uint64_t>& retire = cids_.pending_retirements();
      while (!retire.empty()) {
        if (!put(RetireConnectionIdFrame{retire.front()})) break;
        rec.retire_connection_ids.push_back(retire.front());
        retire.erase(retire.begin());
      }
      if (challenge_send_pending_ && outgoing_challenge_.has_value() &&
          put(PathChallengeFrame{*outgoing_challenge_})) {
        challenge_send_pending_ = false;
        stats_.path_challenges_sent++;
      }
      while (!pending_path_responses_.empty()) {
        if (!put(PathResponseFrame{pending_path_responses_.front()})) break;
        pending_path_responses_.pop_front();
      }
    }
    // 5. DATAGRAM frames (not retransmitted, RFC 9221 §5.2).
    if (level == EncryptionLevel::kApplication || level == EncryptionLevel::kEarlyData) {
      while (!pending_datagrams_.empty()) {
        const std::vector<uint8_t>& d = pending_datagrams_.front();
        DatagramFrame f;
        f.data = absl::MakeConstSpan(d);
        f.has_length = true;
        if (EncodedSize(f) > pw.remaining()) break;
        EncodeFrame(f, pw);
        note(f);
        eliciting = true;
        pending_datagram_bytes_ -= d.size();
        pending_datagrams_.pop_front();
      }
      // 6. STREAM frames in scheduler order, within flow control and the packet.
      while (pw.remaining() > 24) {
        std::optional<uint64_t> next = scheduler_.Next();
        if (!next.has_value()) break;
        uint64_t id = *next;
        Stream* st = streams_->GetStream(id);
        if (st == nullptr || !st->HasDataToSend()) {
          scheduler_.MarkBlocked(id);
          if (st != nullptr && st->send_buffer().HasDataToSend()) flow_blocked_streams_.insert(id);
          continue;
        }
        // Room for the header: type + id + offset (8) + length (2).
        size_t header_bound = 1 + VarIntLength(id) + 8 + 2;
        if (pw.remaining() <= header_bound) break;
        std::optional<SendChunk> chunk = st->NextChunk(pw.remaining() - header_bound);
        if (!chunk.has_value()) {
          scheduler_.MarkBlocked(id);
          flow_blocked_streams_.insert(id);
          continue;
        }
        if (!WriteStreamFrameHeader(pw, id, chunk->offset, chunk->length, chunk->fin, true)) {
          st->OnChunkLost(chunk->offset, chunk->length, chunk->fin);
          break;
        }
        uint8_t* dst = pw.Reserve(chunk->length);
        if (chunk->length > 0) st->CopyData(chunk->offset, chunk->length, dst);
        rec.streams.push_back(SentStreamRange{id, chunk->offset, chunk->length, chunk->fin});
        scheduler_.OnBytesWritten(id, chunk->length);
        eliciting = true;
        stats_.stream_bytes_sent += chunk->length;
        if (chunk->retransmission) stats_.stream_bytes_retransmitted += chunk->length;
        if (observer_) {
          StreamFrame sf;
          sf.stream_id = id;
          sf.offset = chunk->offset;
          sf.data = absl::Span<const uint8_t>(dst, chunk->length);
          sf.fin = chunk->fin;
          note(sf);
        }
        if (!st->HasDataToSend()) {
          scheduler_.MarkBlocked(id);
          // Out of credit with data left: MAX_DATA / MAX_STREAM_DATA will wake it.
          if (st->send_buffer().HasDataToSend()) flow_blocked_streams_.insert(id);
        }
      }
    }
    // 7. A PING when a probe or keep-alive needs an ack-eliciting packet.
    if (!eliciting && (s.probes_pending > 0 || (ping_pending_ && level == EncryptionLevel::kApplication))) {
      if (EncodeFrame(PingFrame{}, pw)) {
        eliciting = true;
        note(PingFrame{});
        if (level == EncryptionLevel::kApplication) ping_pending_ = false;
      }
    }
  }

  size_t payload_len = pw.length();
  if (payload_len == 0 && min_size == 0) {
    return 0;  // nothing to send at this level after all
  }
  // Padding: RFC 9001 §5.4.2 needs pn + payload >= 4 for the header protection sample; the
  // caller may ask for a minimum packet size (RFC 9000 §14.1).
  size_t padding = 0;
  if (pn_len + payload_len < 4) padding = 4 - pn_len - payload_len;
  if (header_len + payload_len + padding + tag < min_size) {
    padding = min_size - header_len - payload_len - tag;
  }
  padding = std::min(padding, pw.remaining());
  if (padding > 0) {
    pw.WritePadding(padding);
    if (observer_) note(PaddingFrame{padding});
  }
  payload_len = pw.length();
  if (level != EncryptionLevel::kApplication) {
    if (!PatchLongHeaderLength(out, length_field_offset, kLengthFieldLength,
                               pn_len + payload_len + tag)) {
      return 0;
    }
  }
  absl::StatusOr<size_t> sealed =
      keys->ProtectPacket(out.data(), header_len, pn_len, pn, payload_len, out.size());
  if (!sealed.ok()) return 0;
  size_t size = *sealed;
  s.next_pn++;
  SentPacket sent;
  sent.packet_number = pn;
  sent.time_sent = now;
  sent.bytes = size;
  sent.ack_eliciting = eliciting;
  sent.in_flight = eliciting || padding > 0;
  sent.ecn = tx_ecn_;
  recovery_->OnPacketSent(sp, sent);
  if (eliciting) {
    rec.ack_eliciting = true;
    s.sent.Insert(pn, std::move(rec));
    if (s.probes_pending > 0) s.probes_pending--;
    // RFC 9000 §10.1: sending the first ack-eliciting packet since the last receipt restarts
    // the idle timer.
    if (!ack_eliciting_sent_since_receive_) {
      idle_start_ = now;
      ack_eliciting_sent_since_receive_ = true;
    }
  }
  if (level == EncryptionLevel::kApplication) app_keys_.packets_in_phase++;
  if (level == EncryptionLevel::kEarlyData) stats_.zero_rtt_packets_sent++;
  if (level == EncryptionLevel::kHandshake && perspective_ == Perspective::kClient &&
      !sent_handshake_packet_) {
    // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
    sent_handshake_packet_ = true;
    DiscardSpace(now, PacketNumberSpace::kInitial);
  }
  stats_.packets_sent++;
  info.size = size;
  if (observer_) observer_->OnPacketSent(now, info);
  *ack_eliciting = eliciting;
  return size;
}

size_t Connection::BuildClosePacket(absl::Time now, EncryptionLevel level, absl::Span<uint8_t> out,
                                    size_t min_size) {
  tls::PacketProtector* keys = WriteKeys(level);
  if (keys == nullptr) return 0;
  Space& s = space(tls::SpaceOf(level));
  uint64_t pn = s.next_pn;
  size_t pn_len = PacketNumberLengthForSend(pn, s.largest_acked_by_peer);
  DataWriter w(out);
  size_t length_field_offset = 0;
  size_t pn_offset = 0;
  if (level == EncryptionLevel::kApplication) {
    if (!WriteShortHeader(w, cids_.ActivePeerId(), false, app_keys_.key_phase, pn_len,
                          TruncatePacketNumber(pn, pn_len), &pn_offset)) {
      return 0;
    }
  } else {
    LongHeaderFields f;
    f.type = PacketTypeFor(level);
    f.version = version_;
    f.dcid = cids_.ActivePeerId();
    f.scid = cids_.InitialLocalId().id;
    if (level == EncryptionLevel::kInitial && perspective_ == Perspective::kClient) {
      f.token = absl::MakeConstSpan(retry_token_);
    }
    if (!WriteLongHeader(w, f, pn_len, TruncatePacketNumber(pn, pn_len), kLengthFieldLength,
                         &length_field_offset, &pn_offset)) {
      return 0;
    }
  }
  size_t header_len = w.length();
  size_t tag = keys->tag_length();
  if (out.size() < header_len + tag + 8) return 0;
  DataWriter pw(out.subspan(header_len, out.size() - header_len - tag));
  ConnectionCloseFrame frame = close_frame_;
  frame.reason_phrase = absl::MakeConstSpan(
      reinterpret_cast<const uint8_t*>(close_reason_storage_.data()), close_reason_storage_.size());
  if (frame.is_application && level != EncryptionLevel::kApplication) {
    // RFC 9000 §10.2.3: no application details outside 1-RTT.
    frame.is_application = false;
    frame.error_code = static_cast<uint64_t>(TransportErrorCode::kApplicationError);
    frame.frame_type = 0;
    frame.reason_phrase = {};
  }
  if (!EncodeFrame(frame, pw)) {
    frame.reason_phrase = {};
    if (!EncodeFrame(frame, pw)) return 0;
  }
  size_t payload_len = pw.length();
  size_t padding = 0;
  if (pn_len + payload_len < 4) padding = 4 - pn_len - payload_len;
  if (header_len + payload_len + padding + tag < min_size) {
    padding = min_size - header_len - payload_len - tag;
  }
  padding = std::min(padding, pw.remaining());
  pw.WritePadding(padding);
  payload_len = pw.length();
  if (level != EncryptionLevel::kApplication &&
      !PatchLongHeaderLength(out, length_field_offset, kLengthFieldLength,
                             pn_len + payload_len + tag)) {
    return 0;
  }
  absl::StatusOr<size_t> sealed =
      keys->ProtectPacket(out.data(), header_len, pn_len, pn, payload_len, out.size());
  if (!sealed.ok()) return 0;
  s.next_pn++;
  stats_.packets_sent++;
  if (observer_) {
    PacketInfo info;
    info.type = PacketTypeFor(level);
    info.packet_number = pn;
    info.key_phase = app_keys_.key_phase;
    info.size = *sealed;
    observer_->OnFrame(now, info, frame, /*sent=*/true);
    if (padding > 0) observer_->OnFrame(now, info, PaddingFrame{padding}, /*sent=*/true);
    observer_->OnPacketSent(now, info);
  }
  return *sealed;
}

// --- Paths (RFC 9000 §8.2, §9) ---

absl::Status Connection::MigrateTo(absl::Time now, const NetworkPath& new_path) {
  now_ = now;
  if (perspective_ != Perspective::kClient) {
    return absl::FailedPreconditionError("only a client migrates");
  }
  if (state_ != State::kOpen || !handshake_confirmed_) {
    // RFC 9000 §9: not before the handshake is confirmed.
    return absl::FailedPreconditionError("migration needs a confirmed, open connection");
  }
  if (peer_params_.disable_active_migration) {
    return absl::FailedPreconditionError("the peer disabled active migration");
  }
  if (new_path == path_) return absl::OkStatus();
  // RFC 9000 §9.5: a new path gets a connection ID never used on another path.
  if (!cids_.RotatePeerId()) {
    return absl::ResourceExhaustedError("no unused connection ID from the peer");
  }
  path_ = new_path;
  stats_.migrations++;
  StartPathValidation(now);
  if (observer_) observer_->OnConnectionStateChanged(now, "path_migrated");
  return absl::OkStatus();
}

void Connection::StartPathValidation(absl::Time now) {
  PathChallengeData data;
  random_(data.data(), data.size());
  outgoing_challenge_ = data;
  challenge_send_pending_ = true;
  path_validated_ = false;
  challenge_resend_at_ = now + Pto();
  // RFC 9000 §8.2.4: give up after three PTOs (at least 3 x 2 x kInitialRtt, §8.2.4 note).
  challenge_deadline_ = now + std::max(3 * Pto(), absl::Milliseconds(6 * 333));
}

void Connection::OnPathResponse(absl::Time now, const PathChallengeData& data) {
  // RFC 9000 §8.2.3: a response that matches no outstanding challenge is ignored.
  if (!outgoing_challenge_.has_value() || data != *outgoing_challenge_) return;
  outgoing_challenge_.reset();
  challenge_send_pending_ = false;
  challenge_resend_at_ = absl::InfiniteFuture();
  challenge_deadline_ = absl::InfiniteFuture();
  path_validated_ = true;
  previous_path_.reset();
  stats_.paths_validated++;
  if (observer_) observer_->OnConnectionStateChanged(now, "path_validated");
}

void Connection::OnPeerAddressChange(absl::Time now, const NetworkPath& path,
                                     const ConnectionId& dcid) {
  // RFC 9000 §9.3: the server moves to the new address at once, but limits what it sends
  // there (anti-amplification) until PATH_CHALLENGE confirms it.
  if (path_validated_) previous_path_ = path_;
  path_ = path;
  stats_.migrations++;
  amp_bytes_received_ = rx_datagram_size_;
  amp_bytes_sent_ = 0;
  // RFC 9000 §9.5: if the peer moved to a new connection ID, so do we, so that the two paths
  // cannot be linked by an observer.
  if (last_peer_dcid_.length() > 0 && dcid != last_peer_dcid_) (void)cids_.RotatePeerId();
  StartPathValidation(now);
  if (observer_) observer_->OnConnectionStateChanged(now, "peer_address_changed");
}

void Connection::OnPathValidationTimeout(absl::Time now) {
  if (now >= challenge_deadline_) {
    outgoing_challenge_.reset();
    challenge_send_pending_ = false;
    challenge_resend_at_ = absl::InfiniteFuture();
    challenge_deadline_ = absl::InfiniteFuture();
    stats_.path_validation_failures++;
    if (previous_path_.has_value()) {
      // RFC 9000 §9.3.2: go back to the last validated peer address.
      path_ = *previous_path_;
      previous_path_.reset();
      path_validated_ = true;
      return;
    }
    // RFC 9000 §8.2.4: with no validated path left the connection cannot continue.
    CloseWithError(now, TransportErrorStatus(TransportErrorCode::kNoViablePath,
                                             "path validation failed"));
    return;
  }
  if (now >= challenge_resend_at_) {
    // A fresh challenge each time (RFC 9000 §8.2.1 lets several be outstanding; one suffices).
    challenge_send_pending_ = true;
    challenge_resend_at_ = now + Pto();
  }
}

// --- Timers ---

absl::Duration Connection::Pto() const {
  absl::Duration max_ack_delay =
      absl::Milliseconds(have_peer_params_ ? peer_params_.max_ack_delay_ms : 25);
  return recovery_->rtt().PtoDuration(handshake_confirmed_, max_ack_delay);
}

absl::Duration Connection::IdleTimeout() const {
  // RFC 9000 §10.1: the minimum of both advertised values (0 = none), but at least 3 PTOs.
  absl::Duration local = config_.max_idle_timeout;
  absl::Duration peer = have_peer_params_ ? absl::Milliseconds(peer_params_.max_idle_timeout_ms)
                                          : absl::ZeroDuration();
  absl::Duration t;
  if (local == absl::ZeroDuration()) {
    t = peer;
  } else if (peer == absl::ZeroDuration()) {
    t = local;
  } else {
    t = std::min(local, peer);
  }
  if (t == absl::ZeroDuration()) return absl::InfiniteDuration();
  return std::max(t, 3 * Pto());
}

std::optional<absl::Time> Connection::NextDeadline() const {
  if (state_ == State::kTerminated) return std::nullopt;
  if (state_ != State::kOpen) return close_deadline_;
  absl::Time d = idle_start_ + IdleTimeout();
  if (std::optional<absl::Time> loss = recovery_->LossDetectionDeadline()) d = std::min(d, *loss);
  for (int i = 0; i < tls::kNumPacketNumberSpaces; ++i) {
    const Space& s = spaces_[i];
    if (s.discarded) continue;
    EncryptionLevel level = i == 0   ? EncryptionLevel::kInitial
                            : i == 1 ? EncryptionLevel::kHandshake
                                     : EncryptionLevel::kApplication;
    if (WriteKeys(level) == nullptr) continue;
    if (std::optional<absl::Time> ack = s.acks->AckDeadline()) d = std::min(d, *ack);
  }
  if (app_keys_.read_prev != nullptr) d = std::min(d, app_keys_.read_prev_discard);
  if (outgoing_challenge_.has_value()) {
    d = std::min(d, std::min(challenge_resend_at_, challenge_deadline_));
  }
  // Pacing: data (stream data or a control frame) is waiting only for the pacer's release time.
  if (recovery_->CanSend(config_.max_datagram_size) &&
      HasDataToSend(EncryptionLevel::kApplication, now_)) {
    absl::Time pace = recovery_->NextPacingTime(now_);
    if (pace > now_) d = std::min(d, pace);
  }
  return d;
}

void Connection::OnTimeout(absl::Time now) {
  now_ = now;
  if (state_ == State::kTerminated) return;
  if (state_ != State::kOpen) {
    if (now >= close_deadline_) {
      CloseInfo info = close_info_.value_or(CloseInfo{});
      Terminate(std::move(info));
    }
    return;
  }
  if (now >= idle_start_ + IdleTimeout()) {
    // RFC 9000 §10.1: silently close.
    CloseInfo info;
    info.idle_timeout = true;
    info.reason = "idle timeout";
    Terminate(std::move(info));
    return;
  }
  if (app_keys_.read_prev != nullptr && now >= app_keys_.read_prev_discard) {
    app_keys_.read_prev.reset();
    app_keys_.read_prev_discard = absl::InfiniteFuture();
  }
  if (outgoing_challenge_.has_value()) OnPathValidationTimeout(now);
  std::optional<absl::Time> loss = recovery_->LossDetectionDeadline();
  if (loss.has_value() && *loss <= now) {
    TimeoutOutcome out = recovery_->OnLossDetectionTimeout(now);
    if (out.kind == TimeoutOutcome::Kind::kLossDetected) {
      PacketNumberSpace sp = out.space;
      Space& s = space(sp);
      SentPacketRecord rec;
      for (const SentPacket& p : out.lost) {
        s.acks->OnPacketLost(p.packet_number);
        stats_.packets_lost++;
        if (observer_) observer_->OnPacketLost(now, PacketTypeForSpace(sp), p.packet_number, p.bytes);
        if (!s.sent.Take(p.packet_number, &rec)) continue;
        HandleLost(now, sp, rec, p.packet_number);
      }
    }
    ReportRecoveryState(now);
    if (out.kind == TimeoutOutcome::Kind::kProbe) {
      Space& s = space(out.space);
      s.probes_pending = std::max(s.probes_pending, static_cast<int>(out.probe_packets));
      // RFC 9002 §6.2.4: probes should carry data; during the handshake resend the CRYPTO data
      // still in flight.
      if (out.space != PacketNumberSpace::kApplication) {
        s.sent.ForEach([this](uint64_t, const SentPacketRecord& rec) {
          for (const SentCryptoRange& c : rec.crypto) {
            crypto_[static_cast<int>(rec.level)].send.OnLost(c.offset, c.length, false);
          }
        });
      }
    }
  }
}

// --- Close ---

void Connection::CloseWithError(absl::Time now, const absl::Status& status) {
  if (state_ != State::kOpen) return;
  close_frame_ = ConnectionCloseFrame{};
  close_frame_.is_application = false;
  close_frame_.error_code = static_cast<uint64_t>(GetTransportErrorCode(status));
  close_frame_.frame_type = GetTransportErrorFrameType(status).value_or(0);
  close_reason_storage_ = std::string(status.message().substr(0, 256));
  CloseInfo info;
  info.by_peer = false;
  info.error_code = close_frame_.error_code;
  info.frame_type = close_frame_.frame_type;
  info.reason = close_reason_storage_;
  close_info_ = info;
  state_ = State::kClosing;
  close_send_pending_ = true;
  close_deadline_ = now + kClosePtoMultiplier * Pto();
  if (observer_) observer_->OnConnectionStateChanged(now, "closing");
}

void Connection::Close(absl::Time now, uint64_t application_error_code, std::string reason) {
  now_ = now;
  if (state_ != State::kOpen) return;
  close_frame_ = ConnectionCloseFrame{};
  close_frame_.is_application = true;
  close_frame_.error_code = application_error_code;
  close_reason_storage_ = reason.substr(0, 256);
  CloseInfo info;
  info.is_application = true;
  info.error_code = application_error_code;
  info.reason = close_reason_storage_;
  close_info_ = info;
  state_ = State::kClosing;
  close_send_pending_ = true;
  close_deadline_ = now + kClosePtoMultiplier * Pto();
  if (observer_) observer_->OnConnectionStateChanged(now, "closing");
}

void Connection::EnterDraining(absl::Time now, CloseInfo info) {
  if (state_ == State::kTerminated || state_ == State::kDraining) return;
  if (state_ == State::kOpen) close_info_ = info;
  state_ = State::kDraining;
  close_deadline_ = now + kClosePtoMultiplier * Pto();
  if (observer_) observer_->OnConnectionStateChanged(now, "draining");
}

void Connection::Terminate(CloseInfo info) {
  if (state_ == State::kTerminated) return;
  if (!close_info_.has_value()) close_info_ = info;
  state_ = State::kTerminated;
  ConnectionEvent ev{ConnectionEvent::Type::kClosed};
  ev.close = *close_info_;
  Emit(std::move(ev));
  if (observer_) observer_->OnConnectionStateChanged(now_, "closed");
}

std::optional<ConnectionEvent> Connection::PollEvent() {
  if (events_.empty()) return std::nullopt;
  ConnectionEvent ev = std::move(events_.front());
  events_.pop_front();
  if (ev.type == ConnectionEvent::Type::kDatagramReceived) {
    received_datagram_bytes_ -= std::min(received_datagram_bytes_, ev.data.size());
  }
  return ev;
}

// --- Streams ---

absl::StatusOr<uint64_t> Connection::OpenStream(bool bidirectional) {
  if (state_ != State::kOpen) return absl::FailedPreconditionError("connection is closing");
  absl::StatusOr<Stream*> s = streams_->OpenLocalStream(bidirectional);
  if (!s.ok()) return s.status();
  scheduler_.Register((*s)->id(), Priority{});
  return (*s)->id();
}

absl::Status Connection::WriteStream(uint64_t stream_id, absl::Span<const uint8_t> data,
                                     bool fin) {
  if (state_ != State::kOpen) return absl::FailedPreconditionError("connection is closing");
  Stream* s = streams_->GetStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such stream");
  absl::Status st = s->Write(data, fin);
  if (!st.ok()) return st;
  if (!scheduler_.IsRegistered(stream_id)) scheduler_.Register(stream_id, Priority{});
  scheduler_.MarkReady(stream_id);
  return absl::OkStatus();
}

absl::StatusOr<size_t> Connection::ReadStream(uint64_t stream_id, uint8_t* dst, size_t max,
                                              bool* fin) {
  Stream* s = streams_->GetStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such stream");
  size_t n = s->Read(dst, max, now_, recovery_->rtt().smoothed_rtt());
  *fin = s->IsReadFinished();
  if (*fin) ReleaseStreamIfDone(stream_id);
  return n;
}

absl::Status Connection::ResetStream(uint64_t stream_id, uint64_t application_error_code) {
  Stream* s = streams_->GetStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such stream");
  scheduler_.Unregister(stream_id);
  return s->Reset(application_error_code);
}

absl::Status Connection::StopSending(uint64_t stream_id, uint64_t application_error_code) {
  Stream* s = streams_->GetStream(stream_id);
  if (s == nullptr) return absl::NotFoundError("no such stream");
  return s->StopSending(application_error_code);
}

absl::Status Connection::SetStreamPriority(uint64_t stream_id, uint8_t urgency, bool incremental) {
  if (urgency > 7) return absl::InvalidArgumentError("urgency is 0..7");
  Priority p;
  p.urgency = urgency;
  p.incremental = incremental;
  if (scheduler_.IsRegistered(stream_id)) {
    scheduler_.UpdatePriority(stream_id, p);
  } else {
    scheduler_.Register(stream_id, p);
  }
  return absl::OkStatus();
}

uint64_t Connection::StreamBufferedBytes(uint64_t stream_id) const {
  Stream* s = streams_->GetStream(stream_id);
  return s == nullptr ? 0 : s->bytes_buffered();
}

absl::Status Connection::SendNewToken(absl::Span<const uint8_t> token) {
  // RFC 9000 §19.7: only servers send NEW_TOKEN, and never an empty one.
  if (perspective_ != Perspective::kServer) {
    return absl::FailedPreconditionError("only a server sends NEW_TOKEN");
  }
  if (token.empty() || token.size() > kMaxAddressTokenLength) {
    return absl::InvalidArgumentError("NEW_TOKEN token empty or too long");
  }
  new_token_.assign(token.begin(), token.end());
  new_token_pending_ = true;
  return absl::OkStatus();
}

absl::Status Connection::SendDatagram(absl::Span<const uint8_t> data) {
  if (!peer_params_.max_datagram_frame_size.has_value() ||
      *peer_params_.max_datagram_frame_size == 0) {
    return absl::FailedPreconditionError("peer does not accept DATAGRAM frames");
  }
  if (data.size() > MaxDatagramPayload()) return absl::InvalidArgumentError("datagram too large");
  if (pending_datagram_bytes_ + data.size() > kMaxPendingDatagramBytes) {
    return absl::ResourceExhaustedError("datagram queue full");
  }
  pending_datagrams_.emplace_back(data.begin(), data.end());
  pending_datagram_bytes_ += data.size();
  return absl::OkStatus();
}

size_t Connection::MaxDatagramPayload() const {
  if (!peer_params_.max_datagram_frame_size.has_value()) return 0;
  // Short header (1 + CID + 4-byte pn), the frame's type and length, the AEAD tag.
  size_t overhead = 1 + kMaxConnectionIdLength + 4 + 1 + 2 + 16;
  size_t by_packet = config_.max_datagram_size > overhead ? config_.max_datagram_size - overhead : 0;
  return std::min<size_t>(by_packet, *peer_params_.max_datagram_frame_size);
}

}  // namespace kite::quic
