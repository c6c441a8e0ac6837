#include "quic/streams/stream.h"

#include <cstdint>
#include <vector>

#include <catch2/catch.hpp>

#include "quic/codec/transport_error.h"
#include "quic/streams/stream_id.h"

namespace kite::quic {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1000);
const absl::Duration kRtt = absl::Milliseconds(20);

std::vector<uint8_t> Bytes(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(seed + i);
  return v;
}

StreamConfig Config(uint64_t send_limit = 10000, uint64_t window = 1000) {
  StreamConfig c;
  c.send_limit = send_limit;
  c.receive_window = window;
  c.max_receive_window = window;
  return c;
}

// Client-initiated bidirectional stream 0 seen from the client.
constexpr uint64_t kBidi = 0;

TEST_CASE("Stream send side: Ready -> Send -> Data Sent -> Data Recvd", "[streams]") {
  Stream s(kBidi, Perspective::kClient, Config());
  CHECK(s.send_state() == SendState::kReady);
  REQUIRE(s.Write(Bytes(1500)).ok());
  CHECK(s.HasDataToSend());
  auto c1 = s.NextChunk(1000);
  REQUIRE(c1.has_value());
  CHECK(s.send_state() == SendState::kSend);
  REQUIRE(s.Write(Bytes(0), /*fin=*/true).ok());
  CHECK(s.Write(Bytes(1)).code() == absl::StatusCode::kFailedPrecondition);
  auto c2 = s.NextChunk(1000);
  REQUIRE(c2.has_value());
  CHECK(c2->fin);
  CHECK(s.send_state() == SendState::kDataSent);
  s.OnChunkLost(c1->offset, c1->length, c1->fin);
  auto c3 = s.NextChunk(1000);
  REQUIRE(c3.has_value());
  CHECK(c3->retransmission);
  s.OnChunkAcked(c2->offset, c2->length, c2->fin);
  CHECK(s.send_state() == SendState::kDataSent);
  s.OnChunkAcked(c3->offset, c3->length, c3->fin);
  CHECK(s.send_state() == SendState::kDataRecvd);
  CHECK_FALSE(s.IsClosed());  // receive side still open
}

TEST_CASE("Stream flow control: blocked at the stream limit, STREAM_DATA_BLOCKED once",
          "[streams]") {
  Stream s(kBidi, Perspective::kClient, Config(/*send_limit=*/1000));
  REQUIRE(s.Write(Bytes(3000)).ok());
  auto c = s.NextChunk(5000);
  REQUIRE(c.has_value());
  CHECK(c->length == 1000);
  CHECK_FALSE(s.HasDataToSend());
  CHECK(s.PendingStreamDataBlocked() == 1000u);
  s.OnControlFrameSent(StreamControlFrame::kStreamDataBlocked);
  CHECK_FALSE(s.NextChunk(5000).has_value());
  CHECK_FALSE(s.HasPendingControlFrames());  // once per limit
  s.OnControlFrameLost(StreamControlFrame::kStreamDataBlocked);
  CHECK(s.PendingStreamDataBlocked() == 1000u);  // still blocked: resend
  REQUIRE(s.OnMaxStreamData(2500).ok());
  CHECK_FALSE(s.PendingStreamDataBlocked().has_value());  // obsolete
  CHECK(s.HasDataToSend());
  CHECK(s.NextChunk(5000)->length == 1500);
  // Lost data is resent even with no credit left.
  s.OnChunkLost(0, 1000, false);
  CHECK(s.HasDataToSend());
  CHECK(s.NextChunk(5000)->retransmission);
}

TEST_CASE("Stream connection-level credit limits new data and flags DATA_BLOCKED",
          "[streams]") {
  ConnectionFlow conn(/*send_limit=*/700, 10000, 10000);
  Stream a(0, Perspective::kClient, Config(), &conn);
  Stream b(4, Perspective::kClient, Config(), &conn);
  REQUIRE(a.Write(Bytes(500)).ok());
  REQUIRE(b.Write(Bytes(500)).ok());
  CHECK(a.NextChunk(5000)->length == 500);
  CHECK(b.NextChunk(5000)->length == 200);
  CHECK_FALSE(b.HasDataToSend());
  CHECK(conn.data_blocked_pending);
  CHECK(conn.controller.SendWindow() == 0);
}

