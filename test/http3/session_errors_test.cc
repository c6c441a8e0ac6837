// Protocol violations against a session, each with its RFC 9114 / RFC 9204 error code: a raw
// QUIC peer (no session) writes crafted streams; the session under test must close the
// connection (connection errors) or reset the stream (stream errors, §8).
#include <catch2/catch.hpp>

#include <functional>
#include <string>

#include "http3/frames.h"
#include "http3/qpack_codec.h"
#include "http3/stream_type.h"
#include "test/http3/http3_harness.h"

namespace kite::http3::test {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes Cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}
Bytes VarInt(uint64_t v) {
  Bytes b;
  AppendVarInt(v, &b);
  return b;
}
Bytes F(const Frame& f) { return EncodeFrame(f); }
Bytes Settings0() { return F(SettingsFrame{}); }
Bytes Raw(std::initializer_list<uint8_t> b) { return Bytes(b); }

// A HEADERS frame whose field section any QPACK decoder reads (static table and literals).
Bytes HeadersFrameFor(uint64_t stream_id, const HeaderList& fields) {
  QpackCodec codec(Settings{}, 0);
  return F(HeadersFrame{codec.EncodeFieldSection(stream_id, fields)});
}

HeaderList GoodRequest() {
  return {{":method", "POST"}, {":scheme", "https"}, {":authority", "localhost"}, {":path", "/echo"}};
}

uint64_t OpenUni(quic::Connection& c, const Bytes& bytes, bool fin = false) {
  absl::StatusOr<uint64_t> id = c.OpenStream(false);
  REQUIRE(id.ok());
  REQUIRE(c.WriteStream(*id, bytes, fin).ok());
  return *id;
}
uint64_t OpenBidi(quic::Connection& c, const Bytes& bytes, bool fin) {
  absl::StatusOr<uint64_t> id = c.OpenStream(true);
  REQUIRE(id.ok());
  REQUIRE(c.WriteStream(*id, bytes, fin).ok());
  return *id;
}

struct RawRun {
  std::vector<quic::ConnectionEvent> raw_events;
  bool session_closed = false;
  std::optional<Http3ErrorCode> session_error;
  std::optional<quic::CloseInfo> raw_close;
  size_t requests_completed = 0;
  size_t client_failed = 0;
  Http3ErrorCode client_failure = Http3ErrorCode::kNoError;
};

