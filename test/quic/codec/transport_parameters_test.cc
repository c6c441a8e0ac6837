#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "quic/codec/data_reader.h"
#include "quic/codec/data_writer.h"
#include "quic/codec/packet_type.h"
#include "quic/codec/transport_error.h"
#include "quic/codec/transport_parameters.h"

namespace kite::quic {
namespace {

std::vector<uint8_t> Hex(const std::string& hex) {
  std::vector<uint8_t> out;
  auto nibble = [](char c) -> uint8_t {
    if (c >= '0' && c <= '9') return static_cast<uint8_t>(c - '0');
    return static_cast<uint8_t>(c - 'a' + 10);
  };
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<uint8_t>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return out;
}

ConnectionId Cid(const std::string& hex) {
  std::vector<uint8_t> b = Hex(hex);
  return ConnectionId(b.data(), b.size());
}

bool IsTpError(const absl::Status& s) {
  return !s.ok() && GetTransportErrorCode(s) == TransportErrorCode::kTransportParameterError;
}

void CheckSame(const TransportParameters& a, const TransportParameters& b) {
  CHECK(a.original_destination_connection_id == b.original_destination_connection_id);
  CHECK(a.max_idle_timeout_ms == b.max_idle_timeout_ms);
  CHECK(a.stateless_reset_token == b.stateless_reset_token);
  CHECK(a.max_udp_payload_size == b.max_udp_payload_size);
  CHECK(a.initial_max_data == b.initial_max_data);
  CHECK(a.initial_max_stream_data_bidi_local == b.initial_max_stream_data_bidi_local);
  CHECK(a.initial_max_stream_data_bidi_remote == b.initial_max_stream_data_bidi_remote);
  CHECK(a.initial_max_stream_data_uni == b.initial_max_stream_data_uni);
  CHECK(a.initial_max_streams_bidi == b.initial_max_streams_bidi);
  CHECK(a.initial_max_streams_uni == b.initial_max_streams_uni);
  CHECK(a.ack_delay_exponent == b.ack_delay_exponent);
  CHECK(a.max_ack_delay_ms == b.max_ack_delay_ms);
  CHECK(a.disable_active_migration == b.disable_active_migration);
  CHECK(a.preferred_address == b.preferred_address);
  CHECK(a.active_connection_id_limit == b.active_connection_id_limit);
  CHECK(a.initial_source_connection_id == b.initial_source_connection_id);
  CHECK(a.retry_source_connection_id == b.retry_source_connection_id);
  CHECK(a.version_information == b.version_information);
  CHECK(a.max_datagram_frame_size == b.max_datagram_frame_size);
}

// Every parameter a server may send, none at its default.
TransportParameters FullServerParameters() {
  TransportParameters p;
  p.original_destination_connection_id = Cid("8394c8f03e515708");
  p.max_idle_timeout_ms = 30000;
  StatelessResetToken token;
  for (size_t i = 0; i < token.size(); ++i) token[i] = static_cast<uint8_t>(0xa0 + i);
  p.stateless_reset_token = token;
  p.max_udp_payload_size = 1452;
  p.initial_max_data = (uint64_t{1} << 62) - 1;
  p.initial_max_stream_data_bidi_local = 1 << 20;
  p.initial_max_stream_data_bidi_remote = 1 << 21;
  p.initial_max_stream_data_uni = 63;
  p.initial_max_streams_bidi = kMaxInitialMaxStreams;
  p.initial_max_streams_uni = 3;
  p.ack_delay_exponent = kMaxAckDelayExponent;
  p.max_ack_delay_ms = kMaxMaxAckDelayMs;
  p.disable_active_migration = true;
  PreferredAddress pa;
  pa.ipv4_address = {192, 0, 2, 1};
  pa.ipv4_port = 4433;
  for (size_t i = 0; i < pa.ipv6_address.size(); ++i) pa.ipv6_address[i] = static_cast<uint8_t>(i);
  pa.ipv6_port = 443;
  pa.connection_id = Cid("0102030405060708090a0b0c0d0e0f1011121314");
  for (size_t i = 0; i < pa.stateless_reset_token.size(); ++i) {
    pa.stateless_reset_token[i] = static_cast<uint8_t>(0xf0 - i);
  }
  p.preferred_address = pa;
  p.active_connection_id_limit = 8;
  p.initial_source_connection_id = Cid("f067a5502a4262b5");
  p.retry_source_connection_id = Cid("c0ffee");
  p.version_information = VersionInformation{kQuicVersion2, {kQuicVersion1, 0x1a2a3a4a}};
  p.max_datagram_frame_size = 65535;
  return p;
}

TransportParameters FullClientParameters() {
  TransportParameters p = FullServerParameters();
  p.original_destination_connection_id.reset();
  p.stateless_reset_token.reset();
  p.preferred_address.reset();
  p.retry_source_connection_id.reset();
  p.initial_source_connection_id = Cid("");  // zero-length is a valid CID
  p.version_information = VersionInformation{kQuicVersion1, {kQuicVersion2, kQuicVersion1}};
  return p;
}

// Raw encoding helpers for hand-built, possibly invalid, parameter sets.
void AppendParam(std::vector<uint8_t>& out, uint64_t id, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> buf(16 + value.size());
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(w.WriteVarInt(id));
  REQUIRE(w.WriteVarInt(value.size()));
  REQUIRE(w.WriteBytes(value));
  out.insert(out.end(), buf.begin(), buf.begin() + static_cast<ptrdiff_t>(w.length()));
}
std::vector<uint8_t> VarInt(uint64_t v) {
  std::vector<uint8_t> buf(8);
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(w.WriteVarInt(v));
  buf.resize(w.length());
  return buf;
}
// A minimal valid client set (just initial_source_connection_id) plus one extra parameter.
std::vector<uint8_t> ClientWith(uint64_t id, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> out;
  AppendParam(out, 0x0f, Hex("0102"));
  AppendParam(out, id, value);
  return out;
}

TEST_CASE("RFC 9001 A.2 client transport parameters", "[transport_parameters]") {
  // The quic_transport_parameters extension (0x39, length 0x32) of the A.2 ClientHello.
  const std::vector<uint8_t> tp = Hex(
      "0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e5157"
      "0806048000ffff");
  REQUIRE(tp.size() == 0x32);
  absl::StatusOr<TransportParameters> p = ParseTransportParameters(tp, Perspective::kClient);
  REQUIRE(p.ok());
  CHECK(p->initial_max_data == (uint64_t{1} << 62) - 1);
  CHECK(p->initial_max_stream_data_bidi_local == 0xffff);
  CHECK(p->initial_max_stream_data_bidi_remote == 0xffff);
  CHECK(p->initial_max_stream_data_uni == 0xffff);
  CHECK(p->initial_max_streams_bidi == 16);
  CHECK(p->initial_max_streams_uni == 16);
  CHECK(p->max_idle_timeout_ms == 30000);
  CHECK(p->initial_source_connection_id == Cid("8394c8f03e515708"));
  // Everything else at its RFC 9000 §18.2 default.
  CHECK(p->max_udp_payload_size == 65527);
  CHECK(p->ack_delay_exponent == 3);
  CHECK(p->max_ack_delay_ms == 25);
  CHECK(p->active_connection_id_limit == 2);
  CHECK_FALSE(p->disable_active_migration);
  CHECK_FALSE(p->max_datagram_frame_size.has_value());
  CHECK_FALSE(p->version_information.has_value());
  // As a server's set it lacks original_destination_connection_id.
  CHECK(IsTpError(ParseTransportParameters(tp, Perspective::kServer).status()));
}

TEST_CASE("round trip of every field, both perspectives", "[transport_parameters]") {
  for (Perspective who : {Perspective::kClient, Perspective::kServer}) {
    TransportParameters p =
        who == Perspective::kServer ? FullServerParameters() : FullClientParameters();
    absl::StatusOr<std::vector<uint8_t>> bytes = SerializeTransportParameters(p, who);
    REQUIRE(bytes.ok());
    absl::StatusOr<TransportParameters> back = ParseTransportParameters(*bytes, who);
    REQUIRE(back.ok());
    CheckSame(p, *back);
  }
}

TEST_CASE("defaults are omitted and come back as defaults", "[transport_parameters]") {
  TransportParameters p;
  p.initial_source_connection_id = Cid("01");
  absl::StatusOr<std::vector<uint8_t>> bytes =
      SerializeTransportParameters(p, Perspective::kClient);
  REQUIRE(bytes.ok());
  CHECK(*bytes == Hex("0f0101"));
  absl::StatusOr<TransportParameters> back = ParseTransportParameters(*bytes, Perspective::kClient);
  REQUIRE(back.ok());
  CheckSame(p, *back);
  // Explicitly sent defaults parse to the same values.
  std::vector<uint8_t> explicit_defaults = ClientWith(0x03, VarInt(65527));
  AppendParam(explicit_defaults, 0x0a, VarInt(3));
  AppendParam(explicit_defaults, 0x0b, VarInt(25));
  AppendParam(explicit_defaults, 0x0e, VarInt(2));
  back = ParseTransportParameters(explicit_defaults, Perspective::kClient);
  REQUIRE(back.ok());
  CHECK(back->max_udp_payload_size == 65527);
  CHECK(back->ack_delay_exponent == 3);
  CHECK(back->max_ack_delay_ms == 25);
  CHECK(back->active_connection_id_limit == 2);
}

TEST_CASE("GREASE and unknown parameters are sent and ignored", "[transport_parameters]") {
  TransportParameters p = FullClientParameters();
  p.grease.push_back({0, Hex("")});
  p.grease.push_back({1, Hex("deadbeef")});
  p.grease.push_back({kMaxGreaseTransportParameterN, Hex("00112233445566778899")});
  absl::StatusOr<std::vector<uint8_t>> bytes =
      SerializeTransportParameters(p, Perspective::kClient);
  REQUIRE(bytes.ok());
  // The reserved IDs are on the wire.
  DataReader r(*bytes);
  std::vector<uint64_t> ids;
  while (!r.empty()) {
    uint64_t id = 0, len = 0;
    absl::Span<const uint8_t> v;
    REQUIRE(r.ReadVarInt(&id));
    REQUIRE(r.ReadVarInt(&len));
    REQUIRE(r.ReadBytes(len, &v));
    ids.push_back(id);
  }
  REQUIRE(ids.size() >= 3);
  CHECK(ids[ids.size() - 3] == 27);
  CHECK(ids[ids.size() - 2] == 58);
  CHECK(ids.back() == GreaseTransportParameterId(kMaxGreaseTransportParameterN));
  CHECK(IsGreaseTransportParameterId(ids.back()));
  CHECK(ids.back() <= (uint64_t{1} << 62) - 1);

  absl::StatusOr<TransportParameters> back = ParseTransportParameters(*bytes, Perspective::kClient);
  REQUIRE(back.ok());
  CheckSame(p, *back);
  CHECK(back->grease.empty());

  // Unknown non-GREASE IDs (including ones that look like values of known ones) are skipped.
  std::vector<uint8_t> unknown = ClientWith(0x4000, Hex("ffffff"));
  AppendParam(unknown, 0x12, Hex(""));
  AppendParam(unknown, 0x21, Hex("00"));
  AppendParam(unknown, 0x3fffffffffffffff, Hex("0102"));
  back = ParseTransportParameters(unknown, Perspective::kClient);
  REQUIRE(back.ok());
  CHECK(back->initial_source_connection_id == Cid("0102"));
}

TEST_CASE("out-of-range values are TRANSPORT_PARAMETER_ERROR", "[transport_parameters]") {
  struct Case {
    const char* name;
    uint64_t id;
    std::vector<uint8_t> value;
  };
  const std::vector<Case> cases = {
      {"max_udp_payload_size 1199", 0x03, VarInt(1199)},
      {"max_udp_payload_size 0", 0x03, VarInt(0)},
      {"initial_max_streams_bidi 2^60+1", 0x08, VarInt((uint64_t{1} << 60) + 1)},
      {"initial_max_streams_uni 2^60+1", 0x09, VarInt((uint64_t{1} << 60) + 1)},
      {"ack_delay_exponent 21", 0x0a, VarInt(21)},
      {"max_ack_delay 2^14", 0x0b, VarInt(1 << 14)},
      {"active_connection_id_limit 1", 0x0e, VarInt(1)},
      {"active_connection_id_limit 0", 0x0e, VarInt(0)},
      {"disable_active_migration with a value", 0x0c, Hex("00")},
      {"integer with trailing byte", 0x04, Hex("0100")},
      {"integer with empty value", 0x04, Hex("")},
      {"integer varint longer than value", 0x04, Hex("40")},
      {"integer varint 4 bytes in 2", 0x01, Hex("8000")},
      {"max_datagram_frame_size trailing", 0x20, Hex("4001ff")},
      {"version_information empty", 0x11, Hex("")},
      {"version_information 3 bytes", 0x11, Hex("000001")},
      {"version_information 6 bytes", 0x11, Hex("000000010000")},
      {"version_information chosen 0", 0x11, Hex("0000000000000000")},
      {"version_information available 0", 0x11, Hex("000000010000000100000000")},
      {"client chosen not in available", 0x11, Hex("000000016b3343cf")},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    CHECK(IsTpError(ParseTransportParameters(ClientWith(c.id, c.value), Perspective::kClient)
                        .status()));
  }
  // Just inside the limits is fine.
  const std::vector<Case> ok_cases = {
      {"max_udp_payload_size 1200", 0x03, VarInt(1200)},
      {"initial_max_streams_bidi 2^60", 0x08, VarInt(uint64_t{1} << 60)},
      {"ack_delay_exponent 20", 0x0a, VarInt(20)},
      {"max_ack_delay 2^14-1", 0x0b, VarInt((1 << 14) - 1)},
      {"disable_active_migration", 0x0c, Hex("")},
      {"client chosen in available", 0x11, Hex("000000016b3343cf00000001")},
  };
  for (const Case& c : ok_cases) {
    INFO(c.name);
    CHECK(ParseTransportParameters(ClientWith(c.id, c.value), Perspective::kClient).ok());
  }
  // A server's Available Versions may omit its Chosen Version, or be empty (RFC 9368 §3).
  std::vector<uint8_t> server;
  AppendParam(server, 0x00, Hex("01"));
  AppendParam(server, 0x0f, Hex("02"));
  AppendParam(server, 0x11, Hex("00000001"));
  CHECK(ParseTransportParameters(server, Perspective::kServer).ok());
  // Too many available versions.
  std::vector<uint8_t> many = Hex("00000001");
  for (size_t i = 0; i <= kMaxAvailableVersions; ++i) {
    for (uint8_t b : {0x00, 0x00, 0x00, 0x01}) many.push_back(b);
  }
  CHECK(IsTpError(
      ParseTransportParameters(ClientWith(0x11, many), Perspective::kClient).status()));
}

TEST_CASE("fixed-length fields are checked", "[transport_parameters]") {
  auto server_with = [](uint64_t id, const std::vector<uint8_t>& value) {
    std::vector<uint8_t> out;
    AppendParam(out, 0x00, Hex("01"));
    AppendParam(out, 0x0f, Hex("02"));
    AppendParam(out, id, value);
    return out;
  };
  const std::vector<uint8_t> cid21(21, 7), cid20(20, 7);
  CHECK(IsTpError(ParseTransportParameters(server_with(0x02, std::vector<uint8_t>(15, 1)),
                                           Perspective::kServer)
                      .status()));
  CHECK(IsTpError(ParseTransportParameters(server_with(0x02, std::vector<uint8_t>(17, 1)),
                                           Perspective::kServer)
                      .status()));
  CHECK(ParseTransportParameters(server_with(0x02, std::vector<uint8_t>(16, 1)),
                                 Perspective::kServer)
            .ok());
  CHECK(IsTpError(ParseTransportParameters(server_with(0x10, cid21), Perspective::kServer).status()));
  CHECK(ParseTransportParameters(server_with(0x10, cid20), Perspective::kServer).ok());
  CHECK(IsTpError(ParseTransportParameters(ClientWith(0x0f, cid21), Perspective::kClient).status()));

  std::vector<uint8_t> odcid21;
  AppendParam(odcid21, 0x00, cid21);
  AppendParam(odcid21, 0x0f, Hex("02"));
  CHECK(IsTpError(ParseTransportParameters(odcid21, Perspective::kServer).status()));

  // preferred_address: 4+2+16+2 address bytes, CID length, CID, 16-byte token.
  auto pa = [](uint8_t cid_len, size_t cid_bytes, size_t token_bytes, size_t trailing) {
    std::vector<uint8_t> v(24, 0x11);
    v.push_back(cid_len);
    v.insert(v.end(), cid_bytes, 0x22);
    v.insert(v.end(), token_bytes, 0x33);
    v.insert(v.end(), trailing, 0x44);
    return v;
  };
  CHECK(ParseTransportParameters(server_with(0x0d, pa(4, 4, 16, 0)), Perspective::kServer).ok());
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, pa(0, 0, 16, 0)), Perspective::kServer).status()));
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, pa(21, 21, 16, 0)), Perspective::kServer).status()));
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, pa(4, 4, 15, 0)), Perspective::kServer).status()));
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, pa(4, 4, 16, 1)), Perspective::kServer).status()));
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, pa(8, 4, 16, 0)), Perspective::kServer).status()));
  // A server with a zero-length connection ID must not send one.
  std::vector<uint8_t> zero_len_server;
  AppendParam(zero_len_server, 0x00, Hex("01"));
  AppendParam(zero_len_server, 0x0f, Hex(""));
  AppendParam(zero_len_server, 0x0d, pa(4, 4, 16, 0));
  CHECK(IsTpError(ParseTransportParameters(zero_len_server, Perspective::kServer).status()));
  std::vector<uint8_t> short_addr(10, 0);
  CHECK(IsTpError(
      ParseTransportParameters(server_with(0x0d, short_addr), Perspective::kServer).status()));
}

