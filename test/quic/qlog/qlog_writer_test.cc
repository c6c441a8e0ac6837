// QlogWriter fed by hand-made observer calls: the header record, each event's JSON, the
// assembly of sent and received packets, deferred events, change-only metrics, key events,
// the ODCID hold-back, the legacy dialect, HTTP/3 events and the directory sink.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "quic/qlog/directory_sink.h"
#include "quic/qlog/qlog_writer.h"
#include "test/quic/qlog/qlog_test_util.h"

namespace kite::quic::qlog::test {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

ConnectionId Cid() {
  const uint8_t b[] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  return ConnectionId(b, sizeof(b));
}

QlogOptions Options(Perspective p = Perspective::kClient) {
  QlogOptions o;
  o.perspective = p;
  o.odcid = Cid();
  o.reference_time = kT0;
  return o;
}

PacketInfo Packet(PacketType type, uint64_t pn, size_t size, bool key_phase = false) {
  PacketInfo p;
  p.type = type;
  p.packet_number = pn;
  p.size = size;
  p.key_phase = key_phase;
  return p;
}

// The records after the header, as raw text without RS and LF.
std::vector<std::string> EventLines(const std::string& text) {
  std::string error;
  std::optional<std::vector<std::string_view>> recs = SplitJsonSeq(text, &error);
  REQUIRE(recs.has_value());
  std::vector<std::string> out;
  for (size_t i = 1; i < recs->size(); ++i) {
    std::string_view r = (*recs)[i];
    out.emplace_back(r.substr(0, r.size() - 1));
  }
  return out;
}

TEST_CASE("the header record carries the schema, vantage point and common fields", "[qlog]") {
  StringSink sink;
  QlogOptions o = Options(Perspective::kServer);
  o.title = "t\"1";
  o.description = "desc";
  QlogWriter w(o, &sink);
  // Written at construction when the ODCID is known.
  REQUIRE(w.records_written() == 1);
  std::vector<JsonValue> recs = ParseRecords(sink.contents());
  REQUIRE(recs.size() == 1);
  const JsonValue& h = recs[0];
  CHECK(h.Get("file_schema")->text == "urn:ietf:params:qlog:file:sequential");
  CHECK(h.Get("serialization_format")->text == "application/qlog+json-seq");
  CHECK(h.Get("qlog_version")->text == "0.3");
  CHECK(h.Get("qlog_format")->text == "JSON-SEQ");
  CHECK(h.Get("title")->text == "t\"1");
  CHECK(h.Get("description")->text == "desc");
  CHECK(h.Get("trace", "vantage_point", "type")->text == "server");
  CHECK(h.Get("trace", "vantage_point", "name")->text == "kite");
  CHECK(h.Get("trace", "common_fields", "ODCID")->text == "0123456789abcdef");
  CHECK(h.Get("trace", "common_fields", "group_id")->text == "0123456789abcdef");
  CHECK(h.Get("trace", "common_fields", "time_format")->text == "relative_to_epoch");
  CHECK(h.Get("trace", "common_fields", "reference_time", "clock_type")->text == "monotonic");
  CHECK(h.Get("trace", "common_fields", "reference_time", "epoch")->text == "unknown");
  const JsonValue* schemas = h.Get("trace", "event_schemas");
  REQUIRE(schemas != nullptr);
  REQUIRE(schemas->items.size() == 2);
  CHECK(schemas->items[0].text == "urn:ietf:params:qlog:events:quic-13");
  CHECK(schemas->items[1].text == "urn:ietf:params:qlog:events:http3-13");
  // Main schema: file_schema and serialization_format within the first 256 bytes.
  CHECK(sink.contents().find("serialization_format") < 256);
}

TEST_CASE("a sent packet collects the frames reported before it", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  PacketInfo p = Packet(PacketType::kInitial, 0, 0);
  CryptoFrame c;
  c.offset = 0;
  const uint8_t data[300] = {};
  c.data = absl::MakeConstSpan(data, sizeof(data));
  w.OnFrame(kT0, p, c, true);
  w.OnFrame(kT0, p, PaddingFrame{862}, true);
  p.size = 1200;
  w.OnPacketSent(kT0 + absl::Microseconds(1500), p);
  // Frames of a packet the connection abandoned are replaced by the next packet's.
  PacketInfo q = Packet(PacketType::kOneRtt, 7, 0, true);
  w.OnFrame(kT0 + absl::Milliseconds(2), q, PingFrame{}, true);
  PacketInfo r = Packet(PacketType::kOneRtt, 8, 0, true);
  w.OnFrame(kT0 + absl::Milliseconds(2), r, MaxDataFrame{5000}, true);
  r.size = 40;
  w.OnPacketSent(kT0 + absl::Milliseconds(2), r);
  // No frames reported at all.
  w.OnPacketSent(kT0 + absl::Milliseconds(3), Packet(PacketType::kHandshake, 1, 50));
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 3);
  CHECK(lines[0] ==
        R"({"time":1.5,"name":"quic:packet_sent","data":{"header":{"packet_type":"initial",)"
        R"("packet_number":0},"raw":{"length":1200},"frames":[{"frame_type":"crypto",)"
        R"("offset":0,"length":300,"raw":{"length":300}},{"frame_type":"padding",)"
        R"("raw":{"length":862,"payload_length":862}}]}})");
  CHECK(lines[1] ==
        R"({"time":2,"name":"quic:packet_sent","data":{"header":{"packet_type":"1RTT",)"
        R"("packet_number":8,"key_phase_bit":true},"raw":{"length":40},"frames":[)"
        R"({"frame_type":"max_data","maximum":5000}]}})");
  CHECK(lines[2] ==
        R"({"time":3,"name":"quic:packet_sent","data":{"header":{"packet_type":"handshake",)"
        R"("packet_number":1},"raw":{"length":50},"frames":[]}})");
}

