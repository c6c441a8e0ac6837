// All streams of one connection: opening (ours) and implicit opening (the peer's, RFC 9000
// §3.2), stream count limits and MAX_STREAMS credit (§4.6), connection-level flow control
// (§4.1), freeing closed streams, and the frames that all this calls for.
#ifndef KITE_QUIC_STREAMS_STREAM_MANAGER_H_
#define KITE_QUIC_STREAMS_STREAM_MANAGER_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "quic/streams/perspective.h"
#include "quic/streams/stream.h"
#include "quic/streams/stream_id.h"

namespace kite::quic {

// What we advertise (our transport parameters, §18.2) and our local bounds.
struct LocalStreamLimits {
  uint64_t initial_max_streams_bidi = 100;
  uint64_t initial_max_streams_uni = 100;
  uint64_t initial_max_stream_data_bidi_local = 256 * 1024;   // streams we open
  uint64_t initial_max_stream_data_bidi_remote = 256 * 1024;  // bidi streams the peer opens
  uint64_t initial_max_stream_data_uni = 256 * 1024;          // uni streams the peer opens
  uint64_t initial_max_data = 1024 * 1024;
  // Auto-tuning caps (also the per-stream reassembly span).
  uint64_t max_stream_receive_window = 16 * 1024 * 1024;
  uint64_t max_connection_receive_window = 24 * 1024 * 1024;
  size_t max_recv_fragments_per_stream = RecvBuffer::kDefaultMaxFragments;
  // Bound on streams we open that are still open. Peer-opened streams are bounded by the
  // stream counts above, since credit only returns when a stream is freed.
  size_t max_open_local_streams = 1000;
};

// The peer's transport parameters that concern streams (§18.2). Until they are set, the
// peer's limits are all zero: nothing can be opened or sent.
struct PeerStreamLimits {
  uint64_t initial_max_data = 0;
  uint64_t initial_max_stream_data_bidi_local = 0;   // bidi streams the peer opens
  uint64_t initial_max_stream_data_bidi_remote = 0;  // bidi streams we open
  uint64_t initial_max_stream_data_uni = 0;          // uni streams we open
  uint64_t initial_max_streams_bidi = 0;
  uint64_t initial_max_streams_uni = 0;
};

class StreamManager {
 public:
  StreamManager(Perspective perspective, const LocalStreamLimits& limits);
  StreamManager(const StreamManager&) = delete;
  StreamManager& operator=(const StreamManager&) = delete;

  // TRANSPORT_PARAMETER_ERROR for a stream count above 2^60 (§4.6). Raises limits of existing
  // streams (limits never shrink).
  absl::Status SetPeerTransportParameters(const PeerStreamLimits& peer);

  // Opens our next stream. Unavailable when the peer's MAX_STREAMS is reached (a
  // STREAMS_BLOCKED is then pending); ResourceExhausted beyond max_open_local_streams.
  absl::StatusOr<Stream*> OpenLocalStream(bool bidi);

  // The stream a peer frame names, opening it and all lower-numbered streams of its type if
  // the peer is opening it (§3.2). Errors: STREAM_LIMIT_ERROR beyond the count we advertised;
  // STREAM_STATE_ERROR for a stream of ours not yet opened. nullptr: the stream was closed
  // and freed, so the frame is ignored.
  absl::StatusOr<Stream*> GetOrCreatePeerStream(uint64_t id);
  // An open stream, or nullptr.
  Stream* GetStream(uint64_t id);

  // Frame handlers (§19). Each checks the direction rules by stream id first (frames that
  // only make sense on a stream we receive on / send on: STREAM_STATE_ERROR otherwise), then
  // dispatches, then frees the stream if it closed.
  absl::Status OnStreamFrame(uint64_t id, uint64_t offset, absl::Span<const uint8_t> data,
                             bool fin);
  absl::Status OnResetStream(uint64_t id, uint64_t error_code, uint64_t final_size);
  absl::Status OnStopSending(uint64_t id, uint64_t error_code);
  absl::Status OnMaxStreamData(uint64_t id, uint64_t limit);
  absl::Status OnStreamDataBlocked(uint64_t id, uint64_t limit);
  // FRAME_ENCODING_ERROR above 2^60 (§19.11).
  absl::Status OnMaxStreams(bool bidi, uint64_t max_streams);
  void OnMaxData(uint64_t limit);
  // FRAME_ENCODING_ERROR above 2^60 (§19.14); otherwise informational.
  absl::Status OnStreamsBlocked(bool bidi, uint64_t limit);

  // Outcomes of frames we sent carrying stream data or stream control frames.
  void OnStreamChunkAcked(uint64_t id, uint64_t offset, size_t len, bool fin);
  void OnStreamChunkLost(uint64_t id, uint64_t offset, size_t len, bool fin);
  void OnStreamControlFrameAcked(uint64_t id, StreamControlFrame f);
  void OnStreamControlFrameLost(uint64_t id, StreamControlFrame f);