TEST_CASE("server-only parameters from a client are rejected", "[transport_parameters]") {
  const std::vector<std::pair<uint64_t, std::vector<uint8_t>>> server_only = {
      {0x00, Hex("0102")},
      {0x02, std::vector<uint8_t>(16, 9)},
      {0x0d, [] {
         std::vector<uint8_t> v(24, 0);
         v.push_back(1);
         v.push_back(5);
         v.insert(v.end(), 16, 6);
         return v;
       }()},
      {0x10, Hex("0304")},
  };
  for (const auto& [id, value] : server_only) {
    INFO("id " << id);
    std::vector<uint8_t> tp = ClientWith(id, value);
    CHECK(IsTpError(ParseTransportParameters(tp, Perspective::kClient).status()));
    // The same bytes from a server (with its required odcid) are fine.
    std::vector<uint8_t> as_server = tp;
    if (id != 0x00) AppendParam(as_server, 0x00, Hex("aa"));
    CHECK(ParseTransportParameters(as_server, Perspective::kServer).ok());
  }
  // And Serialize refuses to send them as a client.
  TransportParameters p = FullServerParameters();
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
}

TEST_CASE("required connection IDs", "[transport_parameters]") {
  std::vector<uint8_t> none;
  AppendParam(none, 0x04, VarInt(100));
  CHECK(IsTpError(ParseTransportParameters(none, Perspective::kClient).status()));
  CHECK(IsTpError(ParseTransportParameters({}, Perspective::kClient).status()));
  std::vector<uint8_t> no_odcid;
  AppendParam(no_odcid, 0x0f, Hex("01"));
  CHECK(ParseTransportParameters(no_odcid, Perspective::kClient).ok());
  CHECK(IsTpError(ParseTransportParameters(no_odcid, Perspective::kServer).status()));
  TransportParameters p;
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
}