TEST_CASE("a received packet is written with its frames, then what it caused", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  const absl::Time t1 = kT0 + absl::Milliseconds(10);
  PacketInfo p = Packet(PacketType::kOneRtt, 3, 80);
  w.OnPacketReceived(t1, p);
  AckFrame ack;
  ack.ranges = {AckRange{0, 2}};
  ack.ack_delay = 0;
  w.OnFrame(t1, p, ack, false);
  w.OnPacketLost(t1, PacketType::kOneRtt, 1, 1200);
  w.OnRecoveryMetrics(t1, 12000, 0, absl::Milliseconds(10), absl::Milliseconds(9),
                      absl::Milliseconds(10), absl::Milliseconds(5), 0);
  StreamFrame s;
  s.stream_id = 0;
  s.data = {};
  s.fin = true;
  w.OnFrame(t1, p, s, false);
  // A frame for a packet never announced is ignored.
  w.OnFrame(t1, Packet(PacketType::kOneRtt, 99, 0), PingFrame{}, false);
  // Still open: only the header is out.
  CHECK(w.records_written() == 1);
  w.OnPacketSent(t1 + absl::Milliseconds(1), Packet(PacketType::kOneRtt, 4, 30));
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        R"({"time":10,"name":"quic:packet_received","data":{"header":{"packet_type":"1RTT",)"
        R"("packet_number":3,"key_phase_bit":false},"raw":{"length":80},"frames":[)"
        R"({"frame_type":"ack","ack_delay":0,"acked_ranges":[[0,2]]},{"frame_type":"stream",)"
        R"("stream_id":0,"offset":0,"length":0,"fin":true,"raw":{"length":0}}]}})");
  CHECK(lines[1] == R"({"time":10,"name":"quic:packet_lost","data":{"header":{)"
                    R"("packet_type":"1RTT","packet_number":1}}})");
  CHECK(lines[2] == R"({"time":10,"name":"quic:recovery_metrics_updated","data":{"min_rtt":9,)"
                    R"("smoothed_rtt":10,"latest_rtt":10,"rtt_variance":5,"pto_count":0,)"
                    R"("congestion_window":12000,"bytes_in_flight":0}})");
  CHECK(NameOf(ParseRecords("\x1e" + lines[3] + "\n")[0]) == "quic:packet_sent");
  CHECK(w.records_written() == 5);
}

