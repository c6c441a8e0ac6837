// Malformed and truncated input through the decoder and encoder: errors, never crashes.
#include <catch2/catch.hpp>
#include <random>
#include <string>
#include <vector>

#include "http3/qpack/decoder.h"
#include "http3/qpack/encoder.h"
#include "http3/qpack/qpack_error.h"
#include "test/http3/qpack/qifs_data.h"
#include "tools/qpack/encoded_file.h"

namespace kite::http3::qpack {
namespace {

using tools::qpack::EncodedRecord;

DecoderConfig Config() {
  DecoderConfig c;
  c.max_table_capacity = 4096;
  c.initial_table_capacity = 4096;
  c.max_blocked_streams = 100;
  return c;
}

bool IsQpackCode(const absl::Status& s) {
  const uint64_t code = GetQpackErrorCode(s);
  return code == 0x200 || code == 0x201 || code == 0x107 ||
         s.code() == absl::StatusCode::kResourceExhausted;
}

std::vector<EncodedRecord> LoadRecords(const std::string& path) {
  auto records = tools::qpack::ParseEncodedFile(testing::ReadFile(path));
  REQUIRE(records.ok());
  REQUIRE(!records->empty());
  return *records;
}

bool IsPrefixOf(const HeaderList& a, const HeaderList& b) {
  if (a.size() > b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Every field section of a real file, truncated at every offset, against the table state
// it was encoded for: an error, or a (shorter) prefix of the real header list when the cut
// falls between field lines.
TEST_CASE("field sections truncated at every offset") {
  const auto records =
      LoadRecords(testing::QifsDir() + "/encoded/qpack-05/ls-qpack/netbsd.out.4096.100.1");
  Decoder reference(Config());
  size_t sections = 0, errors = 0;
  for (const EncodedRecord& r : records) {
    if (r.stream_id == 0) {
      REQUIRE(reference.OnEncoderStreamData(r.data).ok());
      continue;
    }
    auto full = reference.DecodeFieldSection(r.stream_id, r.data);
    REQUIRE(full.ok());
    REQUIRE(full->has_value());
    ++sections;
    for (size_t cut = 0; cut < r.data.size(); ++cut) {
      // A fresh decoder with the same table: replay the encoder stream so far.
      Decoder d(Config());
      for (const EncodedRecord& e : records) {
        if (&e == &r) break;
        if (e.stream_id == 0) REQUIRE(d.OnEncoderStreamData(e.data).ok());
      }
      auto got = d.DecodeFieldSection(r.stream_id, r.data.substr(0, cut));
      if (!got.ok()) {
        CHECK(IsQpackCode(got.status()));
        ++errors;
        continue;
      }
      if (got->has_value()) CHECK(IsPrefixOf(**got, **full));
    }
  }
  CHECK(sections > 10);
  CHECK(errors > 0);
}

// The encoder stream of a real file fed with a cut at every offset: no error and no insert
// beyond the complete instructions before the cut, and the same table once the rest comes.
TEST_CASE("encoder stream truncated at every offset") {
  const auto records =
      LoadRecords(testing::QifsDir() + "/encoded/qpack-05/nghttp3/netbsd.out.4096.100.1");
  std::string stream;
  for (const EncodedRecord& r : records) {
    if (r.stream_id == 0) stream += r.data;
  }
  REQUIRE(stream.size() > 100);
  Decoder whole(Config());
  REQUIRE(whole.OnEncoderStreamData(stream).ok());
  uint64_t last_count = 0;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Decoder d(Config());
    REQUIRE(d.OnEncoderStreamData(stream.substr(0, cut)).ok());
    CHECK(d.table().insert_count() >= last_count);
    last_count = d.table().insert_count();
    REQUIRE(d.OnEncoderStreamData(stream.substr(cut)).ok());
    CHECK(d.table().insert_count() == whole.table().insert_count());
  }
}

TEST_CASE("random bytes through the decoder (seeded)") {
  std::mt19937 rng(20240601);
  int errors = 0;
  for (int round = 0; round < 4000; ++round) {
    Decoder d(Config());
    std::string bytes(rng() % 64, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    absl::Status s = d.OnEncoderStreamData(bytes);
    if (!s.ok()) {
      CHECK(IsQpackCode(s));
      ++errors;
    }
    for (int i = 0; i < 4; ++i) {
      std::string section(rng() % 48, '\0');
      for (char& c : section) c = static_cast<char>(rng());
      auto r = d.DecodeFieldSection(4 * static_cast<uint64_t>(i), section);
      if (!r.ok()) CHECK(IsQpackCode(r.status()));
    }
    d.TakeDecoderStreamData();
  }
  CHECK(errors > 0);
}

TEST_CASE("bit-flipped real records through the decoder (seeded)") {
  const auto records =
      LoadRecords(testing::QifsDir() + "/encoded/qpack-05/quinn/netbsd.out.4096.100.1");
  std::mt19937 rng(99);
  for (int round = 0; round < 300; ++round) {
    Decoder d(Config());
    for (EncodedRecord r : records) {
      if (!r.data.empty() && rng() % 4 == 0) {
        r.data[rng() % r.data.size()] ^= static_cast<char>(1u << (rng() % 8));
      }
      if (r.stream_id == 0) {
        absl::Status s = d.OnEncoderStreamData(r.data);
        if (!s.ok()) {
          CHECK(IsQpackCode(s));
          break;
        }
      } else {
        auto got = d.DecodeFieldSection(r.stream_id, r.data);
        if (!got.ok()) {
          CHECK(IsQpackCode(got.status()));
          break;
        }
      }
    }
  }
}

TEST_CASE("random bytes through the encoder's decoder-stream handler (seeded)") {
  std::mt19937 rng(3);
  int errors = 0;
  for (int round = 0; round < 2000; ++round) {
    EncoderConfig c;
    Encoder e(c);
    e.OnPeerSettings(4096, 100);
    for (int i = 0; i < 3; ++i) {
      e.EncodeFieldSection(static_cast<uint64_t>(i), {{"x-a", std::to_string(rng() % 3)},
                                                      {"x-a", std::to_string(rng() % 3)}});
    }
    std::string bytes(rng() % 16, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    absl::Status s = e.OnDecoderStreamData(bytes);
    if (!s.ok()) {
      CHECK(GetQpackErrorCode(s) == 0x202);
      ++errors;
    }
  }
  CHECK(errors > 0);
}

}  // namespace
}  // namespace kite::http3::qpack
