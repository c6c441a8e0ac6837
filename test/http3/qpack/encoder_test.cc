#include "http3/qpack/encoder.h"

#include <catch2/catch.hpp>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "http3/qpack/decoder.h"
#include "http3/qpack/encoder_instructions.h"
#include "http3/qpack/field_line.h"
#include "http3/qpack/qpack_error.h"

namespace kite::http3::qpack {
namespace {

// An eager policy (insert on first sight, entries up to 3/4 of the table, a quarter kept
// draining) so that small tests exercise inserts, eviction limits and Duplicate; the
// default tuning is exercised on the qifs data by the round-trip and nghttp3 tests.
Encoder MakeEncoder(uint64_t capacity, uint64_t blocked) {
  EncoderConfig c;
  c.max_table_capacity = capacity;
  c.insert_first_sight_if_referenceable = true;
  c.max_entry_sixteenths = 12;
  c.draining_sixteenths = 4;
  Encoder e(c);
  e.OnPeerSettings(capacity, blocked);
  return e;
}

Decoder MakeDecoder(uint64_t capacity, uint64_t blocked) {
  DecoderConfig c;
  c.max_table_capacity = capacity;
  c.max_blocked_streams = blocked;
  return Decoder(c);
}

std::vector<EncoderInstruction> ParseAll(const std::string& stream) {
  std::vector<EncoderInstruction> out;
  size_t pos = 0;
  EncoderInstruction i;
  while (ParseEncoderInstruction(stream, &pos, 1 << 20, &i) == ParseStatus::kOk) out.push_back(i);
  REQUIRE(pos == stream.size());
  return out;
}

HeaderList Request(int n) {
  return {{":method", "GET"},
          {":scheme", "https"},
          {":authority", "example.org"},
          {":path", "/item/" + std::to_string(n)},
          {"user-agent", "kite-test/1.0 (a fairly long user agent string)"},
          {"x-session", "abcdef0123456789"}};
}

TEST_CASE("without a peer table only the static table and literals are used") {
  Encoder e = MakeEncoder(0, 0);
  e.OnPeerSettings(4096, 100);  // ignored: SETTINGS come once
  const std::string section = e.EncodeFieldSection(0, Request(1));
  CHECK(e.TakeEncoderStreamData().empty());
  CHECK(section.substr(0, 2) == std::string("\x00\x00", 2));
  Decoder d = MakeDecoder(0, 0);
  auto r = d.DecodeFieldSection(0, section);
  REQUIRE(r.ok());
  CHECK(**r == Request(1));
}

TEST_CASE("with a table the encoder inserts, references post-base and then relative") {
  Encoder e = MakeEncoder(4096, 10);
  Decoder d = MakeDecoder(4096, 10);
  const std::string first = e.EncodeFieldSection(0, Request(1));
  const std::string updates = e.TakeEncoderStreamData();
  const auto instructions = ParseAll(updates);
  REQUIRE(instructions.size() >= 3);
  CHECK(std::get<SetDynamicTableCapacity>(instructions[0]).capacity == 4096);
  // The fresh entries are referenced past the Base (§3.2.6).
  size_t pos = 2;
  FieldLine line;
  bool post_base = false;
  while (ParseFieldLine(first, &pos, 1 << 20, &line) == ParseStatus::kOk) {
    post_base = post_base || line.kind == FieldLine::Kind::kIndexedPostBase;
  }
  CHECK(post_base);
  // The decoder blocks on the section until the inserts arrive.
  auto r = d.DecodeFieldSection(0, first);
  REQUIRE(r.ok());
  CHECK_FALSE(r->has_value());
  REQUIRE(d.OnEncoderStreamData(updates).ok());
  auto unblocked = d.TakeUnblockedSections();
  REQUIRE(unblocked.size() == 1);
  CHECK(unblocked[0].headers == Request(1));
  REQUIRE(e.OnDecoderStreamData(d.TakeDecoderStreamData()).ok());
  CHECK(e.known_received_count() == e.table().insert_count());
  // A repeat costs a few bytes: indexed references and one new :path literal.
  const std::string second = e.EncodeFieldSection(4, Request(1));
  CHECK(second.size() < 12);
  REQUIRE(d.OnEncoderStreamData(e.TakeEncoderStreamData()).ok());
  r = d.DecodeFieldSection(4, second);
  REQUIRE(r.ok());
  REQUIRE(r->has_value());
  CHECK(**r == Request(1));
}

TEST_CASE("the encoder never blocks more streams than allowed") {
  for (uint64_t allowed : {0, 1, 3}) {
    Encoder e = MakeEncoder(4096, allowed);
    // The decoder sees every section before any encoder-stream byte: each section that
    // references an unacknowledged entry blocks there.
    Decoder d = MakeDecoder(4096, allowed);
    std::string updates;
    for (int i = 0; i < 20; ++i) {
      HeaderList h = Request(i);
      h.push_back({"x-unique-" + std::to_string(i), "value"});
      h.push_back({"x-unique-" + std::to_string(i), "value"});  // seen twice: inserted
      const std::string section = e.EncodeFieldSection(4 * i, h);
      CHECK(e.BlockingStreamCount() <= allowed);
      auto r = d.DecodeFieldSection(4 * i, section);
      REQUIRE(r.ok());
      updates += e.TakeEncoderStreamData();
    }
    CHECK(d.blocked_stream_count() == allowed);
    REQUIRE(d.OnEncoderStreamData(updates).ok());
    CHECK(d.blocked_stream_count() == 0);
    CHECK(d.TakeUnblockedSections().size() == allowed);
  }
}

// The decoder runs behind the encoder: the encoder stream arrives at once, but each
// section (and so its acknowledgment) arrives `lag` sections late. An eviction of an entry
// that an unacknowledged section references would make that section fail to decode.
TEST_CASE("no entry referenced by an unacknowledged section is evicted") {
  std::mt19937 rng(5);
  for (uint64_t capacity : {128, 256, 1024}) {
    for (int lag : {1, 4, 16}) {
      Encoder e = MakeEncoder(capacity, 100);
      Decoder d = MakeDecoder(capacity, 100);
      std::deque<std::pair<uint64_t, std::string>> in_flight;
      std::deque<HeaderList> expected;
      for (int i = 0; i < 300; ++i) {
        HeaderList h;
        for (int f = 0; f < 4; ++f) {
          h.push_back({"x-field-" + std::to_string(rng() % 6), std::to_string(rng() % 4)});
        }
        const uint64_t stream = 4 * static_cast<uint64_t>(i);
        in_flight.emplace_back(stream, e.EncodeFieldSection(stream, h));
        expected.push_back(h);
        REQUIRE(d.OnEncoderStreamData(e.TakeEncoderStreamData()).ok());
        while (in_flight.size() > static_cast<size_t>(lag)) {
          auto r = d.DecodeFieldSection(in_flight.front().first, in_flight.front().second);
          INFO("capacity " << capacity << " lag " << lag << " section " << i);
          REQUIRE(r.ok());
          REQUIRE(r->has_value());
          REQUIRE(**r == expected.front());
          in_flight.pop_front();
          expected.pop_front();
          REQUIRE(e.OnDecoderStreamData(d.TakeDecoderStreamData()).ok());
        }
      }
      CHECK(e.table().insert_count() > 10);  // the table was really used
    }
  }
}

TEST_CASE("a useful entry about to be evicted is duplicated") {
  // Capacity 256: "x-keep: 1" (39 bytes) is inserted first; after enough other inserts it
  // lies in the draining quarter and referencing it again should use Duplicate. Fields are
  // listed twice so they are inserted at once (small tables insert on second sight).
  Encoder e = MakeEncoder(256, 100);
  Decoder d = MakeDecoder(256, 100);
  bool duplicated = false;
  auto run = [&](uint64_t stream, const HeaderList& h) {
    const std::string section = e.EncodeFieldSection(stream, h);
    const std::string updates = e.TakeEncoderStreamData();
    for (const auto& i : ParseAll(updates)) duplicated |= std::holds_alternative<Duplicate>(i);
    REQUIRE(d.OnEncoderStreamData(updates).ok());
    auto r = d.DecodeFieldSection(stream, section);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    REQUIRE(**r == h);
    REQUIRE(e.OnDecoderStreamData(d.TakeDecoderStreamData()).ok());
  };
  run(0, {{"x-keep", "1"}, {"x-keep", "1"}});
  for (int i = 0; i < 12 && !duplicated; ++i) {
    const HeaderField other{"x-other-" + std::to_string(i), "v"};
    run(4 + 8 * i, {other, other});
    run(8 + 8 * i, {{"x-keep", "1"}});
  }
  CHECK(duplicated);
}

TEST_CASE("decoder-stream errors carry QPACK_DECODER_STREAM_ERROR") {
  {
    Encoder e = MakeEncoder(4096, 10);
    absl::Status s = e.OnDecoderStreamData(std::string("\x84", 1));  // ack, nothing sent
    REQUIRE_FALSE(s.ok());
    CHECK(GetQpackErrorCode(s) == 0x202);
  }
  {
    Encoder e = MakeEncoder(4096, 10);
    absl::Status s = e.OnDecoderStreamData(std::string("\x00", 1));  // increment 0
    REQUIRE_FALSE(s.ok());
    CHECK(GetQpackErrorCode(s) == 0x202);
  }
  {
    Encoder e = MakeEncoder(4096, 10);
    e.EncodeFieldSection(0, Request(1));
    const uint64_t inserted = e.table().insert_count();
    REQUIRE(inserted > 0);
    std::string beyond;
    AppendPrefixInt(0x00, 6, inserted + 1, &beyond);
    absl::Status s = e.OnDecoderStreamData(beyond);
    REQUIRE_FALSE(s.ok());
    CHECK(GetQpackErrorCode(s) == 0x202);
  }
  {
    Encoder e = MakeEncoder(4096, 10);
    absl::Status s = e.OnDecoderStreamData("\x3f" + std::string(20, '\xff'));
    REQUIRE_FALSE(s.ok());
    CHECK(GetQpackErrorCode(s) == 0x202);
  }
  {
    // Split anywhere is fine; cancelling an unknown stream is fine.
    Encoder e = MakeEncoder(4096, 10);
    e.EncodeFieldSection(300, Request(1));
    std::string acks;
    AppendPrefixInt(0x80, 7, 300, &acks);
    AppendPrefixInt(0x40, 6, 999, &acks);
    for (char c : acks) REQUIRE(e.OnDecoderStreamData(std::string(1, c)).ok());
    CHECK(e.BlockingStreamCount() == 0);
  }
}

TEST_CASE("Stream Cancellation releases references so entries can be evicted") {
  Encoder e = MakeEncoder(128, 10);
  Decoder d = MakeDecoder(128, 10);
  // Seen twice, so inserted and referenced; unacknowledged.
  e.EncodeFieldSection(0, {{"x-a", "1"}, {"x-a", "1"}});
  REQUIRE(e.table().insert_count() == 1);
  REQUIRE(d.OnEncoderStreamData(e.TakeEncoderStreamData()).ok());
  REQUIRE(e.OnDecoderStreamData(d.TakeDecoderStreamData()).ok());  // Insert Count Increment
  CHECK(e.BlockingStreamCount() == 0);
  const uint64_t before = e.table().insert_count();
  // The referenced entry blocks its eviction: more inserts are refused (literals instead).
  for (int i = 0; i < 4; ++i) {
    const HeaderField f{"x-b" + std::to_string(i), "2"};
    e.EncodeFieldSection(4, {f, f});
  }
  CHECK(e.table().Get(0) != nullptr);
  std::string cancel;
  AppendPrefixInt(0x40, 6, 0, &cancel);
  REQUIRE(e.OnDecoderStreamData(cancel).ok());
  REQUIRE(d.OnEncoderStreamData(e.TakeEncoderStreamData()).ok());
  REQUIRE(e.OnDecoderStreamData(d.TakeDecoderStreamData()).ok());
  // Stream 4 holds references too; cancel it and the table can turn over.
  std::string cancel4;
  AppendPrefixInt(0x40, 6, 4, &cancel4);
  REQUIRE(e.OnDecoderStreamData(cancel4).ok());
  for (int i = 0; i < 4; ++i) {
    const HeaderField f{"x-c" + std::to_string(i), "3"};
    e.EncodeFieldSection(8, {f, f});
  }
  CHECK(e.table().insert_count() > before);
  CHECK(e.table().Get(0) == nullptr);
}

TEST_CASE("a peer that never acknowledges cannot grow the encoder's state without bound") {
  EncoderConfig c;
  c.max_table_capacity = 4096;
  c.insert_first_sight_if_referenceable = true;
  c.max_outstanding_sections = 8;
  Encoder e(c);
  e.OnPeerSettings(4096, 1000);
  Decoder d = MakeDecoder(4096, 1000);
  int with_references = 0;
  for (int i = 0; i < 40; ++i) {
    const std::string section = e.EncodeFieldSection(4 * static_cast<uint64_t>(i), Request(1));
    with_references += section[0] != 0;
    REQUIRE(d.OnEncoderStreamData(e.TakeEncoderStreamData()).ok());
    auto r = d.DecodeFieldSection(4 * static_cast<uint64_t>(i), section);
    REQUIRE(r.ok());
    REQUIRE(r->has_value());
    CHECK(**r == Request(1));
  }
  CHECK(with_references == 8);
}

}  // namespace
}  // namespace kite::http3::qpack