  // Frees the stream if both its halves are done (call after acting on a Stream* directly,
  // e.g. an application read). Returns true if it was freed; the Stream* is then dangling.
  bool MaybeReleaseStream(uint64_t id);

  // Next peer-opened stream not yet handed to the application, or nullptr.
  Stream* AcceptStream();

  // Streams that have control frames pending (a copy: sending may clear flags).
  std::vector<uint64_t> StreamsWithPendingControlFrames() const;
  // Whether any stream has control frames pending (no copy; for the per-packet checks).
  bool HasStreamsWithPendingControlFrames() const {
    return !connection_.streams_with_control_frames.empty();
  }

  // Connection-level frames due. Each Pending* returns the value to put in the frame;
  // On*Sent clears, On*Lost raises again if still useful.
  std::optional<uint64_t> PendingMaxData() const;
  void OnMaxDataSent() { connection_.max_data_pending = false; }
  void OnMaxDataLost() { connection_.max_data_pending = true; }
  std::optional<uint64_t> PendingDataBlocked() const;
  void OnDataBlockedSent() { connection_.data_blocked_pending = false; }
  void OnDataBlockedLost();
  std::optional<uint64_t> PendingMaxStreams(bool bidi) const;
  void OnMaxStreamsSent(bool bidi) { type(bidi, kPeer).max_streams_pending = false; }
  void OnMaxStreamsLost(bool bidi) { type(bidi, kPeer).max_streams_pending = true; }
  std::optional<uint64_t> PendingStreamsBlocked(bool bidi) const;
  void OnStreamsBlockedSent(bool bidi) { type(bidi, kLocal).streams_blocked_pending = false; }
  void OnStreamsBlockedLost(bool bidi);

  FlowController& connection_flow() { return connection_.controller; }
  const FlowController& connection_flow() const { return connection_.controller; }
  size_t open_stream_count() const { return streams_.size(); }
  // The stream count limit currently in force for streams we open / the peer opens.
  uint64_t local_max_streams(bool bidi) const { return type(bidi, kLocal).max_streams; }
  uint64_t peer_max_streams(bool bidi) const { return type(bidi, kPeer).max_streams; }
  Perspective perspective() const { return perspective_; }

 private:
  static constexpr int kLocal = 0;
  static constexpr int kPeer = 1;
  // Book-keeping for one of the four stream types.
  struct TypeState {
    uint64_t next_index = 0;       // streams with a lower index were opened
    uint64_t max_streams = 0;      // current limit (peer's for kLocal, ours for kPeer)
    uint64_t closed = 0;           // kPeer: freed streams, whose credit returns
    uint64_t window = 0;           // kPeer: streams the peer may have open at once
    bool max_streams_pending = false;      // kPeer
    bool streams_blocked_pending = false;  // kLocal
    std::optional<uint64_t> blocked_reported_at;  // kLocal
  };
  TypeState& type(bool bidi, int who) { return types_[who][bidi ? 0 : 1]; }
  const TypeState& type(bool bidi, int who) const { return types_[who][bidi ? 0 : 1]; }

  StreamConfig ConfigFor(uint64_t id) const;
  Stream* CreateStream(uint64_t id);
  // Looks up a stream for a peer frame after the direction check.
  absl::StatusOr<Stream*> StreamForFrame(uint64_t id, bool needs_recv_side, const char* frame);

  const Perspective perspective_;
  const LocalStreamLimits local_;
  PeerStreamLimits peer_;
  ConnectionFlow connection_;
  std::array<std::array<TypeState, 2>, 2> types_;  // [local/peer][bidi/uni]
  absl::flat_hash_map<uint64_t, std::unique_ptr<Stream>> streams_;
  // Streams GetStream() found recently, by a hash of the id (stream == null: empty slot).
  // A freed stream is dropped from its slot before its Stream is destroyed.
  struct CacheEntry {
    uint64_t id = 0;
    Stream* stream = nullptr;
  };
  static constexpr size_t kCacheSlots = 8;
  static size_t CacheSlot(uint64_t id) {
    // The stream index (id / 4, §2.1) spreads up to kCacheSlots streams of one type over
    // distinct slots; the type bits offset the four types from each other.
    return static_cast<size_t>(((id >> 2) + (id & 3)) % kCacheSlots);
  }
  void ForgetCached(uint64_t id);
  std::array<CacheEntry, kCacheSlots> cache_{};
  size_t open_local_streams_ = 0;
  std::deque<uint64_t> accept_queue_;
};

}  // namespace kite::quic

#endif  // KITE_QUIC_STREAMS_STREAM_MANAGER_H_
