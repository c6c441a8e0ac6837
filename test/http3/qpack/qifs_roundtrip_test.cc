// Encodes every QIF with kite's encoder at several settings, decodes the result with kite's
// decoder, and reports the compression ratio per setting.
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "test/http3/qpack/qifs_data.h"
#include "tools/qpack/encoded_file.h"
#include "tools/qpack/interop_codec.h"

namespace kite::http3::qpack {
namespace {

using testing::ListFiles;
using testing::LoadQif;
using testing::QifsDir;
using tools::qpack::DecodeRecords;
using tools::qpack::EncodeLists;
using tools::qpack::InteropSettings;
using tools::qpack::ParseEncodedFile;

std::vector<std::string> QifNames() {
  std::vector<std::string> names;
  for (const std::string& f : ListFiles(QifsDir() + "/qifs")) {
    if (f.size() > 4 && f.substr(f.size() - 4) == ".qif")
      names.push_back(f.substr(0, f.size() - 4));
  }
  return names;
}

struct Totals {
  uint64_t plain = 0, sections = 0, encoder_stream = 0, fb_req = 0;
  uint64_t total() const { return sections + encoder_stream; }
};

// Encodes every QIF at one setting, decodes it back and checks the lists.
Totals RoundTrip(const std::vector<std::string>& names, const InteropSettings& settings) {
  Totals t;
  for (const std::string& name : names) {
    INFO(name << " table " << settings.table_size << " blocked " << settings.max_blocked << " ack "
              << settings.immediate_ack);
    const std::vector<HeaderList>& lists = LoadQif(name);
    REQUIRE(!lists.empty());
    auto encoded = EncodeLists(lists, settings);
    REQUIRE(encoded.ok());
    t.plain += encoded->plain_bytes;
    t.sections += encoded->section_bytes;
    t.encoder_stream += encoded->encoder_stream_bytes;
    if (name == "fb-req") t.fb_req = encoded->file.size();
    auto records = ParseEncodedFile(encoded->file);
    REQUIRE(records.ok());
    auto decoded = DecodeRecords(*records, settings);
    REQUIRE(decoded.ok());
    REQUIRE(decoded->size() == lists.size());
    for (size_t i = 0; i < lists.size(); ++i) {
      REQUIRE((*decoded)[i].stream_id == i + 1);
      REQUIRE((*decoded)[i].headers == lists[i]);
    }
  }
  return t;
}

// Round-trips every QIF at the four (blocked, ack) combinations for one table size and
// prints the compression ratio: (section bytes + encoder-stream bytes) / (name + value bytes).
void CheckTableSize(uint64_t table) {
  const std::vector<std::string> names = QifNames();
  REQUIRE(names.size() == 7);
  const Totals static_only = RoundTrip(names, InteropSettings{0, 0, false});
  std::printf("%-6s %-7s %-3s %10s %10s %10s %7s %9s\n", "table", "blocked", "ack", "plain",
              "sections", "enc-strm", "ratio", "fb-req");
  for (uint64_t blocked : {0, 100}) {
    for (bool ack : {false, true}) {
      const Totals t = RoundTrip(names, InteropSettings{table, blocked, ack});
      std::printf("%-6llu %-7llu %-3d %10llu %10llu %10llu %7.3f %9llu\n",
                  static_cast<unsigned long long>(table), static_cast<unsigned long long>(blocked),
                  ack ? 1 : 0, static_cast<unsigned long long>(t.plain),
                  static_cast<unsigned long long>(t.sections),
                  static_cast<unsigned long long>(t.encoder_stream),
                  static_cast<double>(t.total()) / static_cast<double>(t.plain),
                  static_cast<unsigned long long>(t.fb_req));
      if (table == 0) {
        CHECK(t.encoder_stream == 0);
        CHECK(t.total() == static_only.total());
      } else if (blocked > 0 || ack) {
        // With references allowed the dynamic table must pay for itself.
        CHECK(t.total() < static_only.total());
      } else {
        // Nothing can ever be referenced (no acknowledgments, no blocking): the inserts made
        // in the hope of an acknowledgment fill at most one table per file.
        CHECK(t.total() <= static_only.total() + table * names.size());
      }
    }
  }
  std::fflush(stdout);
}

TEST_CASE("QIFs round-trip with no dynamic table", "[table0]") { CheckTableSize(0); }
TEST_CASE("QIFs round-trip with a 256-byte table", "[table256]") { CheckTableSize(256); }
TEST_CASE("QIFs round-trip with a 4096-byte table", "[table4096]") { CheckTableSize(4096); }

}  // namespace
}  // namespace kite::http3::qpack
