// Streams over kite connections: limits and MAX_STREAMS, flow control with small windows,
// RESET_STREAM and STOP_SENDING, DATAGRAM frames (RFC 9000 §2-§4, §19.4-§19.5; RFC 9221).
#include <catch2/catch.hpp>

#include <vector>

#include "test/quic/connection/connection_harness.h"
#include "test/quic/connection/stream_collector.h"

namespace kite::quic::test {
namespace {

void Handshake(ConnectionHarness& h) {
  REQUIRE(h.Init().ok());
  REQUIRE(h.Connect().ok());
  REQUIRE(h.RunUntil([&] {
    return h.client()->handshake_confirmed() && h.server() != nullptr &&
           h.server()->handshake_confirmed();
  }));
}

TEST_CASE("a client opens more streams than the initial limit as MAX_STREAMS arrives",
          "[connection][streams]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(5);
  opts.server.initial_max_streams_bidi = 4;
  opts.server.initial_max_streams_uni = 2;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  const int kStreams = 40;
  int opened = 0;
  int refused = 0;
  std::vector<uint64_t> ids;
  h.on_step = [&] {
    while (opened < kStreams) {
      absl::StatusOr<uint64_t> id = h.client()->OpenStream(/*bidirectional=*/false);
      if (!id.ok()) {
        ++refused;
        return;
      }
      ids.push_back(*id);
      REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(Pattern(100, *id)), true).ok());
      ++opened;
    }
  };
  REQUIRE(h.RunUntil([&] { return sink.finished() == static_cast<size_t>(kStreams); }));
  // The limit really bound: the client had to wait for more credit.
  CHECK(refused > 0);
  for (uint64_t id : ids) CHECK(sink.Get(id)->bytes == Pattern(100, id));
  // Unidirectional client streams: ids 2, 6, 10, ... (RFC 9000 §2.1).
  CHECK(ids[0] == 2);
  CHECK(ids[1] == 6);
}

TEST_CASE("a 2 MB transfer completes through 16 KB initial flow-control windows",
          "[connection][streams]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.link.bandwidth_bps = 50'000'000;
  opts.server.initial_max_data = 16 << 10;
  opts.server.initial_max_stream_data_bidi_remote = 16 << 10;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(true);
  REQUIRE(id.ok());
  std::vector<uint8_t> data = Pattern(2 << 20, 42);
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(data), true).ok());
  REQUIRE(h.RunUntil([&] {
    const StreamCollector::Received* r = sink.Get(*id);
    return r != nullptr && r->fin;
  }));
  CHECK(sink.Get(*id)->bytes == data);
}

TEST_CASE("a reader that does not read stalls the sender at the window", "[connection][streams]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.server.initial_max_data = 1 << 20;
  opts.server.initial_max_stream_data_bidi_remote = 32 << 10;
  ConnectionHarness h(opts);
  Handshake(h);
  absl::StatusOr<uint64_t> id = h.client()->OpenStream(true);
  REQUIRE(id.ok());
  REQUIRE(h.client()->WriteStream(*id, absl::MakeConstSpan(Pattern(200000, 1)), true).ok());
  h.RunUntil([] { return false; }, absl::Seconds(2));
  // Nothing read on the server: the client sent no more than the stream window allows.
  CHECK(h.client()->stats().stream_bytes_sent - h.client()->stats().stream_bytes_retransmitted <=
        (32u << 10));
  CHECK(h.client()->StreamBufferedBytes(*id) >= 200000 - (32u << 10));
  CHECK_FALSE(h.client()->is_closing());
  // Once the server reads, credit returns and the client hears its stream is writable again.
  StreamCollector sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { sink.OnEvent(c, ev); };
  sink.OnEvent(*h.server(), ConnectionEvent{ConnectionEvent::Type::kStreamReadable});
  ConnectionEvent readable{ConnectionEvent::Type::kStreamReadable};
  readable.stream_id = *id;
  sink.OnEvent(*h.server(), readable);
  REQUIRE(h.RunUntil([&] { return sink.Get(*id) != nullptr && sink.Get(*id)->fin; }));
  bool writable = false;
  for (const ConnectionEvent& e : h.client_events()) {
    if (e.type == ConnectionEvent::Type::kStreamWritable && e.stream_id == *id) writable = true;
  }
  CHECK(writable);
}