// A raw client against a ServerSession: `act` runs once the handshake is complete.
// `after`, if set, runs once the server has processed the client's SETTINGS.
RawRun AgainstServer(const std::function<void(quic::Connection&)>& act,
                     const std::function<void(quic::Connection&)>& after = nullptr,
                     absl::Duration run_for = absl::Seconds(1)) {
  Http3Harness h;
  PatternServer server;
  RawRun out;
  h.on_raw_client_event = [&](quic::Connection& c, const quic::ConnectionEvent& ev) {
    // Drain whatever the server sends so flow control never stalls it.
    if (ev.type == quic::ConnectionEvent::Type::kStreamReadable ||
        ev.type == quic::ConnectionEvent::Type::kStreamOpened) {
      uint8_t buf[4096];
      bool fin = false;
      while (true) {
        absl::StatusOr<size_t> n = c.ReadStream(ev.stream_id, buf, sizeof(buf), &fin);
        if (!n.ok() || *n == 0) break;
      }
    }
    out.raw_events.push_back(ev);
  };
  REQUIRE(h.Connect(nullptr, &server, /*raw_client=*/true).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  act(*h.client_connection());
  if (after) {
    REQUIRE(h.RunUntil([&] { return h.server() != nullptr && h.server()->peer_settings(); }));
    after(*h.client_connection());
  }
  h.RunUntil([&] { return h.server() != nullptr && h.server()->is_closed(); }, run_for);
  REQUIRE(h.server() != nullptr);
  out.session_closed = h.server()->is_closed();
  out.session_error = h.server()->local_error();
  h.RunUntil([&] { return h.client_connection()->close_info().has_value(); }, run_for);
  out.raw_close = h.client_connection()->close_info();
  for (const auto& [id, r] : server.requests) out.requests_completed += r.complete ? 1 : 0;
  return out;
}

// A raw server against a ClientSession that sent one GET on stream 0. `act` runs once the
// server saw the request stream.
RawRun AgainstClient(const std::function<void(quic::Connection&)>& act) {
  Http3Harness h;
  RecordingClient client;
  RawRun out;
  bool acted = false;
  h.on_raw_server_event = [&](quic::Connection& c, const quic::ConnectionEvent& ev) {
    if (ev.type == quic::ConnectionEvent::Type::kStreamReadable ||
        ev.type == quic::ConnectionEvent::Type::kStreamOpened) {
      uint8_t buf[4096];
      bool fin = false;
      while (true) {
        absl::StatusOr<size_t> n = c.ReadStream(ev.stream_id, buf, sizeof(buf), &fin);
        if (!n.ok() || *n == 0) break;
      }
      if (ev.stream_id == 0 && !acted) {
        acted = true;
        act(c);
      }
    }
    out.raw_events.push_back(ev);
  };
  REQUIRE(h.Connect(&client, nullptr, /*raw_client=*/false, /*raw_server=*/true).ok());
  REQUIRE(h.RunUntil([&] { return h.client_connection()->handshake_complete(); }));
  REQUIRE(h.client()
              ->SendRequest({{":method", "GET"}, {":scheme", "https"}, {":authority", "localhost"},
                             {":path", "/"}},
                            true)
              .ok());
  h.RunUntil([&] { return h.client()->is_closed() || client.failed > 0; }, absl::Seconds(1));
  REQUIRE(acted);
  out.session_closed = h.client()->is_closed();
  out.session_error = h.client()->local_error();
  h.RunUntil([&] { return h.server_connection()->close_info().has_value(); }, absl::Seconds(1));
  out.raw_close = h.server_connection()->close_info();
  out.client_failed = client.failed;
  if (!client.responses.empty()) out.client_failure = client.responses.begin()->second.error;
  return out;
}

void ExpectConnectionError(const RawRun& r, Http3ErrorCode code) {
  CHECK(r.session_closed);
  REQUIRE(r.session_error.has_value());
  CHECK(*r.session_error == code);
  // The peer saw CONNECTION_CLOSE (application) with the same code.
  REQUIRE(r.raw_close.has_value());
  CHECK(r.raw_close->by_peer);
  CHECK(r.raw_close->is_application);
  CHECK(r.raw_close->error_code == ToWire(code));
}

struct Case {
  const char* what;
  std::function<void(quic::Connection&)> act;
  Http3ErrorCode code;
  std::function<void(quic::Connection&)> after = nullptr;
};

TEST_CASE("connection errors a server raises", "[http3][errors]") {
  const Bytes ctrl = VarInt(kStreamTypeControl);
  std::vector<Case> cases = {
      {"first control frame is not SETTINGS",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, F(GoawayFrame{0})})); },
       Http3ErrorCode::kMissingSettings},
      {"reserved frame before SETTINGS",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, F(UnknownFrame{ReservedFrameType(3), {1}}), Settings0()}));
       },
       Http3ErrorCode::kMissingSettings},
      {"second SETTINGS",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0(), Settings0()})); },
       Http3ErrorCode::kFrameUnexpected},
      {"DATA on the control stream",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0(), F(DataFrame{{1, 2}})})); },
       Http3ErrorCode::kFrameUnexpected},
      {"HEADERS on the control stream",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(HeadersFrame{{0, 0}})}));
       },
       Http3ErrorCode::kFrameUnexpected},
      {"PUSH_PROMISE on the control stream",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(PushPromiseFrame{0, {0, 0}})}));
       },
       Http3ErrorCode::kFrameUnexpected},
      {"HTTP/2 WINDOW_UPDATE on the control stream",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), Raw({0x08, 0x01, 0x00})}));
       },
       Http3ErrorCode::kFrameUnexpected},
      {"HTTP/2 setting",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, F(SettingsFrame{{{0x02, 0}}})})); },
       Http3ErrorCode::kSettingsError},
      {"duplicate setting",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, F(SettingsFrame{{{0x06, 100}, {0x06, 100}}})}));
       },
       Http3ErrorCode::kSettingsError},
      {"SETTINGS ends inside a parameter",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Raw({0x04, 0x01, 0x06})})); },
       Http3ErrorCode::kFrameError},
      {"GOAWAY with a trailing byte",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), Raw({0x07, 0x02, 0x00, 0x00})}));
       },
       Http3ErrorCode::kFrameError},
      {"SETTINGS above the frame size bound",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Raw({0x04}), VarInt(10 << 20)}));
       },
       Http3ErrorCode::kExcessiveLoad},
      {"control stream closed",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0()}), /*fin=*/true); },
       Http3ErrorCode::kClosedCriticalStream},
      {"control stream reset",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0()})); },
       Http3ErrorCode::kClosedCriticalStream,
       [&](quic::Connection& c) { REQUIRE(c.ResetStream(2, 0x100).ok()); }},
      {"QPACK encoder stream closed",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0()}));
         OpenUni(c, VarInt(kStreamTypeQpackEncoder), /*fin=*/true);
       },
       Http3ErrorCode::kClosedCriticalStream},
      {"second control stream",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0()}));
         OpenUni(c, Cat({ctrl, Settings0()}));
       },
       Http3ErrorCode::kStreamCreationError},
      {"second QPACK encoder stream",
       [&](quic::Connection& c) {
         OpenUni(c, VarInt(kStreamTypeQpackEncoder));
         OpenUni(c, VarInt(kStreamTypeQpackEncoder));
       },
       Http3ErrorCode::kStreamCreationError},
      {"second QPACK decoder stream",
       [&](quic::Connection& c) {
         OpenUni(c, VarInt(kStreamTypeQpackDecoder));
         OpenUni(c, VarInt(kStreamTypeQpackDecoder));
       },
       Http3ErrorCode::kStreamCreationError},
      {"push stream from a client",
       [&](quic::Connection& c) { OpenUni(c, Cat({VarInt(kStreamTypePush), VarInt(0)})); },
       Http3ErrorCode::kStreamCreationError},
      {"GOAWAY identifier increases",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(GoawayFrame{0}), F(GoawayFrame{4})}));
       },
       Http3ErrorCode::kIdError},
      {"MAX_PUSH_ID decreases",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(MaxPushIdFrame{10}), F(MaxPushIdFrame{9})}));
       },
       Http3ErrorCode::kIdError},
      {"CANCEL_PUSH above MAX_PUSH_ID",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(MaxPushIdFrame{2}), F(CancelPushFrame{3})}));
       },
       Http3ErrorCode::kIdError},
      {"PRIORITY_UPDATE for a unidirectional stream",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(PriorityUpdateFrame{false, 2, "u=1"})}));
       },
       Http3ErrorCode::kIdError},
      {"DATA before HEADERS",
       [&](quic::Connection& c) { OpenBidi(c, F(DataFrame{{1, 2, 3}}), true); },
       Http3ErrorCode::kFrameUnexpected},
      {"SETTINGS on a request stream",
       [&](quic::Connection& c) { OpenBidi(c, Settings0(), true); },
       Http3ErrorCode::kFrameUnexpected},
      {"GOAWAY on a request stream",
       [&](quic::Connection& c) {
         OpenBidi(c, Cat({HeadersFrameFor(0, GoodRequest()), F(GoawayFrame{0})}), true);
       },
       Http3ErrorCode::kFrameUnexpected},
      {"PUSH_PROMISE from a client",
       [&](quic::Connection& c) {
         OpenBidi(c, Cat({HeadersFrameFor(0, GoodRequest()), F(PushPromiseFrame{0, {0, 0}})}),
                  true);
       },
       Http3ErrorCode::kFrameUnexpected},
      {"HEADERS after trailers",
       [&](quic::Connection& c) {
         OpenBidi(c,
                  Cat({HeadersFrameFor(0, GoodRequest()), F(DataFrame{{1}}),
                       HeadersFrameFor(0, {{"x-t", "1"}}), HeadersFrameFor(0, {{"x-t", "2"}})}),
                  true);
       },
       Http3ErrorCode::kFrameUnexpected},
      {"DATA after trailers",
       [&](quic::Connection& c) {
         OpenBidi(c,
                  Cat({HeadersFrameFor(0, GoodRequest()), HeadersFrameFor(0, {{"x-t", "1"}}),
                       F(DataFrame{{1}})}),
                  true);
       },
       Http3ErrorCode::kFrameUnexpected},
      {"request stream ends inside a frame",
       [&](quic::Connection& c) {
         Bytes data = F(DataFrame{{1, 2, 3, 4}});
         data.pop_back();
         OpenBidi(c, Cat({HeadersFrameFor(0, GoodRequest()), data}), true);
       },
       Http3ErrorCode::kFrameError},
      {"HTTP/2 PING on a request stream",
       [&](quic::Connection& c) { OpenBidi(c, Raw({0x06, 0x00}), true); },
       Http3ErrorCode::kFrameUnexpected},
      {"undecodable field section",
       [&](quic::Connection& c) { OpenBidi(c, F(HeadersFrame{{0xff, 0xff, 0xff}}), true); },
       Http3ErrorCode::kQpackDecompressionFailed},
      {"garbage on the QPACK encoder stream",
       [&](quic::Connection& c) {
         // Duplicate of an entry in an empty table (RFC 9204 §4.3.4).
         OpenUni(c, Cat({VarInt(kStreamTypeQpackEncoder), Raw({0x05})}));
       },
       Http3ErrorCode::kQpackEncoderStreamError},
      {"garbage on the QPACK decoder stream",
       [&](quic::Connection& c) {
         // Insert Count Increment of 0 (RFC 9204 §4.4.3).
         OpenUni(c, Cat({VarInt(kStreamTypeQpackDecoder), Raw({0x00})}));
       },
       Http3ErrorCode::kQpackDecoderStreamError},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ExpectConnectionError(AgainstServer(c.act, c.after), c.code);
  }
}

