#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "quic/codec/data_writer.h"
#include "quic/codec/packet_header.h"
#include "quic/codec/packet_number.h"

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

std::vector<uint8_t> ToVec(absl::Span<const uint8_t> s) { return {s.begin(), s.end()}; }

// The unprotected header of RFC 9001 A.2's client Initial, followed by filler up to the 1182
// bytes its Length field announces (1200-byte datagram).
std::vector<uint8_t> ClientInitialV1() {
  std::vector<uint8_t> d = Hex("c300000001088394c8f03e5157080000449e00000002");
  d.resize(18 + 1182, 0xab);  // Length 0x449e is the 2-byte varint 1182
  return d;
}

TEST_CASE("RFC 9001 A.2 client Initial header", "[packet_header]") {
  std::vector<uint8_t> d = ClientInitialV1();
  REQUIRE(d.size() == 1200);
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 8);
  REQUIRE(h.ok());
  CHECK(h->long_header);
  CHECK(h->version_supported);
  CHECK(h->type == PacketType::kInitial);
  CHECK(h->version == kQuicVersion1);
  CHECK(h->first_byte == 0xc3);
  CHECK(h->dcid == Cid("8394c8f03e515708"));
  CHECK(h->scid.empty());
  CHECK(h->token.empty());
  CHECK(h->length_field == 1182);
  CHECK(h->pn_offset == 18);
  CHECK(h->packet_length == 1200);

  // The header shown is unprotected, so phase 2 can read it directly.
  absl::StatusOr<UnprotectedHeaderBits> bits = ReadUnprotectedHeaderBits(*h, d);
  REQUIRE(bits.ok());
  CHECK(bits->pn_length == 4);
  CHECK(bits->truncated_pn == 2);
  CHECK_FALSE(bits->reserved_bits_set);
  CHECK(DecodePacketNumber(std::nullopt, bits->truncated_pn, bits->pn_length * 8) == 2);
}

TEST_CASE("RFC 9369 A.2/A.3 v2 Initial type bits", "[packet_header]") {
  // Client Initial: first byte 0xd3 (type bits 01 = Initial in v2).
  std::vector<uint8_t> client = Hex("d36b3343cf088394c8f03e5157080000449e00000002");
  client.resize(18 + 1182, 0);
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(client, 8);
  REQUIRE(h.ok());
  CHECK(h->type == PacketType::kInitial);
  CHECK(h->version == kQuicVersion2);
  CHECK(h->dcid == Cid("8394c8f03e515708"));
  CHECK(h->pn_offset == 18);
  CHECK(h->packet_length == 1200);

  // Server Initial: 0xd1, SCID f067a5502a4262b5, Length 0x75, 2-byte packet number 1.
  std::vector<uint8_t> server = Hex("d16b3343cf0008f067a5502a4262b50040750001");
  server.resize(18 + 0x75, 0);
  h = ParsePacketHeader(server, 0);
  REQUIRE(h.ok());
  CHECK(h->type == PacketType::kInitial);
  CHECK(h->dcid.empty());
  CHECK(h->scid == Cid("f067a5502a4262b5"));
  CHECK(h->length_field == 0x75);
  CHECK(h->pn_offset == 18);
  absl::StatusOr<UnprotectedHeaderBits> bits = ReadUnprotectedHeaderBits(*h, server);
  REQUIRE(bits.ok());
  CHECK(bits->pn_length == 2);
  CHECK(bits->truncated_pn == 1);

  // The same header written by us is byte-identical.
  std::vector<uint8_t> out(64);
  DataWriter w(absl::MakeSpan(out));
  LongHeaderFields f;
  f.type = PacketType::kInitial;
  f.version = kQuicVersion2;
  f.scid = Cid("f067a5502a4262b5");
  size_t len_off = 0, pn_off = 0;
  REQUIRE(WriteLongHeader(w, f, 2, 1, 2, &len_off, &pn_off));
  REQUIRE(PatchLongHeaderLength(absl::MakeSpan(out), len_off, 2, 0x75));
  out.resize(w.length());
  CHECK(out == Hex("d16b3343cf0008f067a5502a4262b50040750001"));
  CHECK(pn_off == 18);
  CHECK(len_off == 16);
}