TEST_CASE("RESET_STREAM and STOP_SENDING reach the peer with their codes",
          "[connection][streams]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector server_sink;
  StreamCollector client_sink;
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) { server_sink.OnEvent(c, ev); };
  h.on_client_event = [&](Connection& c, const ConnectionEvent& ev) { client_sink.OnEvent(c, ev); };
  absl::StatusOr<uint64_t> a = h.client()->OpenStream(true);
  absl::StatusOr<uint64_t> b = h.client()->OpenStream(true);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  REQUIRE(h.client()->WriteStream(*a, absl::MakeConstSpan(Pattern(1000, 1)), false).ok());
  REQUIRE(h.client()->WriteStream(*b, absl::MakeConstSpan(Pattern(1000, 2)), false).ok());
  REQUIRE(h.RunUntil([&] { return server_sink.Get(*a) != nullptr && server_sink.Get(*b) != nullptr; }));
  REQUIRE(h.client()->ResetStream(*a, 77).ok());
  REQUIRE(h.client()->StopSending(*b, 88).ok());
  REQUIRE(h.RunUntil([&] {
    const StreamCollector::Received* ra = server_sink.Get(*a);
    const StreamCollector::Received* rb = server_sink.Get(*b);
    return ra->reset_code.has_value() && rb->stop_sending_code.has_value();
  }));
  CHECK(*server_sink.Get(*a)->reset_code == 77);
  CHECK(*server_sink.Get(*b)->stop_sending_code == 88);
  // A write on a reset stream fails locally.
  CHECK_FALSE(h.client()->WriteStream(*a, absl::MakeConstSpan(Pattern(10, 1)), true).ok());
  CHECK_FALSE(h.client()->is_closing());
  CHECK_FALSE(h.server()->is_closing());
}

TEST_CASE("DATAGRAM frames flow when both sides allow them", "[connection][datagram]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(10);
  opts.client.max_datagram_frame_size = 1200;
  opts.server.max_datagram_frame_size = 1200;
  ConnectionHarness h(opts);
  Handshake(h);
  std::vector<std::vector<uint8_t>> got;
  h.on_server_event = [&](Connection&, const ConnectionEvent& ev) {
    if (ev.type == ConnectionEvent::Type::kDatagramReceived) got.push_back(ev.data);
  };
  REQUIRE(h.client()->MaxDatagramPayload() > 1000);
  for (int i = 0; i < 10; ++i) {
    REQUIRE(h.client()->SendDatagram(absl::MakeConstSpan(Pattern(500 + i, i))).ok());
  }
  CHECK_FALSE(h.client()->SendDatagram(absl::MakeConstSpan(Pattern(5000, 1))).ok());
  REQUIRE(h.RunUntil([&] { return got.size() == 10; }));
  for (int i = 0; i < 10; ++i) CHECK(got[i] == Pattern(500 + i, i));
}

TEST_CASE("DATAGRAM is refused when the peer did not advertise it", "[connection][datagram]") {
  HarnessOptions opts;
  opts.client.max_datagram_frame_size = 1200;
  ConnectionHarness h(opts);
  Handshake(h);
  CHECK(h.client()->MaxDatagramPayload() == 0);
  CHECK(h.client()->SendDatagram(absl::MakeConstSpan(Pattern(10, 1))).code() ==
        absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("stream priorities: an urgent stream finishes before a bulk one started earlier",
          "[connection][streams]") {
  HarnessOptions opts;
  opts.link.propagation_delay = absl::Milliseconds(5);
  opts.link.bandwidth_bps = 10'000'000;
  ConnectionHarness h(opts);
  Handshake(h);
  StreamCollector sink;
  absl::Time bulk_done = absl::InfiniteFuture();
  absl::Time urgent_done = absl::InfiniteFuture();
  absl::StatusOr<uint64_t> bulk = h.client()->OpenStream(false);
  absl::StatusOr<uint64_t> urgent = h.client()->OpenStream(false);
  REQUIRE(bulk.ok());
  REQUIRE(urgent.ok());
  h.on_server_event = [&](Connection& c, const ConnectionEvent& ev) {
    sink.OnEvent(c, ev);
    const StreamCollector::Received* b = sink.Get(*bulk);
    const StreamCollector::Received* u = sink.Get(*urgent);
    if (b != nullptr && b->fin && bulk_done == absl::InfiniteFuture()) bulk_done = h.now();
    if (u != nullptr && u->fin && urgent_done == absl::InfiniteFuture()) urgent_done = h.now();
  };
  REQUIRE(h.client()->SetStreamPriority(*bulk, 5, false).ok());
  REQUIRE(h.client()->SetStreamPriority(*urgent, 0, false).ok());
  REQUIRE(h.client()->WriteStream(*bulk, absl::MakeConstSpan(Pattern(400000, 1)), true).ok());
  h.RunUntil([] { return false; }, absl::Milliseconds(30));
  REQUIRE(h.client()->WriteStream(*urgent, absl::MakeConstSpan(Pattern(100000, 2)), true).ok());
  REQUIRE(h.RunUntil([&] { return sink.finished() == 2; }));
  CHECK(urgent_done < bulk_done);
}

}  // namespace
}  // namespace kite::quic::test
