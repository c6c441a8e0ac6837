// Every QUIC frame's qlog object (draft-ietf-quic-qlog-quic-events, "QUIC Frames"), compared as
// exact strings and parsed by the independent checker.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "quic/qlog/quic_frame_json.h"
#include "test/quic/qlog/json_checker.h"

namespace kite::quic::qlog::test {
namespace {

std::string Json(const Frame& f, uint8_t exponent = 3) {
  std::string out;
  JsonWriter w(&out);
  AppendQuicFrame(w, f, exponent);
  std::string error;
  INFO(out);
  REQUIRE(JsonParser::Parse(out, &error).has_value());
  return out;
}

absl::Span<const uint8_t> Bytes(const char* s) {
  return absl::Span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), std::strlen(s));
}

TEST_CASE("padding, ping and handshake_done", "[qlog]") {
  CHECK(Json(PaddingFrame{37}) ==
        R"({"frame_type":"padding","raw":{"length":37,"payload_length":37}})");
  CHECK(Json(PingFrame{}) == R"({"frame_type":"ping"})");
  CHECK(Json(HandshakeDoneFrame{}) == R"({"frame_type":"handshake_done"})");
}

TEST_CASE("ack with ranges, scaled delay and ECN counts", "[qlog]") {
  AckFrame ack;
  ack.ranges = {AckRange{10, 12}, AckRange{7, 7}, AckRange{0, 3}};
  ack.ack_delay = 125;  // 125 << 3 = 1000 us
  CHECK(Json(ack) ==
        R"({"frame_type":"ack","ack_delay":1,"acked_ranges":[[10,12],[7],[0,3]]})");
  CHECK(Json(ack, 0) ==
        R"({"frame_type":"ack","ack_delay":0.125,"acked_ranges":[[10,12],[7],[0,3]]})");
  ack.ecn = EcnCounts{4, 5, 6};
  CHECK(Json(ack) == R"({"frame_type":"ack","ack_delay":1,"acked_ranges":[[10,12],[7],[0,3]],)"
                     R"("ect1":5,"ect0":4,"ce":6})");
  // A hostile delay saturates instead of overflowing.
  AckFrame huge;
  huge.ranges = {AckRange{1, 1}};
  huge.ack_delay = (uint64_t{1} << 62) - 1;
  std::optional<JsonValue> v = JsonParser::Parse(Json(huge, 20));
  REQUIRE(v.has_value());
  CHECK(v->Get("ack_delay")->number > 0);
}

TEST_CASE("stream, crypto, datagram and new_token carry lengths", "[qlog]") {
  StreamFrame s;
  s.stream_id = 4;
  s.offset = 1000;
  s.data = Bytes("hello");
  s.fin = true;
  CHECK(Json(s) == R"({"frame_type":"stream","stream_id":4,"offset":1000,"length":5,)"
                   R"("fin":true,"raw":{"length":5}})");
  s.fin = false;
  s.offset = 0;
  CHECK(Json(s) == R"({"frame_type":"stream","stream_id":4,"offset":0,"length":5,)"
                   R"("fin":false,"raw":{"length":5}})");
  CryptoFrame c;
  c.offset = 7;
  c.data = Bytes("abc");
  CHECK(Json(c) == R"({"frame_type":"crypto","offset":7,"length":3,"raw":{"length":3}})");
  DatagramFrame d;
  d.data = Bytes("xy");
  CHECK(Json(d) == R"({"frame_type":"datagram","length":2,"raw":{"length":2}})");
  NewTokenFrame t;
  t.token = Bytes("secret-token");
  CHECK(Json(t) == R"({"frame_type":"new_token","token":{"raw":{"length":12}}})");
}

TEST_CASE("stream control frames", "[qlog]") {
  CHECK(Json(ResetStreamFrame{8, 0x10c, 500}) ==
        R"({"frame_type":"reset_stream","stream_id":8,"error":"unknown","error_code":268,)"
        R"("final_size":500})");
  CHECK(Json(StopSendingFrame{9, 3}) ==
        R"({"frame_type":"stop_sending","stream_id":9,"error":"unknown","error_code":3})");
  CHECK(Json(MaxDataFrame{1 << 20}) == R"({"frame_type":"max_data","maximum":1048576})");
  CHECK(Json(MaxStreamDataFrame{4, 99}) ==
        R"({"frame_type":"max_stream_data","stream_id":4,"maximum":99})");
  CHECK(Json(MaxStreamsFrame{true, 100}) ==
        R"({"frame_type":"max_streams","stream_type":"bidirectional","maximum":100})");
  CHECK(Json(MaxStreamsFrame{false, 3}) ==
        R"({"frame_type":"max_streams","stream_type":"unidirectional","maximum":3})");
  CHECK(Json(DataBlockedFrame{77}) == R"({"frame_type":"data_blocked","limit":77})");
  CHECK(Json(StreamDataBlockedFrame{12, 5}) ==
        R"({"frame_type":"stream_data_blocked","stream_id":12,"limit":5})");
  CHECK(Json(StreamsBlockedFrame{false, 2}) ==
        R"({"frame_type":"streams_blocked","stream_type":"unidirectional","limit":2})");
}