TEST_CASE("v1 and v2 long packet type mapping", "[packet_header]") {
  struct Row {
    PacketType type;
    uint8_t v1;
    uint8_t v2;
  };
  const Row rows[] = {{PacketType::kInitial, 0, 1},
                      {PacketType::kZeroRtt, 1, 2},
                      {PacketType::kHandshake, 2, 3},
                      {PacketType::kRetry, 3, 0}};
  for (const Row& r : rows) {
    CHECK(LongPacketTypeBits(kQuicVersion1, r.type) == r.v1);
    CHECK(LongPacketTypeBits(kQuicVersion2, r.type) == r.v2);
    CHECK(LongPacketTypeFromBits(kQuicVersion1, r.v1) == r.type);
    CHECK(LongPacketTypeFromBits(kQuicVersion2, r.v2) == r.type);
  }
  CHECK_FALSE(LongPacketTypeBits(kQuicVersion1, PacketType::kOneRtt).has_value());
  CHECK_FALSE(LongPacketTypeBits(0x1a2a3a4a, PacketType::kInitial).has_value());
  CHECK_FALSE(LongPacketTypeFromBits(kQuicVersion1, 4).has_value());
  CHECK_FALSE(LongPacketTypeFromBits(0, 0).has_value());
}

TEST_CASE("RFC 9001 A.4 and RFC 9369 A.4 Retry packets split token and tag", "[packet_header]") {
  struct Case {
    uint32_t version;
    std::string packet;
    std::string tag;
  };
  const Case cases[] = {
      {kQuicVersion1,
       "ff000000010008f067a5502a4262b5746f6b656e04a265ba2eff4d829058fb3f0f2496ba",
       "04a265ba2eff4d829058fb3f0f2496ba"},
      {kQuicVersion2,
       "cf6b3343cf0008f067a5502a4262b5746f6b656ec8646ce8bfe33952d955543665dcc7b6",
       "c8646ce8bfe33952d955543665dcc7b6"},
  };
  for (const Case& c : cases) {
    std::vector<uint8_t> d = Hex(c.packet);
    absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 0);
    REQUIRE(h.ok());
    CHECK(h->type == PacketType::kRetry);
    CHECK(h->version == c.version);
    CHECK(h->dcid.empty());
    CHECK(h->scid == Cid("f067a5502a4262b5"));
    CHECK(ToVec(h->retry_token) == Hex("746f6b656e"));  // "token"
    CHECK(ToVec(h->retry_integrity_tag) == Hex(c.tag));
    CHECK(h->packet_length == d.size());
    CHECK_FALSE(ReadUnprotectedHeaderBits(*h, d).ok());  // Retry has no packet number

    // Writing the same Retry (unused bits 0xf, as in the vectors) reproduces it up to the tag.
    std::vector<uint8_t> out(64);
    DataWriter w(absl::MakeSpan(out));
    std::vector<uint8_t> token = Hex("746f6b656e");
    REQUIRE(WriteRetryPacketWithoutTag(w, c.version, ConnectionId(), Cid("f067a5502a4262b5"),
                                       token, 0x0f));
    out.resize(w.length());
    CHECK(out == std::vector<uint8_t>(d.begin(), d.end() - kRetryIntegrityTagLength));
  }
}