TEST_CASE("duplicate parameters are rejected, known or not", "[transport_parameters]") {
  for (uint64_t id : {uint64_t{0x04}, uint64_t{0x0c}, uint64_t{0x0f}, uint64_t{0x20},
                      uint64_t{0x4000}, GreaseTransportParameterId(5)}) {
    INFO("id " << id);
    std::vector<uint8_t> value = id == 0x0c ? Hex("") : VarInt(7);
    // For 0x0f, ClientWith's own initial_source_connection_id is the first copy.
    std::vector<uint8_t> tp = ClientWith(id, value);
    if (id != 0x0f) AppendParam(tp, id, value);
    CHECK(IsTpError(ParseTransportParameters(tp, Perspective::kClient).status()));
  }
  // Serialize refuses GREASE entries that would repeat an ID.
  TransportParameters p = FullClientParameters();
  p.grease.push_back({3, {}});
  p.grease.push_back({3, {1}});
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
}

TEST_CASE("size and count limits", "[transport_parameters]") {
  // One huge unknown parameter: over kMaxTransportParametersLength in total.
  std::vector<uint8_t> big = ClientWith(0x4000, std::vector<uint8_t>(kMaxTransportParametersLength, 0));
  CHECK(IsTpError(ParseTransportParameters(big, Perspective::kClient).status()));
  // Many small unknown parameters.
  std::vector<uint8_t> many;
  AppendParam(many, 0x0f, Hex("01"));
  for (size_t i = 0; i < kMaxTransportParameterCount; ++i) AppendParam(many, 0x100 + i, {});
  CHECK(IsTpError(ParseTransportParameters(many, Perspective::kClient).status()));
  // Exactly the limit is accepted.
  std::vector<uint8_t> at_limit;
  AppendParam(at_limit, 0x0f, Hex("01"));
  for (size_t i = 1; i < kMaxTransportParameterCount; ++i) AppendParam(at_limit, 0x100 + i, {});
  CHECK(ParseTransportParameters(at_limit, Perspective::kClient).ok());

  // Serialize refuses what a kite peer would refuse.
  TransportParameters p = FullClientParameters();
  p.grease.push_back({1, std::vector<uint8_t>(kMaxTransportParametersLength, 0)});
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
  p.grease.clear();
  for (uint64_t n = 0; n < kMaxTransportParameterCount; ++n) p.grease.push_back({n, {}});
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
  p.grease = {{kMaxGreaseTransportParameterN + 1, {}}};
  CHECK_FALSE(SerializeTransportParameters(p, Perspective::kClient).ok());
}

