#include "quic/streams/stream_manager.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "quic/codec/transport_error.h"

namespace kite::quic {

StreamManager::StreamManager(Perspective perspective, const LocalStreamLimits& limits)
    : perspective_(perspective),
      local_(limits),
      connection_(/*send_limit=*/0, limits.initial_max_data,
                  limits.max_connection_receive_window),
      types_{} {
  for (bool bidi : {true, false}) {
    TypeState& peer = type(bidi, kPeer);
    peer.window = std::min(bidi ? limits.initial_max_streams_bidi : limits.initial_max_streams_uni,
                           kMaxStreamCount);
    peer.max_streams = peer.window;
  }
}

absl::Status StreamManager::SetPeerTransportParameters(const PeerStreamLimits& peer) {
  if (peer.initial_max_streams_bidi > kMaxStreamCount ||
      peer.initial_max_streams_uni > kMaxStreamCount) {
    return TransportErrorStatus(TransportErrorCode::kTransportParameterError,
                                "initial_max_streams above 2^60");
  }
  peer_ = peer;
  connection_.controller.SetSendLimit(peer.initial_max_data);
  for (bool bidi : {true, false}) {
    TypeState& t = type(bidi, kLocal);
    t.max_streams = std::max(t.max_streams, bidi ? peer.initial_max_streams_bidi
                                                 : peer.initial_max_streams_uni);
  }
  for (auto& [id, stream] : streams_) {
    if (!stream->has_send_side()) continue;
    // OnMaxStreamData only raises the limit.
    (void)stream->OnMaxStreamData(ConfigFor(id).send_limit);
  }
  return absl::OkStatus();
}

StreamConfig StreamManager::ConfigFor(uint64_t id) const {
  StreamConfig config;
  config.max_receive_window = local_.max_stream_receive_window;
  config.max_recv_fragments = local_.max_recv_fragments_per_stream;
  const bool local = IsLocallyInitiated(id, perspective_);
  if (IsBidirectional(id)) {
    // §18.2: "bidi_local" applies to streams opened by the endpoint sending the parameter.
    config.send_limit = local ? peer_.initial_max_stream_data_bidi_remote
                              : peer_.initial_max_stream_data_bidi_local;
    config.receive_window = local ? local_.initial_max_stream_data_bidi_local
                                  : local_.initial_max_stream_data_bidi_remote;
  } else {
    config.send_limit = local ? peer_.initial_max_stream_data_uni : 0;
    config.receive_window = local ? 0 : local_.initial_max_stream_data_uni;
  }
  config.max_receive_window = std::max(config.max_receive_window, config.receive_window);
  return config;
}

Stream* StreamManager::CreateStream(uint64_t id) {
  auto stream = std::make_unique<Stream>(id, perspective_, ConfigFor(id), &connection_);
  Stream* raw = stream.get();
  ForgetCached(id);
  streams_[id] = std::move(stream);
  return raw;
}

absl::StatusOr<Stream*> StreamManager::OpenLocalStream(bool bidi) {
  TypeState& t = type(bidi, kLocal);
  if (t.next_index >= t.max_streams) {
    // §4.6: tell the peer we are blocked, once per limit.
    if (t.blocked_reported_at != t.max_streams) {
      t.blocked_reported_at = t.max_streams;
      t.streams_blocked_pending = true;
    }
    return absl::UnavailableError("peer stream limit reached");
  }
  if (open_local_streams_ >= local_.max_open_local_streams) {
    return absl::ResourceExhaustedError("too many open local streams");
  }
  const uint64_t id = StreamIdFor(
      perspective_, bidi ? Direction::kBidirectional : Direction::kUnidirectional, t.next_index);
  ++t.next_index;
  ++open_local_streams_;
  return CreateStream(id);
}

absl::StatusOr<Stream*> StreamManager::GetOrCreatePeerStream(uint64_t id) {
  if (id > kMaxStreamId) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError,
                                "stream id beyond 2^62-1");
  }
  const bool bidi = IsBidirectional(id);
  const uint64_t index = StreamIndex(id);
  if (IsLocallyInitiated(id, perspective_)) {
    // §19.8 and friends: a frame for a stream of ours we have not opened.
    if (index >= type(bidi, kLocal).next_index) {
      return TransportErrorStatus(TransportErrorCode::kStreamStateError,
                                  absl::StrCat("stream ", id, " not yet opened"));
    }
    return GetStream(id);  // nullptr: closed and freed
  }
  TypeState& t = type(bidi, kPeer);
  if (index < t.next_index) return GetStream(id);
  if (index >= t.max_streams) {  // §4.6
    return TransportErrorStatus(TransportErrorCode::kStreamLimitError,
                                absl::StrCat("stream ", id, " beyond limit ", t.max_streams));
  }
  // §3.2: opening a stream opens every lower-numbered stream of its type.
  Stream* stream = nullptr;
  for (; t.next_index <= index; ++t.next_index) {
    const uint64_t new_id = StreamIdFor(OtherPerspective(perspective_),
                                        bidi ? Direction::kBidirectional
                                             : Direction::kUnidirectional,
                                        t.next_index);
    stream = CreateStream(new_id);
    accept_queue_.push_back(new_id);
  }
  return stream;
}