TEST_CASE("Retry writer rejects an empty token and unknown versions", "[packet_header]") {
  std::vector<uint8_t> out(64);
  DataWriter w(absl::MakeSpan(out));
  std::vector<uint8_t> token = {1};
  CHECK_FALSE(WriteRetryPacketWithoutTag(w, kQuicVersion1, Cid("01"), Cid("02"), {}, 0));
  CHECK_FALSE(WriteRetryPacketWithoutTag(w, 0x1a2a3a4a, Cid("01"), Cid("02"), token, 0));
  CHECK(w.length() == 0);
  // A Retry whose token is empty is discarded on receipt (RFC 9000 §17.2.5.2).
  std::vector<uint8_t> empty_token = Hex("f000000001000000000000000000000000000000000000");
  REQUIRE(empty_token.size() == 1 + 4 + 1 + 1 + 16);
  CHECK_FALSE(ParsePacketHeader(empty_token, 0).ok());
}

TEST_CASE("long header round trip for every type and both versions", "[packet_header]") {
  const std::vector<uint8_t> token = Hex("0102030405");
  for (uint32_t version : {kQuicVersion1, kQuicVersion2}) {
    for (PacketType type : {PacketType::kInitial, PacketType::kZeroRtt, PacketType::kHandshake}) {
      for (size_t pn_len = 1; pn_len <= 4; ++pn_len) {
        for (size_t length_len : {size_t{1}, size_t{2}, size_t{4}, size_t{8}}) {
          std::vector<uint8_t> buf(200, 0xee);
          DataWriter w(absl::MakeSpan(buf));
          LongHeaderFields f;
          f.type = type;
          f.version = version;
          f.dcid = Cid("0011223344556677889900112233445566778899");  // 20 bytes
          f.scid = Cid("aabbcc");
          if (type == PacketType::kInitial) f.token = token;
          const uint64_t truncated = TruncatePacketNumber(0x12345678, pn_len);
          size_t len_off = 0, pn_off = 0;
          REQUIRE(WriteLongHeader(w, f, pn_len, truncated, length_len, &len_off, &pn_off));
          const size_t payload = 70;  // too long for a 1-byte Length
          REQUIRE(w.WriteRepeated(0x5a, payload));
          const uint64_t length = pn_len + payload;
          if (length > MaxVarIntForLength(length_len)) {
            CHECK_FALSE(PatchLongHeaderLength(absl::MakeSpan(buf), len_off, length_len, length));
            continue;
          }
          REQUIRE(PatchLongHeaderLength(absl::MakeSpan(buf), len_off, length_len, length));
          // Trailing bytes in the datagram belong to the next packet.
          absl::StatusOr<PacketHeader> h = ParsePacketHeader(buf, 0);
          REQUIRE(h.ok());
          CHECK(h->type == type);
          CHECK(h->version == version);
          CHECK(h->dcid == f.dcid);
          CHECK(h->scid == f.scid);
          CHECK(ToVec(h->token) == (type == PacketType::kInitial ? token : std::vector<uint8_t>{}));
          CHECK(h->pn_offset == pn_off);
          CHECK(h->length_field == length);
          CHECK(h->packet_length == w.length());
          absl::StatusOr<UnprotectedHeaderBits> bits = ReadUnprotectedHeaderBits(*h, buf);
          REQUIRE(bits.ok());
          CHECK(bits->pn_length == pn_len);
          CHECK(bits->truncated_pn == truncated);
          CHECK_FALSE(bits->reserved_bits_set);
        }
      }
    }
  }
}

TEST_CASE("long header writer refuses bad arguments without writing", "[packet_header]") {
  std::vector<uint8_t> buf(100);
  DataWriter w(absl::MakeSpan(buf));
  LongHeaderFields f;
  size_t a = 0, b = 0;
  CHECK_FALSE(WriteLongHeader(w, f, 0, 0, 2, &a, &b));      // pn_len 0
  CHECK_FALSE(WriteLongHeader(w, f, 5, 0, 2, &a, &b));      // pn_len 5
  CHECK_FALSE(WriteLongHeader(w, f, 1, 0x100, 2, &a, &b));  // pn does not fit 1 byte
  CHECK_FALSE(WriteLongHeader(w, f, 1, 0, 3, &a, &b));      // no 3-byte varint
  f.type = PacketType::kRetry;
  CHECK_FALSE(WriteLongHeader(w, f, 1, 0, 2, &a, &b));
  f.type = PacketType::kHandshake;
  const std::vector<uint8_t> token = {1, 2};
  f.token = token;
  CHECK_FALSE(WriteLongHeader(w, f, 1, 0, 2, &a, &b));  // token outside Initial
  f.token = {};
  f.version = 0x1a2a3a4a;
  CHECK_FALSE(WriteLongHeader(w, f, 1, 0, 2, &a, &b));
  CHECK(w.length() == 0);
  // Too little room: nothing is written.
  std::vector<uint8_t> small(9);
  DataWriter ws(absl::MakeSpan(small));
  f.version = kQuicVersion1;
  CHECK_FALSE(WriteLongHeader(ws, f, 1, 0, 2, &a, &b));
  CHECK(ws.length() == 0);
}