TEST_CASE("Stream receive side: Recv -> Size Known -> Data Recvd -> Data Read", "[streams]") {
  ConnectionFlow conn(0, 10000, 10000);
  Stream s(1, Perspective::kClient, Config(0, 1000), &conn);  // server-initiated bidi
  const auto data = Bytes(800);
  REQUIRE(s.OnStreamFrame(400, absl::MakeConstSpan(data.data() + 400, 400), true).ok());
  CHECK(s.recv_state() == RecvState::kSizeKnown);
  CHECK(conn.controller.highest_received() == 800);
  REQUIRE(s.OnStreamFrame(0, absl::MakeConstSpan(data.data(), 400), false).ok());
  CHECK(s.recv_state() == RecvState::kDataRecvd);
  std::vector<uint8_t> out(1000);
  CHECK(s.Read(out.data(), out.size(), kNow, kRtt) == 800);
  CHECK(std::equal(data.begin(), data.end(), out.begin()));
  CHECK(s.recv_state() == RecvState::kDataRead);
  CHECK(s.IsReadFinished());
  CHECK(conn.controller.bytes_consumed() == 800);
  // No MAX_STREAM_DATA once the final size is known.
  CHECK_FALSE(s.PendingMaxStreamData().has_value());
}

TEST_CASE("Stream receive flow control: errors and MAX_STREAM_DATA", "[streams]") {
  ConnectionFlow conn(0, 1500, 1500);
  Stream s(1, Perspective::kClient, Config(0, 1000), &conn);
  const auto data = Bytes(1200);
  CHECK(GetTransportErrorCode(s.OnStreamFrame(0, data, false)) ==
        TransportErrorCode::kFlowControlError);
  REQUIRE(s.OnStreamFrame(0, absl::MakeConstSpan(data.data(), 1000), false).ok());
  std::vector<uint8_t> out(600);
  CHECK(s.Read(out.data(), 600, kNow, kRtt) == 600);
  CHECK(s.PendingMaxStreamData() == 1600u);
  s.OnControlFrameSent(StreamControlFrame::kMaxStreamData);
  CHECK_FALSE(s.HasPendingControlFrames());
  s.OnControlFrameLost(StreamControlFrame::kMaxStreamData);
  CHECK(s.PendingMaxStreamData() == 1600u);
  // The connection limit (1500) applies across streams.
  Stream t(5, Perspective::kClient, Config(0, 1000), &conn);
  CHECK(GetTransportErrorCode(t.OnStreamFrame(0, absl::MakeConstSpan(data.data(), 600),
                                              false)) == TransportErrorCode::kFlowControlError);
  CHECK(t.OnStreamFrame(0, absl::MakeConstSpan(data.data(), 500), false).ok());
}

TEST_CASE("Stream RESET_STREAM from the peer checks the final size and returns credit",
          "[streams]") {
  ConnectionFlow conn(0, 10000, 10000);
  Stream s(1, Perspective::kClient, Config(0, 1000), &conn);
  const auto data = Bytes(300);
  REQUIRE(s.OnStreamFrame(0, data, false).ok());
  CHECK(GetTransportErrorCode(s.OnResetStream(7, 200)) == TransportErrorCode::kFinalSizeError);
  CHECK(GetTransportErrorCode(s.OnResetStream(7, 1001)) ==
        TransportErrorCode::kFlowControlError);
  REQUIRE(s.OnResetStream(7, 500).ok());
  CHECK(s.recv_state() == RecvState::kResetRecvd);
  CHECK(s.peer_reset_error() == 7u);
  // The whole final size counts, and all of it is credited back (§4.5).
  CHECK(conn.controller.highest_received() == 500);
  CHECK(conn.controller.bytes_consumed() == 500);
  CHECK(GetTransportErrorCode(s.OnStreamFrame(500, Bytes(1), false)) ==
        TransportErrorCode::kFinalSizeError);
  CHECK(GetTransportErrorCode(s.OnResetStream(7, 499)) == TransportErrorCode::kFinalSizeError);
  CHECK(s.OnResetStream(7, 500).ok());  // duplicate
  uint8_t buf[10];
  CHECK(s.Read(buf, 10, kNow, kRtt) == 0);
  CHECK(s.recv_state() == RecvState::kResetRead);
}