Stream* StreamManager::GetStream(uint64_t id) {
  // Called several times per packet for the few streams carrying data: a small direct-mapped
  // cache answers those without probing the hash map.
  CacheEntry& entry = cache_[CacheSlot(id)];
  if (entry.stream != nullptr && entry.id == id) return entry.stream;
  auto it = streams_.find(id);
  if (it == streams_.end()) return nullptr;
  entry.id = id;
  entry.stream = it->second.get();
  return entry.stream;
}

void StreamManager::ForgetCached(uint64_t id) {
  CacheEntry& entry = cache_[CacheSlot(id)];
  if (entry.id == id) entry.stream = nullptr;
}

absl::StatusOr<Stream*> StreamManager::StreamForFrame(uint64_t id, bool needs_recv_side,
                                                      const char* frame) {
  const bool ok = needs_recv_side ? HasReceiveSide(id, perspective_)
                                  : HasSendSide(id, perspective_);
  if (!ok) {
    return TransportErrorStatus(TransportErrorCode::kStreamStateError,
                                absl::StrCat(frame, " for stream ", id, " in wrong direction"));
  }
  return GetOrCreatePeerStream(id);
}

absl::Status StreamManager::OnStreamFrame(uint64_t id, uint64_t offset,
                                          absl::Span<const uint8_t> data, bool fin) {
  absl::StatusOr<Stream*> stream = StreamForFrame(id, /*needs_recv_side=*/true, "STREAM");
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return absl::OkStatus();
  if (absl::Status s = (*stream)->OnStreamFrame(offset, data, fin); !s.ok()) return s;
  MaybeReleaseStream(id);
  return absl::OkStatus();
}

absl::Status StreamManager::OnResetStream(uint64_t id, uint64_t error_code,
                                          uint64_t final_size) {
  absl::StatusOr<Stream*> stream = StreamForFrame(id, true, "RESET_STREAM");
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return absl::OkStatus();
  if (absl::Status s = (*stream)->OnResetStream(error_code, final_size); !s.ok()) return s;
  MaybeReleaseStream(id);
  return absl::OkStatus();
}

absl::Status StreamManager::OnStopSending(uint64_t id, uint64_t error_code) {
  absl::StatusOr<Stream*> stream = StreamForFrame(id, false, "STOP_SENDING");
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return absl::OkStatus();
  return (*stream)->OnStopSending(error_code);
}

absl::Status StreamManager::OnMaxStreamData(uint64_t id, uint64_t limit) {
  absl::StatusOr<Stream*> stream = StreamForFrame(id, false, "MAX_STREAM_DATA");
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return absl::OkStatus();
  return (*stream)->OnMaxStreamData(limit);
}

absl::Status StreamManager::OnStreamDataBlocked(uint64_t id, uint64_t limit) {
  absl::StatusOr<Stream*> stream = StreamForFrame(id, true, "STREAM_DATA_BLOCKED");
  if (!stream.ok()) return stream.status();
  if (*stream == nullptr) return absl::OkStatus();
  return (*stream)->OnStreamDataBlocked(limit);
}

absl::Status StreamManager::OnMaxStreams(bool bidi, uint64_t max_streams) {
  if (max_streams > kMaxStreamCount) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError,
                                "MAX_STREAMS above 2^60");
  }
  TypeState& t = type(bidi, kLocal);
  if (max_streams > t.max_streams) {  // §19.11: smaller values are ignored
    t.max_streams = max_streams;
    t.streams_blocked_pending = false;
  }
  return absl::OkStatus();
}