TEST_CASE("short header round trip with spin and key phase", "[packet_header]") {
  const ConnectionId dcid = Cid("0102030405060708");
  for (bool spin : {false, true}) {
    for (bool key_phase : {false, true}) {
      for (size_t pn_len = 1; pn_len <= 4; ++pn_len) {
        std::vector<uint8_t> buf(64);
        DataWriter w(absl::MakeSpan(buf));
        size_t pn_off = 0;
        const uint64_t truncated = TruncatePacketNumber(0xdeadbeef, pn_len);
        REQUIRE(WriteShortHeader(w, dcid, spin, key_phase, pn_len, truncated, &pn_off));
        CHECK(pn_off == 9);
        REQUIRE(w.WriteRepeated(0, 20));
        buf.resize(w.length());
        absl::StatusOr<PacketHeader> h = ParsePacketHeader(buf, dcid.length());
        REQUIRE(h.ok());
        CHECK_FALSE(h->long_header);
        CHECK(h->type == PacketType::kOneRtt);
        CHECK(h->dcid == dcid);
        CHECK(h->spin_bit == spin);
        CHECK(h->pn_offset == 9);
        CHECK(h->packet_length == buf.size());
        absl::StatusOr<UnprotectedHeaderBits> bits = ReadUnprotectedHeaderBits(*h, buf);
        REQUIRE(bits.ok());
        CHECK(bits->key_phase == key_phase);
        CHECK(bits->pn_length == pn_len);
        CHECK(bits->truncated_pn == truncated);
        CHECK_FALSE(bits->reserved_bits_set);
      }
    }
  }
}

TEST_CASE("reserved bits are reported after unprotection", "[packet_header]") {
  std::vector<uint8_t> s = Hex("5801020304aabbccdd");  // 0x40 | reserved 0x18
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(s, 4);
  REQUIRE(h.ok());
  absl::StatusOr<UnprotectedHeaderBits> bits = ReadUnprotectedHeaderBits(*h, s);
  REQUIRE(bits.ok());
  CHECK(bits->reserved_bits_set);

  std::vector<uint8_t> l = ClientInitialV1();
  l[0] |= 0x04;  // a long-header reserved bit
  h = ParsePacketHeader(l, 0);
  REQUIRE(h.ok());
  bits = ReadUnprotectedHeaderBits(*h, l);
  REQUIRE(bits.ok());
  CHECK(bits->reserved_bits_set);
}

TEST_CASE("packet number running past the packet is an error", "[packet_header]") {
  // Length 2 but the (unprotected) first byte claims a 4-byte packet number.
  std::vector<uint8_t> d = Hex("e3000000010000" "4002" "0001");
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 0);
  REQUIRE(h.ok());
  CHECK(h->type == PacketType::kHandshake);
  CHECK_FALSE(ReadUnprotectedHeaderBits(*h, d).ok());
  // And a span shorter than the parsed packet.
  CHECK_FALSE(ReadUnprotectedHeaderBits(*h, absl::MakeConstSpan(d).first(5)).ok());
}