TEST_CASE("malformed requests are stream errors; the connection lives on", "[http3][errors]") {
  struct StreamCase {
    const char* what;
    Bytes bytes;
    Http3ErrorCode code;
  };
  HeaderList uppercase = GoodRequest();
  uppercase.push_back({"X-Upper", "1"});
  HeaderList no_path = {{":method", "GET"}, {":scheme", "https"}, {":authority", "localhost"}};
  HeaderList conn_specific = GoodRequest();
  conn_specific.push_back({"connection", "keep-alive"});
  HeaderList cl10 = GoodRequest();
  cl10.push_back({"content-length", "10"});
  HeaderList cl2 = GoodRequest();
  cl2.push_back({"content-length", "2"});
  std::vector<StreamCase> cases = {
      {"uppercase field name", HeadersFrameFor(0, uppercase), Http3ErrorCode::kMessageError},
      {"missing :path", HeadersFrameFor(0, no_path), Http3ErrorCode::kMessageError},
      {"connection-specific field", HeadersFrameFor(0, conn_specific),
       Http3ErrorCode::kMessageError},
      {"less content than content-length",
       Cat({HeadersFrameFor(0, cl10), F(DataFrame{{1, 2, 3, 4, 5}})}),
       Http3ErrorCode::kMessageError},
      {"more content than content-length",
       Cat({HeadersFrameFor(0, cl2), F(DataFrame{{1, 2, 3, 4, 5}})}),
       Http3ErrorCode::kMessageError},
      {"pseudo-header in trailers",
       Cat({HeadersFrameFor(0, GoodRequest()), HeadersFrameFor(0, {{":path", "/x"}})}),
       Http3ErrorCode::kMessageError},
      {"stream ends before HEADERS", F(UnknownFrame{ReservedFrameType(7), {1, 2}}),
       Http3ErrorCode::kRequestIncomplete},
  };
  for (const StreamCase& sc : cases) {
    INFO(sc.what);
    uint64_t stream = 0;
    RawRun r = AgainstServer([&](quic::Connection& c) { stream = OpenBidi(c, sc.bytes, true); });
    CHECK_FALSE(r.session_closed);
    CHECK_FALSE(r.raw_close.has_value());
    bool reset = false;
    for (const quic::ConnectionEvent& ev : r.raw_events) {
      if (ev.type == quic::ConnectionEvent::Type::kStreamReset && ev.stream_id == stream) {
        CHECK(ev.error_code == ToWire(sc.code));
        reset = true;
      }
    }
    CHECK(reset);
    CHECK(r.requests_completed == 0);
  }
}