TEST_CASE("Stream reset by us: RESET_STREAM with bytes sent, no retransmission", "[streams]") {
  Stream s(kBidi, Perspective::kClient, Config());
  REQUIRE(s.Write(Bytes(2000)).ok());
  auto c = s.NextChunk(700);
  REQUIRE(c.has_value());
  REQUIRE(s.Reset(42).ok());
  CHECK(s.send_state() == SendState::kResetSent);
  auto info = s.PendingResetStream();
  REQUIRE(info.has_value());
  CHECK(info->error_code == 42);
  CHECK(info->final_size == 700);
  CHECK_FALSE(s.HasDataToSend());
  s.OnChunkLost(c->offset, c->length, c->fin);
  CHECK_FALSE(s.NextChunk(1000).has_value());
  CHECK(s.Write(Bytes(1)).code() == absl::StatusCode::kFailedPrecondition);
  s.OnControlFrameSent(StreamControlFrame::kResetStream);
  s.OnControlFrameLost(StreamControlFrame::kResetStream);
  CHECK(s.PendingResetStream().has_value());  // resent when lost
  s.OnControlFrameSent(StreamControlFrame::kResetStream);
  s.OnControlFrameAcked(StreamControlFrame::kResetStream);
  CHECK(s.send_state() == SendState::kResetRecvd);
  s.OnControlFrameLost(StreamControlFrame::kResetStream);
  CHECK_FALSE(s.HasPendingControlFrames());
}

TEST_CASE("Stream STOP_SENDING from the peer makes us reset with its code", "[streams]") {
  Stream s(kBidi, Perspective::kClient, Config());
  REQUIRE(s.Write(Bytes(100)).ok());
  REQUIRE(s.NextChunk(1000).has_value());
  REQUIRE(s.OnStopSending(9).ok());
  CHECK(s.peer_stop_sending_error() == 9u);
  CHECK(s.send_state() == SendState::kResetSent);
  CHECK(s.PendingResetStream()->error_code == 9);
  CHECK(s.PendingResetStream()->final_size == 100);
}

TEST_CASE("Stream STOP_SENDING by us discards data and still returns credit", "[streams]") {
  ConnectionFlow conn(0, 10000, 10000);
  Stream s(1, Perspective::kClient, Config(0, 1000), &conn);
  REQUIRE(s.OnStreamFrame(0, Bytes(300), false).ok());
  REQUIRE(s.StopSending(5).ok());
  CHECK(s.PendingStopSending() == 5u);
  CHECK(conn.controller.bytes_consumed() == 300);
  REQUIRE(s.OnStreamFrame(300, Bytes(200), false).ok());
  CHECK(conn.controller.bytes_consumed() == 500);
  CHECK(s.Peek().empty());
  REQUIRE(s.OnResetStream(5, 600).ok());
  CHECK(s.recv_state() == RecvState::kResetRead);
  CHECK_FALSE(s.PendingStopSending().has_value());  // no longer needed
  CHECK(conn.controller.bytes_consumed() == 600);
}

TEST_CASE("Stream direction rules for unidirectional streams", "[streams]") {
  // Client-opened uni stream 2, seen by the client: send only.
  Stream out(2, Perspective::kClient, Config());
  CHECK_FALSE(out.has_recv_side());
  CHECK(GetTransportErrorCode(out.OnStreamFrame(0, Bytes(1), false)) ==
        TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(out.OnResetStream(0, 0)) == TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(out.OnStreamDataBlocked(0)) ==
        TransportErrorCode::kStreamStateError);
  // The same stream seen by the server: receive only.
  Stream in(2, Perspective::kServer, Config());
  CHECK_FALSE(in.has_send_side());
  CHECK(GetTransportErrorCode(in.OnStopSending(0)) == TransportErrorCode::kStreamStateError);
  CHECK(GetTransportErrorCode(in.OnMaxStreamData(5)) == TransportErrorCode::kStreamStateError);
  CHECK(in.Write(Bytes(1)).code() == absl::StatusCode::kFailedPrecondition);
  // A uni stream closes when its one side is done.
  REQUIRE(in.OnStreamFrame(0, Bytes(10), true).ok());
  CHECK_FALSE(in.IsClosed());
  uint8_t buf[16];
  CHECK(in.Read(buf, sizeof(buf), kNow, kRtt) == 10);
  CHECK(in.IsClosed());
}

TEST_CASE("Stream closes when both halves are done", "[streams]") {
  Stream s(kBidi, Perspective::kClient, Config());
  REQUIRE(s.Write(Bytes(10), true).ok());
  auto c = s.NextChunk(100);
  s.OnChunkAcked(c->offset, c->length, c->fin);
  CHECK_FALSE(s.IsClosed());
  REQUIRE(s.OnStreamFrame(0, Bytes(5), true).ok());
  uint8_t buf[8];
  CHECK(s.Read(buf, sizeof(buf), kNow, kRtt) == 5);
  CHECK(s.IsClosed());
}

}  // namespace
}  // namespace kite::quic