TEST_CASE("Version Negotiation round trip", "[packet_header]") {
  const std::vector<uint8_t> dcid = Hex("aabbccdd");
  const std::vector<uint8_t> scid = Hex("0102030405060708");
  const std::vector<uint32_t> versions = {kQuicVersion2, kQuicVersion1, 0x0a0a0a0a};
  std::vector<uint8_t> buf(100);
  DataWriter w(absl::MakeSpan(buf));
  REQUIRE(WriteVersionNegotiation(w, dcid, scid, versions, 0x3f));
  buf.resize(w.length());
  CHECK(buf[0] == 0xff);
  CHECK(buf.size() == 1 + 4 + 1 + 4 + 1 + 8 + 12);
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(buf, 0);
  REQUIRE(h.ok());
  CHECK(h->type == PacketType::kVersionNegotiation);
  CHECK(h->version == 0);
  CHECK(ToVec(h->dcid_bytes) == dcid);
  CHECK(ToVec(h->scid_bytes) == scid);
  CHECK(h->supported_versions == versions);
  CHECK(h->packet_length == buf.size());

  // The Unused field is arbitrary: 0x40 set by us, other bits from the caller, and the
  // receiver accepts any value, fixed bit included.
  std::vector<uint8_t> buf2(100);
  DataWriter w2(absl::MakeSpan(buf2));
  REQUIRE(WriteVersionNegotiation(w2, dcid, scid, versions, 0x00));
  CHECK(buf2[0] == 0xc0);
  buf2.resize(w2.length());
  buf2[0] = 0x80;
  CHECK(ParsePacketHeader(buf2, 0).ok());
}

TEST_CASE("unsupported version yields invariant fields for Version Negotiation",
          "[packet_header]") {
  // RFC 8999 §5.1: connection IDs up to 255 bytes for versions we do not know.
  std::vector<uint8_t> d = {0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 30};
  for (int i = 0; i < 30; ++i) d.push_back(static_cast<uint8_t>(i));
  d.push_back(25);
  for (int i = 0; i < 25; ++i) d.push_back(static_cast<uint8_t>(100 + i));
  d.resize(1200, 0);
  absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, 8);
  REQUIRE(h.ok());
  CHECK(h->long_header);
  CHECK_FALSE(h->version_supported);
  CHECK(h->version == 0x1a2a3a4a);
  CHECK(h->dcid_bytes.size() == 30);
  CHECK(h->scid_bytes.size() == 25);
  CHECK(h->packet_length == 1200);
  CHECK_FALSE(ReadUnprotectedHeaderBits(*h, d).ok());

  // The server answers by echoing both IDs swapped.
  std::vector<uint8_t> vn(200);
  DataWriter w(absl::MakeSpan(vn));
  const uint32_t ours[] = {kQuicVersion1, kQuicVersion2};
  REQUIRE(WriteVersionNegotiation(w, h->scid_bytes, h->dcid_bytes, ours, 0));
  vn.resize(w.length());
  absl::StatusOr<PacketHeader> r = ParsePacketHeader(vn, 0);
  REQUIRE(r.ok());
  CHECK(r->type == PacketType::kVersionNegotiation);
  CHECK(ToVec(r->dcid_bytes) == ToVec(h->scid_bytes));
  CHECK(ToVec(r->scid_bytes) == ToVec(h->dcid_bytes));
  CHECK(r->supported_versions == std::vector<uint32_t>{kQuicVersion1, kQuicVersion2});

  // Fixed bit 0 is fine too: it is version-specific.
  d[0] = 0x80;
  CHECK(ParsePacketHeader(d, 8).ok());
}

TEST_CASE("Version Negotiation writer bounds", "[packet_header]") {
  std::vector<uint8_t> buf(2000);
  DataWriter w(absl::MakeSpan(buf));
  const std::vector<uint8_t> cid = {1};
  CHECK_FALSE(WriteVersionNegotiation(w, cid, cid, {}, 0));
  std::vector<uint32_t> many(kMaxVersionNegotiationVersions + 1, kQuicVersion1);
  CHECK_FALSE(WriteVersionNegotiation(w, cid, cid, many, 0));
  std::vector<uint8_t> long_cid(256, 1);
  const uint32_t one[] = {kQuicVersion1};
  CHECK_FALSE(WriteVersionNegotiation(w, long_cid, cid, one, 0));
  CHECK(w.length() == 0);
}