TEST_CASE("unknown and reserved types are ignored everywhere", "[http3][errors]") {
  uint64_t unknown_stream = 0;
  RawRun r = AgainstServer([&](quic::Connection& c) {
    // Control stream: reserved settings and frames, an unknown frame type.
    OpenUni(c, Cat({VarInt(kStreamTypeControl),
                    F(SettingsFrame{{{0x21, 1}, {0x1f * 5 + 0x21, 9}, {0x4444, 1}}}),
                    F(UnknownFrame{ReservedFrameType(2), {1, 2, 3}}),
                    F(UnknownFrame{0x2a2a, {}})}));
    // A stream of a reserved type: ignored, with STOP_SENDING (§6.2).
    unknown_stream = OpenUni(c, Cat({VarInt(0x1f * 3 + 0x21), Raw({1, 2, 3, 4})}));
    // A request with reserved frames around and between its frames.
    Bytes grease = F(UnknownFrame{ReservedFrameType(9), {7, 7}});
    OpenBidi(c,
             Cat({grease, HeadersFrameFor(0, GoodRequest()), grease, F(DataFrame{{1, 2}}), grease,
                  F(DataFrame{{3}}), grease, HeadersFrameFor(0, {{"x-t", "1"}}), grease}),
             true);
  });
  CHECK_FALSE(r.session_closed);
  CHECK_FALSE(r.raw_close.has_value());
  CHECK(r.requests_completed == 1);
  bool stopped = false;
  for (const quic::ConnectionEvent& ev : r.raw_events) {
    if (ev.type == quic::ConnectionEvent::Type::kStopSending && ev.stream_id == unknown_stream) {
      CHECK(ev.error_code == ToWire(Http3ErrorCode::kStreamCreationError));
      stopped = true;
    }
  }
  CHECK(stopped);
}