TEST_CASE("Flush closes an open received packet", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  w.OnPacketReceived(kT0, Packet(PacketType::kHandshake, 0, 100));
  w.OnConnectionStateChanged(kT0, "handshake_complete");
  CHECK(EventLines(sink.contents()).empty());
  w.Flush();
  std::vector<JsonValue> recs = ParseRecords(sink.contents());
  REQUIRE(recs.size() == 3);
  CHECK(NameOf(recs[1]) == "quic:packet_received");
  CHECK(NameOf(recs[2]) == "quic:connection_state_updated");
}

TEST_CASE("recovery metrics are logged only when they change", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  const absl::Duration ms = absl::Milliseconds(1);
  w.OnRecoveryMetrics(kT0, 100, 10, 20 * ms, 15 * ms, 25 * ms, 3 * ms, 0);
  w.OnRecoveryMetrics(kT0 + ms, 200, 10, 20 * ms, 15 * ms, 25 * ms, 3 * ms, 0);
  w.OnRecoveryMetrics(kT0 + 2 * ms, 200, 10, 20 * ms, 15 * ms, 25 * ms, 3 * ms, 0);
  w.OnRecoveryMetrics(kT0 + 3 * ms, 200, 0, 21 * ms, 15 * ms, 22 * ms, 3 * ms, 1);
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 3);
  CHECK(lines[1] ==
        R"({"time":1,"name":"quic:recovery_metrics_updated","data":{"congestion_window":200}})");
  CHECK(lines[2] == R"({"time":3,"name":"quic:recovery_metrics_updated","data":{)"
                    R"("smoothed_rtt":21,"latest_rtt":22,"pto_count":1,"bytes_in_flight":0}})");
}

TEST_CASE("connection and congestion states carry the old state", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  w.OnConnectionStateChanged(kT0, "handshake_complete");
  w.OnConnectionStateChanged(kT0, "handshake_confirmed");
  w.OnCongestionStateChanged(kT0, "slow_start");
  w.OnCongestionStateChanged(kT0, "slow_start");  // not a change
  w.OnCongestionStateChanged(kT0, "recovery");
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] ==
        R"({"time":0,"name":"quic:connection_state_updated","data":{"new":"handshake_complete"}})");
  CHECK(lines[1] == R"({"time":0,"name":"quic:connection_state_updated","data":{)"
                    R"("old":"handshake_complete","new":"handshake_confirmed"}})");
  CHECK(lines[2] ==
        R"({"time":0,"name":"quic:congestion_state_updated","data":{"new":"slow_start"}})");
  CHECK(lines[3] == R"({"time":0,"name":"quic:congestion_state_updated","data":{)"
                    R"("old":"slow_start","new":"recovery"}})");
}

TEST_CASE("key updates and discards map to qlog key types", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(Perspective::kClient), &sink);
  w.OnKeyUpdated(kT0, "initial_discarded", 0);
  w.OnKeyUpdated(kT0, "1rtt_local", 1);
  w.OnKeyUpdated(kT0, "1rtt_remote", 2);
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 5);
  CHECK(lines[0] == R"({"time":0,"name":"quic:key_discarded","data":{)"
                    R"("key_type":"client_initial_secret","trigger":"tls"}})");
  CHECK(lines[1] == R"({"time":0,"name":"quic:key_discarded","data":{)"
                    R"("key_type":"server_initial_secret","trigger":"tls"}})");
  CHECK(lines[2] == R"({"time":0,"name":"quic:key_updated","data":{)"
                    R"("key_type":"client_1rtt_secret","key_phase":1,"trigger":"local_update"}})");
  CHECK(lines[3] == R"({"time":0,"name":"quic:key_updated","data":{)"
                    R"("key_type":"server_1rtt_secret","key_phase":2,"trigger":"remote_update"}})");
  CHECK(lines[4] == R"({"time":0,"name":"quic:key_updated","data":{)"
                    R"("key_type":"client_1rtt_secret","key_phase":2,"trigger":"remote_update"}})");
}

