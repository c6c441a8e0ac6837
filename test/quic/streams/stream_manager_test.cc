#include "quic/streams/stream_manager.h"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "quic/codec/transport_error.h"

namespace kite::quic {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1000);
const absl::Duration kRtt = absl::Milliseconds(20);

LocalStreamLimits Local(uint64_t bidi = 4, uint64_t uni = 2) {
  LocalStreamLimits l;
  l.initial_max_streams_bidi = bidi;
  l.initial_max_streams_uni = uni;
  l.initial_max_stream_data_bidi_local = 1000;
  l.initial_max_stream_data_bidi_remote = 2000;
  l.initial_max_stream_data_uni = 3000;
  l.initial_max_data = 10000;
  return l;
}

PeerStreamLimits Peer(uint64_t bidi = 2, uint64_t uni = 1) {
  PeerStreamLimits p;
  p.initial_max_data = 5000;
  p.initial_max_stream_data_bidi_local = 100;
  p.initial_max_stream_data_bidi_remote = 200;
  p.initial_max_stream_data_uni = 300;
  p.initial_max_streams_bidi = bidi;
  p.initial_max_streams_uni = uni;
  return p;
}

std::vector<uint8_t> Bytes(size_t n) { return std::vector<uint8_t>(n, 0x5a); }

TEST_CASE("StreamManager opens local streams within the peer's limit", "[streams]") {
  StreamManager m(Perspective::kClient, Local());
  // Before the peer's transport parameters nothing may be opened.
  CHECK(m.OpenLocalStream(true).status().code() == absl::StatusCode::kUnavailable);
  CHECK(m.PendingStreamsBlocked(true) == 0u);
  m.OnStreamsBlockedSent(true);
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  auto s0 = m.OpenLocalStream(true);
  auto s4 = m.OpenLocalStream(true);
  REQUIRE(s0.ok());
  REQUIRE(s4.ok());
  CHECK((*s0)->id() == 0);
  CHECK((*s4)->id() == 4);
  // Send limits follow the peer's parameters: bidi_remote for streams we open.
  CHECK((*s0)->flow_controller().send_limit() == 200);
  CHECK((*s0)->flow_controller().receive_limit() == 1000);
  CHECK(m.OpenLocalStream(true).status().code() == absl::StatusCode::kUnavailable);
  CHECK(m.PendingStreamsBlocked(true) == 2u);
  m.OnStreamsBlockedSent(true);
  CHECK(m.OpenLocalStream(true).status().code() == absl::StatusCode::kUnavailable);
  CHECK_FALSE(m.PendingStreamsBlocked(true).has_value());  // once per limit
  REQUIRE(m.OnMaxStreams(true, 3).ok());
  REQUIRE(m.OnMaxStreams(true, 1).ok());  // lower: ignored
  auto s8 = m.OpenLocalStream(true);
  REQUIRE(s8.ok());
  CHECK((*s8)->id() == 8);
  auto u = m.OpenLocalStream(false);
  REQUIRE(u.ok());
  CHECK((*u)->id() == 2);
  CHECK((*u)->flow_controller().send_limit() == 300);
  CHECK(GetTransportErrorCode(m.OnMaxStreams(true, (uint64_t{1} << 60) + 1)) ==
        TransportErrorCode::kFrameEncodingError);
  PeerStreamLimits bad = Peer();
  bad.initial_max_streams_uni = (uint64_t{1} << 60) + 1;
  CHECK(GetTransportErrorCode(m.SetPeerTransportParameters(bad)) ==
        TransportErrorCode::kTransportParameterError);
}

TEST_CASE("StreamManager opens lower-numbered peer streams implicitly", "[streams]") {
  StreamManager m(Perspective::kServer, Local());
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  REQUIRE(m.OnStreamFrame(8, 0, Bytes(10), false).ok());  // client bidi index 2
  CHECK(m.open_stream_count() == 3);
  // Accepted in order 0, 4, 8.
  CHECK(m.AcceptStream()->id() == 0);
  CHECK(m.AcceptStream()->id() == 4);
  Stream* s8 = m.AcceptStream();
  REQUIRE(s8 != nullptr);
  CHECK(s8->id() == 8);
  CHECK(m.AcceptStream() == nullptr);
  CHECK(s8->recv_buffer().readable_bytes() == 10);
  // Peer bidi streams: our receive window is bidi_remote, our send limit the peer's bidi_local.
  CHECK(s8->flow_controller().receive_limit() == 2000);
  CHECK(s8->flow_controller().send_limit() == 100);
}