TEST_CASE("connection errors a client raises", "[http3][errors]") {
  const Bytes ctrl = VarInt(kStreamTypeControl);
  std::vector<Case> cases = {
      {"MAX_PUSH_ID from a server",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0(), F(MaxPushIdFrame{1})})); },
       Http3ErrorCode::kFrameUnexpected},
      {"PRIORITY_UPDATE from a server",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(PriorityUpdateFrame{false, 0, "u=1"})}));
       },
       Http3ErrorCode::kFrameUnexpected},
      {"GOAWAY naming a non-request stream",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0(), F(GoawayFrame{2})})); },
       Http3ErrorCode::kIdError},
      {"GOAWAY identifier increases",
       [&](quic::Connection& c) {
         OpenUni(c, Cat({ctrl, Settings0(), F(GoawayFrame{4}), F(GoawayFrame{8})}));
       },
       Http3ErrorCode::kIdError},
      {"CANCEL_PUSH without MAX_PUSH_ID",
       [&](quic::Connection& c) { OpenUni(c, Cat({ctrl, Settings0(), F(CancelPushFrame{0})})); },
       Http3ErrorCode::kIdError},
      {"push stream without MAX_PUSH_ID",
       [&](quic::Connection& c) { OpenUni(c, Cat({VarInt(kStreamTypePush), VarInt(0)})); },
       Http3ErrorCode::kIdError},
      {"server-initiated bidirectional stream",
       [&](quic::Connection& c) { OpenBidi(c, Raw({0x00, 0x00}), false); },
       Http3ErrorCode::kStreamCreationError},
      {"PUSH_PROMISE without MAX_PUSH_ID",
       [&](quic::Connection& c) {
         REQUIRE(c.WriteStream(0, F(PushPromiseFrame{0, {0, 0}}), false).ok());
       },
       Http3ErrorCode::kIdError},
      {"DATA before the response HEADERS",
       [&](quic::Connection& c) { REQUIRE(c.WriteStream(0, F(DataFrame{{1}}), true).ok()); },
       Http3ErrorCode::kFrameUnexpected},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    ExpectConnectionError(AgainstClient(c.act), c.code);
  }
}

TEST_CASE("a malformed response fails the request with H3_MESSAGE_ERROR", "[http3][errors]") {
  for (const char* status : {"101", "2000", "abc"}) {
    INFO(status);
    RawRun r = AgainstClient([&](quic::Connection& c) {
      // No FIN: the client must stop our sending as well as reset its own.
      REQUIRE(c.WriteStream(0, HeadersFrameFor(0, {{":status", status}}), false).ok());
    });
    CHECK_FALSE(r.session_closed);
    CHECK(r.client_failed == 1);
    CHECK(r.client_failure == Http3ErrorCode::kMessageError);
    bool stopped = false;
    for (const quic::ConnectionEvent& ev : r.raw_events) {
      if (ev.type == quic::ConnectionEvent::Type::kStopSending && ev.stream_id == 0) {
        CHECK(ev.error_code == ToWire(Http3ErrorCode::kMessageError));
        stopped = true;
      }
    }
    CHECK(stopped);
  }
}

}  // namespace
}  // namespace kite::http3::test