TEST_CASE("connection ID and path frames", "[qlog]") {
  NewConnectionIdFrame n;
  n.sequence_number = 2;
  n.retire_prior_to = 1;
  const uint8_t cid[] = {0xde, 0xad, 0xbe, 0xef};
  n.connection_id = ConnectionId(cid, sizeof(cid));
  for (size_t i = 0; i < n.stateless_reset_token.size(); ++i) {
    n.stateless_reset_token[i] = static_cast<uint8_t>(i);
  }
  CHECK(Json(n) == R"({"frame_type":"new_connection_id","sequence_number":2,)"
                   R"("retire_prior_to":1,"connection_id_length":4,"connection_id":"deadbeef",)"
                   R"("stateless_reset_token":"000102030405060708090a0b0c0d0e0f"})");
  CHECK(Json(RetireConnectionIdFrame{5}) ==
        R"({"frame_type":"retire_connection_id","sequence_number":5})");
  PathChallengeFrame pc;
  pc.data = {1, 2, 3, 4, 5, 6, 7, 0xff};
  CHECK(Json(pc) == R"({"frame_type":"path_challenge","data":"01020304050607ff"})");
  PathResponseFrame pr;
  pr.data = pc.data;
  CHECK(Json(pr) == R"({"frame_type":"path_response","data":"01020304050607ff"})");
}

TEST_CASE("connection_close: spaces, error names, escaped and non-UTF-8 reasons", "[qlog]") {
  ConnectionCloseFrame t;
  t.error_code = 0x0a;
  t.frame_type = 0x06;
  t.reason_phrase = Bytes("bad \"crypto\"\n");
  CHECK(Json(t) == R"({"frame_type":"connection_close","error_space":"transport",)"
                   R"("error":"protocol_violation","error_code":10,)"
                   R"("reason":"bad \"crypto\"\n","trigger_frame_type":6})");
  t.error_code = 0x12a;  // CRYPTO_ERROR, TLS alert 42
  t.reason_phrase = {};
  CHECK(Json(t) == R"({"frame_type":"connection_close","error_space":"transport",)"
                   R"("error":"crypto_error_0x12a","error_code":298,"reason":"",)"
                   R"("trigger_frame_type":6})");
  t.error_code = 0x11;
  CHECK(Json(t).find(R"("error":"unknown","error_code":17)") != std::string::npos);
  ConnectionCloseFrame a;
  a.is_application = true;
  a.error_code = 0x100;
  a.reason_phrase = Bytes("bye\xff");
  CHECK(Json(a) == R"({"frame_type":"connection_close","error_space":"application",)"
                   R"("error":"unknown","error_code":256,"reason":"bye\ufffd",)"
                   R"("reason_bytes":"627965ff"})");
}

TEST_CASE("packet type and transport error names", "[qlog]") {
  CHECK(PacketTypeName(PacketType::kInitial) == "initial");
  CHECK(PacketTypeName(PacketType::kHandshake) == "handshake");
  CHECK(PacketTypeName(PacketType::kZeroRtt) == "0RTT");
  CHECK(PacketTypeName(PacketType::kOneRtt) == "1RTT");
  CHECK(PacketTypeName(PacketType::kRetry) == "retry");
  CHECK(PacketTypeName(PacketType::kVersionNegotiation) == "version_negotiation");
  char buf[24];
  CHECK(TransportErrorName(0, buf) == "no_error");
  CHECK(TransportErrorName(0x10, buf) == "no_viable_path");
  CHECK(TransportErrorName(0x100, buf) == "crypto_error_0x100");
  CHECK(TransportErrorName(0x1ff, buf) == "crypto_error_0x1ff");
  CHECK(TransportErrorName(0x200, buf) == "unknown");
}

}  // namespace
}  // namespace kite::quic::qlog::test