TEST_CASE("StreamManager enforces STREAM_LIMIT_ERROR and STREAM_STATE_ERROR", "[streams]") {
  StreamManager m(Perspective::kServer, Local(/*bidi=*/4, /*uni=*/2));
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  // Client bidi index 4 is beyond our limit of 4.
  CHECK(GetTransportErrorCode(m.OnStreamFrame(16, 0, Bytes(1), false)) ==
        TransportErrorCode::kStreamLimitError);
  CHECK(m.OnStreamFrame(12, 0, Bytes(1), false).ok());
  CHECK(GetTransportErrorCode(m.OnStreamFrame(2 + 4 * 2, 0, Bytes(1), false)) ==
        TransportErrorCode::kStreamLimitError);  // uni index 2, limit 2
  // Server-initiated (ours) streams not yet opened.
  CHECK(GetTransportErrorCode(m.OnStreamFrame(1, 0, Bytes(1), false)) ==
        TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(m.OnMaxStreamData(5, 100)) ==
        TransportErrorCode::kStreamStateError);
  // STREAM on our own uni stream (send only), even opened.
  auto u = m.OpenLocalStream(false);
  REQUIRE(u.ok());
  CHECK((*u)->id() == 3);
  CHECK(GetTransportErrorCode(m.OnStreamFrame(3, 0, Bytes(1), false)) ==
        TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(m.OnResetStream(3, 0, 0)) ==
        TransportErrorCode::kStreamStateError);
  // MAX_STREAM_DATA / STOP_SENDING on the peer's uni stream (receive only).
  CHECK(GetTransportErrorCode(m.OnMaxStreamData(2, 100)) ==
        TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(m.OnStopSending(2, 0)) == TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(m.GetOrCreatePeerStream(kMaxVarInt + 1).status()) ==
        TransportErrorCode::kFrameEncodingError);
}

TEST_CASE("StreamManager frees closed streams, ignores late frames, returns credit",
          "[streams]") {
  StreamManager m(Perspective::kServer, Local(/*bidi=*/4, /*uni=*/2));
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  // The client opens uni streams 2 and 6 and finishes them.
  REQUIRE(m.OnStreamFrame(2, 0, Bytes(10), true).ok());
  REQUIRE(m.OnStreamFrame(6, 0, Bytes(10), true).ok());
  CHECK(m.PendingMaxStreams(false) == std::nullopt);
  uint8_t buf[32];
  Stream* s2 = m.GetStream(2);
  REQUIRE(s2 != nullptr);
  CHECK(s2->Read(buf, sizeof(buf), kNow, kRtt) == 10);
  CHECK(m.MaybeReleaseStream(2));
  CHECK(m.GetStream(2) == nullptr);
  // Window 2: credit returns in batches of one stream.
  CHECK(m.PendingMaxStreams(false) == 3u);
  m.OnMaxStreamsSent(false);
  CHECK_FALSE(m.PendingMaxStreams(false).has_value());
  m.OnMaxStreamsLost(false);
  CHECK(m.PendingMaxStreams(false) == 3u);
  m.OnMaxStreamsSent(false);
  // A late frame for the freed stream is ignored, even a conflicting one.
  CHECK(m.OnStreamFrame(2, 0, Bytes(10), true).ok());
  CHECK(m.GetStream(2) == nullptr);
  // The new credit admits stream index 2 (id 10) but not 3 (id 14).
  CHECK(m.OnStreamFrame(10, 0, Bytes(1), false).ok());
  CHECK(GetTransportErrorCode(m.OnStreamFrame(14, 0, Bytes(1), false)) ==
        TransportErrorCode::kStreamLimitError);
  // The peer says it is blocked at an old limit: announce ours again.
  REQUIRE(m.OnStreamsBlocked(false, 2).ok());
  CHECK(m.PendingMaxStreams(false) == 3u);
}

TEST_CASE("StreamManager lookups stay right across many streams and frees", "[streams]") {
  StreamManager m(Perspective::kServer, Local(/*bidi=*/4, /*uni=*/20));
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  // Client uni streams 2, 6, ..., 74: more than the lookup cache holds.
  for (uint64_t i = 0; i < 19; ++i) REQUIRE(m.OnStreamFrame(2 + 4 * i, 0, Bytes(4), true).ok());
  for (int round = 0; round < 2; ++round) {
    for (uint64_t i = 0; i < 19; ++i) {
      Stream* s = m.GetStream(2 + 4 * i);
      REQUIRE(s != nullptr);
      CHECK(s->id() == 2 + 4 * i);
    }
  }
  CHECK(m.GetStream(78) == nullptr);  // never opened
  CHECK(m.GetStream(0) == nullptr);   // ours, not opened
  // Free every other stream right after looking it up: later lookups must not see it.
  uint8_t buf[8];
  for (uint64_t i = 0; i < 19; i += 2) {
    Stream* s = m.GetStream(2 + 4 * i);
    REQUIRE(s != nullptr);
    CHECK(s->Read(buf, sizeof(buf), kNow, kRtt) == 4);
    CHECK(m.MaybeReleaseStream(2 + 4 * i));
    CHECK(m.GetStream(2 + 4 * i) == nullptr);
  }
  for (uint64_t i = 0; i < 19; ++i) {
    Stream* s = m.GetStream(2 + 4 * i);
    if (i % 2 == 0) {
      CHECK(s == nullptr);
    } else {
      REQUIRE(s != nullptr);
      CHECK(s->id() == 2 + 4 * i);
    }
  }
}