TEST_CASE("coalesced packets split by Length", "[packet_header]") {
  std::vector<uint8_t> dgram(300, 0);
  DataWriter w(absl::MakeSpan(dgram));
  const ConnectionId dcid = Cid("1111111111111111");
  const ConnectionId scid = Cid("22222222");
  size_t len_off = 0, pn_off = 0;

  LongHeaderFields initial{PacketType::kInitial, kQuicVersion1, dcid, scid, {}};
  REQUIRE(WriteLongHeader(w, initial, 1, 0, 2, &len_off, &pn_off));
  REQUIRE(w.WriteRepeated(0x11, 40));
  REQUIRE(PatchLongHeaderLength(absl::MakeSpan(dgram), len_off, 2, 41));
  const size_t first_end = w.length();

  LongHeaderFields hs{PacketType::kHandshake, kQuicVersion1, dcid, scid, {}};
  REQUIRE(WriteLongHeader(w, hs, 2, 7, 2, &len_off, &pn_off));
  REQUIRE(w.WriteRepeated(0x22, 30));
  REQUIRE(PatchLongHeaderLength(absl::MakeSpan(dgram), len_off, 2, 32));
  const size_t second_end = w.length();

  REQUIRE(WriteShortHeader(w, dcid, true, false, 3, 9, &pn_off));
  REQUIRE(w.WriteRepeated(0x33, 25));
  dgram.resize(w.length());

  absl::Span<const uint8_t> rest(dgram);
  std::vector<PacketType> types;
  std::vector<size_t> lengths;
  while (!rest.empty()) {
    absl::StatusOr<PacketHeader> h = ParsePacketHeader(rest, dcid.length());
    REQUIRE(h.ok());
    REQUIRE(h->packet_length > 0);
    REQUIRE(h->packet_length <= rest.size());
    types.push_back(h->type);
    lengths.push_back(h->packet_length);
    CHECK(PeekDestinationConnectionId(rest, dcid.length()) == dcid);
    rest = rest.subspan(h->packet_length);
  }
  CHECK(types == std::vector<PacketType>{PacketType::kInitial, PacketType::kHandshake,
                                         PacketType::kOneRtt});
  CHECK(lengths == std::vector<size_t>{first_end, second_end - first_end,
                                       dgram.size() - second_end});
}

TEST_CASE("PeekDestinationConnectionId", "[packet_header]") {
  std::vector<uint8_t> d = ClientInitialV1();
  CHECK(PeekDestinationConnectionId(d, 4) == Cid("8394c8f03e515708"));
  CHECK_FALSE(PeekDestinationConnectionId(absl::MakeConstSpan(d).first(10), 4).has_value());
  CHECK_FALSE(PeekDestinationConnectionId({}, 4).has_value());
  std::vector<uint8_t> s = Hex("40a1a2a3a4ff");
  CHECK(PeekDestinationConnectionId(s, 4) == Cid("a1a2a3a4"));
  CHECK_FALSE(PeekDestinationConnectionId(s, 8).has_value());
  CHECK_FALSE(PeekDestinationConnectionId(s, 21).has_value());
  // A long header DCID over 20 bytes cannot be one of ours.
  std::vector<uint8_t> l = {0xc0, 0, 0, 0, 1, 21};
  l.resize(60, 0);
  CHECK_FALSE(PeekDestinationConnectionId(l, 0).has_value());
  CHECK(IsLongHeader(0x80));
  CHECK_FALSE(IsLongHeader(0x7f));
}