void StreamManager::OnMaxData(uint64_t limit) {
  if (connection_.controller.SetSendLimit(limit)) connection_.data_blocked_pending = false;
}

absl::Status StreamManager::OnStreamsBlocked(bool bidi, uint64_t limit) {
  if (limit > kMaxStreamCount) {
    return TransportErrorStatus(TransportErrorCode::kFrameEncodingError,
                                "STREAMS_BLOCKED above 2^60");
  }
  // The peer has not seen our current limit: the MAX_STREAMS carrying it may be lost.
  if (limit < type(bidi, kPeer).max_streams) type(bidi, kPeer).max_streams_pending = true;
  return absl::OkStatus();
}

void StreamManager::OnStreamChunkAcked(uint64_t id, uint64_t offset, size_t len, bool fin) {
  if (Stream* s = GetStream(id)) {
    s->OnChunkAcked(offset, len, fin);
    MaybeReleaseStream(id);
  }
}

void StreamManager::OnStreamChunkLost(uint64_t id, uint64_t offset, size_t len, bool fin) {
  if (Stream* s = GetStream(id)) s->OnChunkLost(offset, len, fin);
}

void StreamManager::OnStreamControlFrameAcked(uint64_t id, StreamControlFrame f) {
  if (Stream* s = GetStream(id)) {
    s->OnControlFrameAcked(f);
    MaybeReleaseStream(id);
  }
}

void StreamManager::OnStreamControlFrameLost(uint64_t id, StreamControlFrame f) {
  if (Stream* s = GetStream(id)) s->OnControlFrameLost(f);
}

bool StreamManager::MaybeReleaseStream(uint64_t id) {
  // Called after every frame and acknowledgement: the cached lookup keeps it cheap.
  Stream* stream = GetStream(id);
  if (stream == nullptr || !stream->IsClosed()) return false;
  ForgetCached(id);
  streams_.erase(id);
  const bool bidi = IsBidirectional(id);
  if (IsLocallyInitiated(id, perspective_)) {
    --open_local_streams_;
    return true;
  }
  // §4.6: a freed peer stream returns its credit. Announce in batches of half the window so
  // MAX_STREAMS is not sent per stream.
  TypeState& t = type(bidi, kPeer);
  ++t.closed;
  const uint64_t candidate = std::min(t.closed + t.window, kMaxStreamCount);
  const uint64_t threshold = std::max<uint64_t>(1, t.window / 2);
  if (candidate > t.max_streams && candidate - t.max_streams >= threshold) {
    t.max_streams = candidate;
    t.max_streams_pending = true;
  }
  return true;
}

Stream* StreamManager::AcceptStream() {
  while (!accept_queue_.empty()) {
    const uint64_t id = accept_queue_.front();
    accept_queue_.pop_front();
    if (Stream* s = GetStream(id)) return s;
  }
  return nullptr;
}

std::vector<uint64_t> StreamManager::StreamsWithPendingControlFrames() const {
  if (connection_.streams_with_control_frames.empty()) return {};
  return std::vector<uint64_t>(connection_.streams_with_control_frames.begin(),
                               connection_.streams_with_control_frames.end());
}

std::optional<uint64_t> StreamManager::PendingMaxData() const {
  if (!connection_.max_data_pending) return std::nullopt;
  return connection_.controller.receive_limit();
}

std::optional<uint64_t> StreamManager::PendingDataBlocked() const {
  if (!connection_.data_blocked_pending) return std::nullopt;
  return connection_.controller.send_limit();
}

void StreamManager::OnDataBlockedLost() {
  // Only worth resending while still blocked at the same limit.
  if (connection_.controller.SendWindow() == 0) connection_.data_blocked_pending = true;
}

std::optional<uint64_t> StreamManager::PendingMaxStreams(bool bidi) const {
  const TypeState& t = type(bidi, kPeer);
  if (!t.max_streams_pending) return std::nullopt;
  return t.max_streams;
}

std::optional<uint64_t> StreamManager::PendingStreamsBlocked(bool bidi) const {
  const TypeState& t = type(bidi, kLocal);
  if (!t.streams_blocked_pending) return std::nullopt;
  return t.max_streams;
}

void StreamManager::OnStreamsBlockedLost(bool bidi) {
  TypeState& t = type(bidi, kLocal);
  if (t.next_index >= t.max_streams) t.streams_blocked_pending = true;
}

}  // namespace kite::quic