TEST_CASE("StreamManager reports whether any stream has control frames pending", "[streams]") {
  StreamManager m(Perspective::kServer, Local());
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  CHECK_FALSE(m.HasStreamsWithPendingControlFrames());
  CHECK(m.StreamsWithPendingControlFrames().empty());
  absl::StatusOr<Stream*> s = m.OpenLocalStream(/*bidi=*/true);
  REQUIRE(s.ok());
  REQUIRE((*s)->Reset(7).ok());
  CHECK(m.HasStreamsWithPendingControlFrames());
  CHECK(m.StreamsWithPendingControlFrames() == std::vector<uint64_t>{(*s)->id()});
  (*s)->OnControlFrameSent(StreamControlFrame::kResetStream);
  CHECK_FALSE(m.HasStreamsWithPendingControlFrames());
  CHECK(m.StreamsWithPendingControlFrames().empty());
}

TEST_CASE("StreamManager frees a bidi stream only when both halves are done", "[streams]") {
  StreamManager m(Perspective::kClient, Local());
  REQUIRE(m.SetPeerTransportParameters(Peer()).ok());
  auto opened = m.OpenLocalStream(true);
  REQUIRE(opened.ok());
  Stream* s = *opened;
  REQUIRE(s->Write(Bytes(50), true).ok());
  auto chunk = s->NextChunk(1000);
  REQUIRE(chunk.has_value());
  m.OnStreamChunkAcked(0, chunk->offset, chunk->length, chunk->fin);
  REQUIRE(m.GetStream(0) != nullptr);
  REQUIRE(m.OnStreamFrame(0, 0, Bytes(5), true).ok());
  uint8_t buf[8];
  CHECK(s->Read(buf, sizeof(buf), kNow, kRtt) == 5);
  CHECK(m.MaybeReleaseStream(0));
  CHECK(m.open_stream_count() == 0);
  // Our own closed stream: frames are ignored, not errors.
  CHECK(m.OnStreamFrame(0, 0, Bytes(5), true).ok());
  CHECK(m.OnMaxStreamData(0, 5000).ok());
}

TEST_CASE("StreamManager connection flow control in both directions", "[streams]") {
  StreamManager m(Perspective::kServer, Local());
  PeerStreamLimits peer = Peer();
  peer.initial_max_data = 150;
  REQUIRE(m.SetPeerTransportParameters(peer).ok());
  // Receive: the sum over streams is bounded by our initial_max_data (10000).
  REQUIRE(m.OnStreamFrame(0, 0, Bytes(2000), false).ok());
  REQUIRE(m.OnStreamFrame(4, 0, Bytes(2000), false).ok());
  REQUIRE(m.OnStreamFrame(8, 0, Bytes(2000), false).ok());
  REQUIRE(m.OnStreamFrame(12, 0, Bytes(2000), false).ok());
  CHECK(m.connection_flow().highest_received() == 8000);
  // Reading returns credit; MAX_DATA is announced after half the window.
  std::vector<uint8_t> buf(2000);
  for (uint64_t id : {0, 4, 8}) {
    CHECK(m.GetStream(id)->Read(buf.data(), buf.size(), kNow, kRtt) == 2000);
  }
  CHECK(m.PendingMaxData() == 16000u);
  m.OnMaxDataSent();
  CHECK_FALSE(m.PendingMaxData().has_value());
  // Send: streams share the peer's 150 bytes.
  Stream* a = m.GetStream(0);
  Stream* b = m.GetStream(4);
  REQUIRE(a->Write(Bytes(100)).ok());
  REQUIRE(b->Write(Bytes(100)).ok());
  CHECK(a->NextChunk(1000)->length == 100);
  CHECK(b->NextChunk(1000)->length == 50);
  CHECK(m.PendingDataBlocked() == 150u);
  m.OnDataBlockedSent();
  m.OnMaxData(400);
  CHECK(b->NextChunk(1000)->length == 50);
  // Stream-level frames surface through the pending list.
  REQUIRE(m.GetStream(8)->StopSending(3).ok());
  auto pending = m.StreamsWithPendingControlFrames();
  CHECK(std::find(pending.begin(), pending.end(), 8u) != pending.end());
  m.GetStream(8)->OnControlFrameSent(StreamControlFrame::kStopSending);
  pending = m.StreamsWithPendingControlFrames();
  CHECK(std::find(pending.begin(), pending.end(), 8u) == pending.end());
}

TEST_CASE("StreamManager bounds open local streams", "[streams]") {
  LocalStreamLimits local = Local();
  local.max_open_local_streams = 2;
  StreamManager m(Perspective::kClient, local);
  REQUIRE(m.SetPeerTransportParameters(Peer(/*bidi=*/100, /*uni=*/100)).ok());
  REQUIRE(m.OpenLocalStream(true).ok());
  REQUIRE(m.OpenLocalStream(false).ok());
  CHECK(m.OpenLocalStream(true).status().code() == absl::StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace kite::quic