TEST_CASE("connection ID length 21 is rejected in v1 and v2", "[packet_header]") {
  for (uint32_t version : {kQuicVersion1, kQuicVersion2}) {
    for (int which = 0; which < 2; ++which) {
      std::vector<uint8_t> d = {0xe0, static_cast<uint8_t>(version >> 24),
                                static_cast<uint8_t>(version >> 16),
                                static_cast<uint8_t>(version >> 8), static_cast<uint8_t>(version)};
      d.push_back(which == 0 ? 21 : 0);
      d.resize(d.size() + d.back(), 7);
      d.push_back(which == 1 ? 21 : 0);
      d.resize(d.size() + d.back(), 7);
      d.push_back(0x01);
      d.push_back(0x00);
      d.resize(200, 0);
      CHECK_FALSE(ParsePacketHeader(d, 0).ok());
    }
  }
}

TEST_CASE("Length beyond the datagram and zero Length are rejected", "[packet_header]") {
  std::vector<uint8_t> d = ClientInitialV1();
  d.pop_back();  // now one byte short of what Length says
  CHECK_FALSE(ParsePacketHeader(d, 0).ok());
  // Handshake with Length 0.
  std::vector<uint8_t> zero = Hex("e00000000100000000aa");
  CHECK_FALSE(ParsePacketHeader(zero, 0).ok());
  // Initial whose token length runs past the datagram.
  std::vector<uint8_t> tok = Hex("c0000000010000" "44ff" "0102030405");
  CHECK_FALSE(ParsePacketHeader(tok, 0).ok());
}

TEST_CASE("Fixed Bit 0 is rejected unless allowed", "[packet_header]") {
  std::vector<uint8_t> l = ClientInitialV1();
  l[0] &= static_cast<uint8_t>(~kFixedBit);
  CHECK_FALSE(ParsePacketHeader(l, 0).ok());
  PacketHeaderParseOptions allow;
  allow.allow_missing_fixed_bit = true;
  CHECK(ParsePacketHeader(l, 0, allow).ok());

  std::vector<uint8_t> s = Hex("00a1a2a3a4ffff");
  CHECK_FALSE(ParsePacketHeader(s, 4).ok());
  CHECK(ParsePacketHeader(s, 4, allow).ok());
}

TEST_CASE("Version Negotiation without versions or with a truncated one", "[packet_header]") {
  std::vector<uint8_t> none = Hex("c000000000" "0401020304" "00");
  CHECK_FALSE(ParsePacketHeader(none, 0).ok());
  std::vector<uint8_t> partial = Hex("c000000000" "0401020304" "00" "00000001" "6b33");
  CHECK_FALSE(ParsePacketHeader(partial, 0).ok());
  std::vector<uint8_t> too_many = Hex("c000000000" "00" "00");
  for (size_t i = 0; i <= kMaxVersionNegotiationVersions; ++i) {
    for (uint8_t b : {0x00, 0x00, 0x00, 0x01}) too_many.push_back(b);
  }
  CHECK_FALSE(ParsePacketHeader(too_many, 0).ok());
}

TEST_CASE("short header with an oversized DCID length or no packet number", "[packet_header]") {
  std::vector<uint8_t> s = Hex("40a1a2a3a4");
  CHECK_FALSE(ParsePacketHeader(s, 4).ok());  // nothing after the DCID
  CHECK_FALSE(ParsePacketHeader(s, 21).ok());
  CHECK_FALSE(ParsePacketHeader({}, 0).ok());
}

// Copies the first `n` bytes into their own allocation so that ASan sees any read past them.
void ExpectEveryPrefixRejected(const std::vector<uint8_t>& packet, size_t short_dcid_len) {
  for (size_t n = 0; n < packet.size(); ++n) {
    std::vector<uint8_t> prefix(packet.begin(), packet.begin() + static_cast<ptrdiff_t>(n));
    INFO("prefix length " << n << " of " << packet.size());
    CHECK_FALSE(ParsePacketHeader(prefix, short_dcid_len).ok());
  }
}