TEST_CASE("dropped and buffered packets", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  w.OnPacketDropped(kT0, PacketType::kHandshake, 300, PacketDropReason::kBuffered);
  w.OnPacketDropped(kT0, PacketType::kOneRtt, 64, PacketDropReason::kHeaderParseError);
  w.OnPacketDropped(kT0, PacketType::kInitial, 1200, PacketDropReason::kDecryptionFailure);
  w.OnPacketDropped(kT0, PacketType::kOneRtt, 50, PacketDropReason::kConnectionClosed);
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == R"({"time":0,"name":"quic:packet_buffered","data":{"header":{)"
                    R"("packet_type":"handshake"},"raw":{"length":300},)"
                    R"("trigger":"keys_unavailable"}})");
  CHECK(lines[1] == R"({"time":0,"name":"quic:packet_dropped","data":{"header":{)"
                    R"("packet_type":"unknown"},"raw":{"length":64},"trigger":"invalid"}})");
  CHECK(lines[2] == R"({"time":0,"name":"quic:packet_dropped","data":{"header":{)"
                    R"("packet_type":"initial"},"raw":{"length":1200},)"
                    R"("trigger":"decryption_failure"}})");
  CHECK(lines[3] == R"({"time":0,"name":"quic:packet_dropped","data":{"header":{)"
                    R"("packet_type":"1RTT"},"raw":{"length":50},"trigger":"general",)"
                    R"("details":{"reason":"connection_closed"}}})");
}

TEST_CASE("records wait for the ODCID, then follow the header", "[qlog]") {
  StringSink sink;
  QlogOptions o = Options();
  o.odcid.reset();
  o.reference_time.reset();  // from the first event
  QlogWriter w(o, &sink);
  w.OnPacketSent(kT0 + absl::Milliseconds(5), Packet(PacketType::kInitial, 0, 1200));
  w.OnPacketSent(kT0 + absl::Milliseconds(7), Packet(PacketType::kInitial, 1, 1200));
  CHECK(sink.contents().empty());
  CHECK(w.records_written() == 0);
  w.SetOriginalDestinationConnectionId(Cid());
  std::vector<JsonValue> recs = ParseRecords(sink.contents());
  REQUIRE(recs.size() == 3);
  CHECK(recs[0].Get("trace", "common_fields", "ODCID")->text == "0123456789abcdef");
  CHECK(recs[1].Get("time")->text == "0");
  CHECK(recs[2].Get("time")->text == "2");
  CHECK(w.records_written() == 3);
  // Too late to change.
  w.SetOriginalDestinationConnectionId(ConnectionId());
  CHECK(ParseRecords(sink.contents()).size() == 3);
}

TEST_CASE("without an ODCID the header goes out once the hold limit is passed", "[qlog]") {
  StringSink sink;
  QlogOptions o = Options();
  o.odcid.reset();
  o.max_held_bytes = 300;
  QlogWriter w(o, &sink);
  w.OnPacketSent(kT0, Packet(PacketType::kInitial, 0, 1200));
  CHECK(sink.contents().empty());
  for (uint64_t pn = 1; pn < 5; ++pn) w.OnPacketSent(kT0, Packet(PacketType::kInitial, pn, 1200));
  std::vector<JsonValue> recs = ParseRecords(sink.contents());
  REQUIRE(recs.size() == 6);
  CHECK(recs[0].Get("trace", "common_fields", "ODCID") == nullptr);
  CHECK(recs[0].Get("trace", "vantage_point", "type")->text == "client");
}