TEST_CASE("Serialize validates values", "[transport_parameters]") {
  TransportParameters p = FullClientParameters();
  p.ack_delay_exponent = 21;
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
  p = FullServerParameters();
  p.preferred_address->connection_id = ConnectionId();
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kServer).status()));
  p = FullServerParameters();
  p.initial_source_connection_id = ConnectionId();  // RFC 9000 §18.2
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kServer).status()));
  p = FullServerParameters();
  p.initial_max_data = uint64_t{1} << 62;
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kServer).status()));
  p = FullServerParameters();
  p.max_datagram_frame_size = uint64_t{1} << 62;
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kServer).status()));
  p = FullClientParameters();
  p.version_information = VersionInformation{0x1a2a3a4a, {kQuicVersion1}};
  CHECK(IsTpError(SerializeTransportParameters(p, Perspective::kClient).status()));
}

TEST_CASE("truncation at every offset fails except at parameter boundaries",
          "[transport_parameters]") {
  for (Perspective who : {Perspective::kClient, Perspective::kServer}) {
    TransportParameters p =
        who == Perspective::kServer ? FullServerParameters() : FullClientParameters();
    p.grease.push_back({4, Hex("0a0b0c")});
    absl::StatusOr<std::vector<uint8_t>> bytes = SerializeTransportParameters(p, who);
    REQUIRE(bytes.ok());
    // Where each parameter ends.
    std::vector<size_t> boundaries = {0};
    DataReader r(*bytes);
    while (!r.empty()) {
      uint64_t id = 0, len = 0;
      absl::Span<const uint8_t> v;
      REQUIRE(r.ReadVarInt(&id));
      REQUIRE(r.ReadVarInt(&len));
      REQUIRE(r.ReadBytes(len, &v));
      boundaries.push_back(r.offset());
    }
    size_t boundary_index = 0;
    for (size_t n = 0; n < bytes->size(); ++n) {
      // Its own allocation, so ASan catches any read past the prefix.
      std::vector<uint8_t> prefix(bytes->begin(), bytes->begin() + static_cast<ptrdiff_t>(n));
      absl::StatusOr<TransportParameters> parsed = ParseTransportParameters(prefix, who);
      while (boundary_index < boundaries.size() && boundaries[boundary_index] < n) {
        ++boundary_index;
      }
      const bool at_boundary =
          boundary_index < boundaries.size() && boundaries[boundary_index] == n;
      INFO("prefix " << n << " of " << bytes->size());
      if (!at_boundary) {
        CHECK(IsTpError(parsed.status()));
      } else if (parsed.ok()) {
        // A shorter but well-formed set: whatever it holds matches the original.
        CHECK(parsed->initial_source_connection_id == p.initial_source_connection_id);
      } else {
        CHECK(IsTpError(parsed.status()));
      }
    }
  }
}

TEST_CASE("arbitrary bytes never crash the parser", "[transport_parameters]") {
  uint64_t state = 0x243f6a8885a308d3ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  const std::vector<uint8_t> base =
      *SerializeTransportParameters(FullServerParameters(), Perspective::kServer);
  size_t ok_count = 0;
  for (int iter = 0; iter < 5000; ++iter) {
    std::vector<uint8_t> d = base;
    const int flips = 1 + static_cast<int>(next() % 4);
    for (int i = 0; i < flips; ++i) d[next() % d.size()] = static_cast<uint8_t>(next());
    d.resize(next() % (d.size() + 1));
    for (Perspective who : {Perspective::kClient, Perspective::kServer}) {
      absl::StatusOr<TransportParameters> parsed = ParseTransportParameters(d, who);
      if (parsed.ok()) {
        ++ok_count;
      } else {
        CHECK(IsTpError(parsed.status()));
      }
    }
  }
  CHECK(ok_count > 0);
}

}  // namespace
}  // namespace kite::quic