TEST_CASE("every valid header truncated at every offset is an error", "[packet_header]") {
  ExpectEveryPrefixRejected(ClientInitialV1(), 0);
  // Handshake (v2) with a token-less header and a short payload.
  std::vector<uint8_t> hs(64);
  DataWriter w(absl::MakeSpan(hs));
  size_t len_off = 0, pn_off = 0;
  LongHeaderFields f{PacketType::kHandshake, kQuicVersion2, Cid("0102"), Cid("030405"), {}};
  REQUIRE(WriteLongHeader(w, f, 2, 5, 2, &len_off, &pn_off));
  REQUIRE(w.WriteRepeated(1, 10));
  REQUIRE(PatchLongHeaderLength(absl::MakeSpan(hs), len_off, 2, 12));
  hs.resize(w.length());
  ExpectEveryPrefixRejected(hs, 0);
  // Initial with a token.
  std::vector<uint8_t> init(64);
  DataWriter wi(absl::MakeSpan(init));
  const std::vector<uint8_t> token = {9, 9, 9};
  LongHeaderFields fi{PacketType::kInitial, kQuicVersion1, Cid("0102"), Cid(""), token};
  REQUIRE(WriteLongHeader(wi, fi, 1, 5, 1, &len_off, &pn_off));
  REQUIRE(wi.WriteRepeated(1, 4));
  REQUIRE(PatchLongHeaderLength(absl::MakeSpan(init), len_off, 1, 5));
  init.resize(wi.length());
  ExpectEveryPrefixRejected(init, 0);
  // Retry with a one-byte token: any shorter leaves no token.
  std::vector<uint8_t> retry =
      Hex("f0000000010201020103aa00112233445566778899aabbccddeeff");
  REQUIRE(ParsePacketHeader(retry, 0).ok());
  ExpectEveryPrefixRejected(retry, 0);
  // Version Negotiation with a single version.
  std::vector<uint8_t> vn = Hex("c000000000" "020102" "03040506" "00000001");
  REQUIRE(ParsePacketHeader(vn, 0).ok());
  ExpectEveryPrefixRejected(vn, 0);
  // Unsupported version: prefixes inside the connection IDs.
  std::vector<uint8_t> unk = Hex("c01a2a3a4a03010203020405");
  REQUIRE(ParsePacketHeader(unk, 0).ok());
  ExpectEveryPrefixRejected(unk, 0);
  // Short header with a single byte after the DCID.
  std::vector<uint8_t> s = Hex("41a1a2a3a4a5a6a7a8ff");
  REQUIRE(ParsePacketHeader(s, 8).ok());
  ExpectEveryPrefixRejected(s, 8);
}

TEST_CASE("arbitrary bytes never crash the parser", "[packet_header]") {
  // Deterministic pseudo-random inputs (xorshift), biased towards plausible first bytes and
  // versions so the long-header paths are exercised.
  uint64_t state = 0x9e3779b97f4a7c15ull;
  auto next = [&state]() {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  size_t parsed = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    const size_t len = next() % 64;
    std::vector<uint8_t> d(len);
    for (auto& b : d) b = static_cast<uint8_t>(next());
    if (len >= 5 && (next() & 1)) {
      const uint32_t versions[] = {0, kQuicVersion1, kQuicVersion2};
      const uint32_t v = versions[next() % 3];
      d[0] |= 0xc0;
      d[1] = static_cast<uint8_t>(v >> 24);
      d[2] = static_cast<uint8_t>(v >> 16);
      d[3] = static_cast<uint8_t>(v >> 8);
      d[4] = static_cast<uint8_t>(v);
      if (len >= 6) d[5] %= 24;
    }
    absl::StatusOr<PacketHeader> h = ParsePacketHeader(d, next() % 21);
    if (!h.ok()) continue;
    ++parsed;
    REQUIRE(h->packet_length <= d.size());
    if (h->pn_offset != 0) {
      REQUIRE(h->pn_offset < h->packet_length);
      (void)ReadUnprotectedHeaderBits(*h, d);
    }
  }
  CHECK(parsed > 0);
}

}  // namespace
}  // namespace kite::quic