TEST_CASE("the qvis dialect uses qlog 0.3 names and relative times", "[qlog]") {
  StringSink sink;
  QlogOptions o = Options();
  o.dialect = QlogDialect::kQvisLegacy;
  QlogWriter w(o, &sink);
  w.OnPacketSent(kT0, Packet(PacketType::kInitial, 0, 1200));
  w.OnPacketReceived(kT0, Packet(PacketType::kInitial, 0, 1200));
  w.OnRecoveryMetrics(kT0, 1, 2, absl::Milliseconds(3), absl::Milliseconds(3),
                      absl::Milliseconds(3), absl::Milliseconds(1), 0);
  w.OnConnectionStateChanged(kT0, "handshake_complete");
  w.OnKeyUpdated(kT0, "1rtt_local", 1);
  w.OnKeyUpdated(kT0, "handshake_discarded", 0);
  w.OnPacketLost(kT0, PacketType::kOneRtt, 3, 100);
  w.OnCongestionStateChanged(kT0, "recovery");
  w.Flush();
  std::vector<JsonValue> recs = ParseRecords(sink.contents());
  REQUIRE(recs.size() == 10);
  CHECK(recs[0].Get("trace", "common_fields", "time_format")->text == "relative");
  CHECK(recs[0].Get("trace", "common_fields", "reference_time")->text == "0");
  std::vector<std::string> names;
  for (size_t i = 1; i < recs.size(); ++i) names.push_back(NameOf(recs[i]));
  CHECK(names == std::vector<std::string>{
                     "transport:packet_sent", "transport:packet_received",
                     "recovery:metrics_updated", "connectivity:connection_state_updated",
                     "security:key_updated", "security:key_retired", "security:key_retired",
                     "recovery:packet_lost", "recovery:congestion_state_updated"});
  CHECK(recs[5].Get("data", "generation")->text == "1");
}

