#include "http3/qpack/decoder.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "http3/qpack/encoder_instructions.h"
#include "http3/qpack/field_line.h"
#include "http3/qpack/qpack_error.h"

namespace kite::http3::qpack {
namespace {

std::string Unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

DecoderConfig Config(uint64_t capacity, uint64_t blocked) {
  DecoderConfig c;
  c.max_table_capacity = capacity;
  c.max_blocked_streams = blocked;
  return c;
}

uint64_t Code(const absl::Status& s) { return GetQpackErrorCode(s); }

// RFC 9204 Appendix B, step by step, including the decoder-stream bytes.
TEST_CASE("RFC 9204 Appendix B walk-through") {
  Decoder d(Config(220, 100));
  // B.1: static only.
  auto r = d.DecodeFieldSection(0, Unhex("0000510b2f696e6465782e68746d6c"));
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK(**r == HeaderList{{":path", "/index.html"}});
  CHECK(d.TakeDecoderStreamData().empty());

  // B.2: the section arrives before the inserts it needs, so it blocks.
  r = d.DecodeFieldSection(4, Unhex("03811011"));
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  CHECK(d.blocked_stream_count() == 1);
  REQUIRE(d.OnEncoderStreamData(Unhex("3fbd01c00f7777772e6578616d706c652e636f6d"
                                      "c10c2f73616d706c652f70617468"))
              .ok());
  auto unblocked = d.TakeUnblockedSections();
  REQUIRE(unblocked.size() == 1);
  CHECK(unblocked[0].stream_id == 4);
  CHECK(unblocked[0].headers ==
        HeaderList{{":authority", "www.example.com"}, {":path", "/sample/path"}});
  CHECK(d.TakeDecoderStreamData() == Unhex("84"));  // Section Acknowledgment, stream 4

  // B.3: speculative insert -> Insert Count Increment 1.
  REQUIRE(d.OnEncoderStreamData(Unhex("4a637573746f6d2d6b65790c637573746f6d2d76616c7565")).ok());
  CHECK(d.TakeDecoderStreamData() == Unhex("01"));

  // B.4: Duplicate is delayed; the section blocks and the stream is cancelled.
  r = d.DecodeFieldSection(8, Unhex("050080c181"));
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  d.CancelStream(8);
  CHECK(d.blocked_stream_count() == 0);
  CHECK(d.TakeDecoderStreamData() == Unhex("48"));
  REQUIRE(d.OnEncoderStreamData(Unhex("02")).ok());
  CHECK(d.TakeUnblockedSections().empty());

  // B.5: insert with dynamic name reference evicts entry 0.
  REQUIRE(d.OnEncoderStreamData(Unhex("810d637573746f6d2d76616c756532")).ok());
  CHECK(d.table().insert_count() == 5);
  CHECK(d.table().Get(0) == nullptr);
  CHECK(d.table().size() == 215);
  CHECK(d.table().Get(4)->name == "custom-key");
  CHECK(d.table().Get(4)->value == "custom-value2");
  CHECK(d.TakeDecoderStreamData() == Unhex("02"));  // 2 inserts nobody acknowledged
}

TEST_CASE("encoder-stream bytes split at every offset give the same table") {
  const std::string stream = Unhex(
      "3fbd01c00f7777772e6578616d706c652e636f6dc10c2f73616d706c652f70617468"
      "4a637573746f6d2d6b65790c637573746f6d2d76616c756502810d637573746f6d2d76616c756532");
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoder d(Config(220, 0));
    REQUIRE(d.OnEncoderStreamData(stream.substr(0, cut)).ok());
    REQUIRE(d.OnEncoderStreamData(stream.substr(cut)).ok());
    CHECK(d.table().insert_count() == 5);
    CHECK_FALSE(d.has_incomplete_encoder_instruction());
  }
  // Byte by byte.
  Decoder d(Config(220, 0));
  for (char c : stream) REQUIRE(d.OnEncoderStreamData(std::string(1, c)).ok());
  CHECK(d.table().insert_count() == 5);
}

TEST_CASE("blocked streams: limit, ordering on one stream, post-base references") {
  // RIC 1 with MaxEntries 3 (capacity 100) encodes as 2; Base 0 (sign, delta 0): 02 80,
  // then post-base index 0: 10.
  const std::string needs_one = Unhex("028010");
  Decoder d(Config(100, 1));
  REQUIRE(d.OnEncoderStreamData(Unhex("3f45")).ok());  // capacity 100
  auto r = d.DecodeFieldSection(4, needs_one);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  // A second section on the same stream waits behind the first even if it could decode.
  r = d.DecodeFieldSection(4, Unhex("0000d1"));
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  // A second blocked stream exceeds SETTINGS_QPACK_BLOCKED_STREAMS = 1 (§2.2.1).
  auto over = d.DecodeFieldSection(8, needs_one);
  REQUIRE_FALSE(over.ok());
  CHECK(Code(over.status()) == 0x200);

  Decoder e(Config(100, 1));
  REQUIRE(e.OnEncoderStreamData(Unhex("3f45")).ok());
  REQUIRE(e.DecodeFieldSection(4, needs_one).ok());
  REQUIRE(e.DecodeFieldSection(4, Unhex("0000d1")).ok());
  REQUIRE(e.OnEncoderStreamData(Unhex("c003616263")).ok());  // insert :authority=abc
  auto out = e.TakeUnblockedSections();
  REQUIRE(out.size() == 2);
  CHECK(out[0].headers == HeaderList{{":authority", "abc"}});
  CHECK(out[1].headers == HeaderList{{":method", "GET"}});
  CHECK(e.blocked_stream_count() == 0);

  Decoder none(Config(100, 0));
  REQUIRE(none.OnEncoderStreamData(Unhex("3f45")).ok());
  auto blocked = none.DecodeFieldSection(4, needs_one);
  REQUIRE_FALSE(blocked.ok());
  CHECK(Code(blocked.status()) == 0x200);
}

TEST_CASE("encoder-stream errors carry QPACK_ENCODER_STREAM_ERROR") {
  const std::vector<std::string> bad = {
      Unhex("3f46"),        // capacity 101 > 100
      Unhex("3f4500"),      // Duplicate with an empty table
      Unhex("3f458000"),    // dynamic name reference with an empty table
      Unhex("3f45ff2400"),  // static name reference 99
      Unhex("3f4540") + Unhex("46") + std::string(70, 'x'),  // entry 32+0+70 > 100
  };
  for (const std::string& b : bad) {
    Decoder d(Config(100, 10));
    absl::Status s = d.OnEncoderStreamData(b);
    INFO(b.size());
    REQUIRE_FALSE(s.ok());
    CHECK(Code(s) == 0x201);
  }
  // Duplicate of an evicted entry.
  Decoder d(Config(100, 10));
  REQUIRE(d.OnEncoderStreamData(Unhex("3f45c003616263c003646566")).ok());  // 2 x 45 bytes
  REQUIRE(d.OnEncoderStreamData(Unhex("c003676869")).ok());                // evicts entry 0
  absl::Status s = d.OnEncoderStreamData(Unhex("02"));
  REQUIRE_FALSE(s.ok());
  CHECK(Code(s) == 0x201);
  // A string longer than the limit fails once its length is known.
  DecoderConfig small = Config(4096, 10);
  small.max_string_length = 10;
  Decoder e(small);
  s = e.OnEncoderStreamData(Unhex("3fe11fc00b"));  // capacity 4096, value of 11 bytes
  REQUIRE_FALSE(s.ok());
  CHECK(Code(s) == 0x201);
  // Buffered bytes of an incomplete instruction are bounded.
  DecoderConfig tight = Config(4096, 10);
  tight.max_buffered_encoder_stream_bytes = 64;
  Decoder f(tight);
  REQUIRE(f.OnEncoderStreamData(Unhex("3fe11fc07f")).ok());  // value of 127+ bytes...
  REQUIRE(f.OnEncoderStreamData(Unhex("00") + std::string(40, 'a')).ok());
  s = f.OnEncoderStreamData(std::string(40, 'a'));
  REQUIRE_FALSE(s.ok());
  CHECK(Code(s) == 0x201);
}

TEST_CASE("field-section errors carry QPACK_DECOMPRESSION_FAILED") {
  Decoder d(Config(100, 10));
  REQUIRE(d.OnEncoderStreamData(Unhex("3f45c003616263c003646566c003676869")).ok());
  // Insert count 3, entry 0 evicted. MaxEntries 3: RIC 3 encodes as 4.
  const std::vector<std::string> bad = {
      Unhex("0400"
            "82"),  // relative index 2 -> absolute 0, evicted
      Unhex("0400"
            "83"),  // relative index 3 >= Base 3
      Unhex("0280"
            "11"),  // RIC 1, Base 0: post-base 1 is at or above RIC
      Unhex("0201"
            "80"),  // RIC 1, Base 2: absolute 1 is at or above RIC
      Unhex("0000"
            "ff64"),  // static index 63 + 100 out of range
      Unhex("0081"),  // RIC 0 with sign: negative Base
      Unhex("0900"),  // encoded RIC 9 > 2 * MaxEntries
      Unhex("00"),    // truncated prefix
      Unhex("0000"
            "5f"),  // truncated field line
      Unhex("0000"
            "2a"),  // literal name of 2 bytes, missing
  };
  for (const std::string& b : bad) {
    auto r = d.DecodeFieldSection(4, b);
    INFO(b.size());
    REQUIRE_FALSE(r.ok());
    CHECK(Code(r.status()) == 0x200);
  }
  // A valid section referencing entries 1 and 2, relative and post-base: RIC 3, Base 2
  // (delta 0 with sign) -> 04 80, then relative 0 (abs 1) = 80, post-base 0 (abs 2) = 10.
  auto ok = d.DecodeFieldSection(4, Unhex("04808010"));
  REQUIRE(ok.ok());
  REQUIRE(ok->has_value());
  CHECK(**ok == HeaderList{{":authority", "def"}, {":authority", "ghi"}});
  CHECK(d.TakeDecoderStreamData() == Unhex("84"));  // the ack covers all 3 inserts
}

TEST_CASE("the decoded field section size is bounded") {
  DecoderConfig c = Config(0, 0);
  c.max_field_section_size = 100;
  Decoder d(c);
  std::string section = Unhex("0000");
  FieldLine line;
  line.kind = FieldLine::Kind::kLiteralName;
  line.name = "n";
  line.value = std::string(30, 'v');  // 63 bytes per field
  AppendFieldLine(line, &section);
  auto one = d.DecodeFieldSection(0, section);
  REQUIRE(one.ok());
  AppendFieldLine(line, &section);
  auto two = d.DecodeFieldSection(4, section);
  REQUIRE_FALSE(two.ok());
  CHECK(Code(two.status()) == 0x107);  // H3_EXCESSIVE_LOAD
}

TEST_CASE("blocked sections kept are bounded") {
  DecoderConfig c = Config(100, 10);
  c.max_encoded_section_size = 8;
  c.max_sections_per_blocked_stream = 2;
  Decoder d(c);
  REQUIRE(d.OnEncoderStreamData(Unhex("3f45")).ok());
  auto big = d.DecodeFieldSection(4, Unhex("028010") + std::string(6, '\x80'));
  CHECK_FALSE(big.ok());
  REQUIRE(d.DecodeFieldSection(4, Unhex("028010")).ok());
  REQUIRE(d.DecodeFieldSection(4, Unhex("028010")).ok());
  CHECK_FALSE(d.DecodeFieldSection(4, Unhex("028010")).ok());
}

TEST_CASE("without a dynamic table Stream Cancellation is omitted") {
  Decoder d(Config(0, 0));
  d.CancelStream(4);
  CHECK(d.TakeDecoderStreamData().empty());
  Decoder e(Config(100, 0));
  e.CancelStream(4);
  CHECK(e.TakeDecoderStreamData() == Unhex("44"));
}

TEST_CASE("QPACK error statuses carry their codes") {
  absl::Status s = QpackErrorStatus(QpackErrorCode::kDecoderStreamError, "x");
  CHECK(GetQpackErrorCode(s) == 0x202);
  CHECK(QpackErrorCodeName(QpackErrorCode::kEncoderStreamError) == "QPACK_ENCODER_STREAM_ERROR");
  CHECK(GetQpackErrorCode(absl::OkStatus()) == 0x100);
  CHECK(GetQpackErrorCode(absl::InternalError("y")) == 0x102);
}

}  // namespace
}  // namespace kite::http3::qpack