TEST_CASE("HTTP/3 frames, stream types and settings", "[qlog]") {
  StringSink sink;
  QlogWriter w(Options(), &sink);
  const Http3Setting settings[] = {{0x01, 4096}, {0x06, 16384}, {0x07, 16}, {0x21, 7}, {0x99, 1}};
  w.OnHttp3ParametersSet(kT0, true, absl::MakeConstSpan(settings, 3));
  w.OnHttp3StreamTypeSet(kT0, 2, true, Http3StreamType::kControl);
  w.OnHttp3StreamTypeSet(kT0, 7, false, Http3StreamType::kUnknown, 0x54);
  Http3FrameInfo sf;
  sf.type = kHttp3FrameSettings;
  sf.payload_length = 9;
  sf.settings = absl::MakeConstSpan(settings);
  w.OnHttp3FrameCreated(kT0, 2, sf);
  const Http3Field fields[] = {{":method", "GET"}, {"x-quote", "a\"b\n"}};
  Http3FrameInfo hf;
  hf.type = kHttp3FrameHeaders;
  hf.payload_length = 20;
  hf.headers = absl::MakeConstSpan(fields);
  w.OnHttp3FrameParsed(kT0, 0, hf);
  Http3FrameInfo unknown;
  unknown.type = 0x2a;
  w.OnHttp3FrameParsed(kT0, 0, unknown);
  Http3FrameInfo reserved;
  reserved.type = 0x21 + 0x1f * 3;
  w.OnHttp3FrameParsed(kT0, 0, reserved);
  Http3FrameInfo goaway;
  goaway.type = kHttp3FrameGoaway;
  goaway.id = 8;
  w.OnHttp3FrameCreated(kT0, 3, goaway);
  Http3FrameInfo prio;
  prio.type = kHttp3FramePriorityUpdateRequest;
  prio.id = 4;
  prio.priority_field_value = "u=1, i";
  w.OnHttp3FrameCreated(kT0, 2, prio);
  std::vector<std::string> lines = EventLines(sink.contents());
  REQUIRE(lines.size() == 9);
  CHECK(lines[0] == R"({"time":0,"name":"http3:parameters_set","data":{"initiator":"local",)"
                    R"("max_table_capacity":4096,"max_field_section_size":16384,)"
                    R"("blocked_streams_count":16}})");
  CHECK(lines[1] == R"({"time":0,"name":"http3:stream_type_set","data":{"initiator":"local",)"
                    R"("stream_id":2,"stream_type":"control"}})");
  CHECK(lines[2] == R"({"time":0,"name":"http3:stream_type_set","data":{"initiator":"remote",)"
                    R"("stream_id":7,"stream_type":"unknown","stream_type_bytes":84}})");
  CHECK(lines[3] ==
        R"({"time":0,"name":"http3:frame_created","data":{"stream_id":2,"frame":{)"
        R"("frame_type":"settings","settings":[)"
        R"({"name":"settings_qpack_max_table_capacity","value":4096},)"
        R"({"name":"settings_max_field_section_size","value":16384},)"
        R"({"name":"settings_qpack_blocked_streams","value":16},)"
        R"({"name":"reserved","name_bytes":33,"value":7},)"
        R"({"name":"unknown","name_bytes":153,"value":1}],"raw":{"payload_length":9}}}})");
  CHECK(lines[4] ==
        R"({"time":0,"name":"http3:frame_parsed","data":{"stream_id":0,"frame":{)"
        R"("frame_type":"headers","headers":[{"name":":method","value":"GET"},)"
        R"({"name":"x-quote","value":"a\"b\n"}],"raw":{"payload_length":20}}}})");
  CHECK(lines[5] == R"({"time":0,"name":"http3:frame_parsed","data":{"stream_id":0,"frame":{)"
                    R"("frame_type":"unknown","frame_type_bytes":42,"raw":{"payload_length":0}}}})");
  CHECK(lines[6].find(R"("frame_type":"reserved","frame_type_bytes":126)") != std::string::npos);
  CHECK(lines[7] == R"({"time":0,"name":"http3:frame_created","data":{"stream_id":3,"frame":{)"
                    R"("frame_type":"goaway","id":8,"raw":{"payload_length":0}}}})");
  CHECK(lines[8] ==
        R"({"time":0,"name":"http3:frame_created","data":{"stream_id":2,"frame":{)"
        R"("frame_type":"priority_update","stream_id":4,"priority_field_value":"u=1, i",)"
        R"("raw":{"payload_length":0}}}})");
}

TEST_CASE("DirectorySink writes <odcid>_<perspective>.sqlog", "[qlog]") {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp != nullptr ? tmp : "/tmp";
  CHECK(QlogFileName(Cid(), Perspective::kServer) == "0123456789abcdef_server.sqlog");
  CHECK(QlogFileName(ConnectionId(), Perspective::kClient) == "unknown_client.sqlog");
  std::string path;
  {
    DirectorySink sink(dir);
    QlogWriter w(Options(Perspective::kServer), &sink);
    w.OnConnectionStateChanged(kT0, "handshake_complete");
    path = sink.path();
    CHECK_FALSE(sink.failed());
  }
  CHECK(path == dir + "/0123456789abcdef_server.sqlog");
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  std::vector<JsonValue> recs = ParseRecords(ss.str());
  REQUIRE(recs.size() == 2);
  CHECK(NameOf(recs[1]) == "quic:connection_state_updated");
  std::remove(path.c_str());

  // A directory that does not exist: the writer carries on, the sink drops everything.
  DirectorySink bad(dir + "/no/such/dir");
  QlogWriter w2(Options(), &bad);
  w2.OnConnectionStateChanged(kT0, "closed");
  w2.Flush();
  CHECK(bad.failed());
}

}  // namespace
}  // namespace kite::quic::qlog::test
