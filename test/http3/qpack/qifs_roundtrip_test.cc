// Encodes every QIF with kite's encoder at several settings, decodes the result with kite's
// decoder, and reports the compression ratio per setting.
#include <cstdio>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

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
    if (f.size() > 4 && f.substr(f.size() - 4) == ".qif") names.push_back(f.substr(0, f.size() - 4));
  }
  return names;
}

TEST_CASE("every QIF round-trips through kite's encoder and decoder at every setting") {
  const std::vector<std::string> names = QifNames();
  REQUIRE(names.size() == 7);
  std::printf("%-6s %-7s %-3s %10s %10s %10s %7s %9s\n", "table", "blocked", "ack", "plain",
              "sections", "enc-strm", "ratio", "fb-req");
  uint64_t static_only_total = 0;
  for (uint64_t table : {0, 256, 4096}) {
    for (uint64_t blocked : {0, 100}) {
      for (bool ack : {false, true}) {
        InteropSettings settings{table, blocked, ack};
        uint64_t plain = 0, sections = 0, encoder_stream = 0, fb_req = 0;
        for (const std::string& name : names) {
          INFO(name << " table " << table << " blocked " << blocked << " ack " << ack);
          const std::vector<HeaderList> lists = LoadQif(name);
          REQUIRE(!lists.empty());
          auto encoded = EncodeLists(lists, settings);
          REQUIRE(encoded.ok());
          plain += encoded->plain_bytes;
          sections += encoded->section_bytes;
          encoder_stream += encoded->encoder_stream_bytes;
          if (name == "fb-req") fb_req = encoded->file.size();
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
        const uint64_t total = sections + encoder_stream;
        std::printf("%-6llu %-7llu %-3d %10llu %10llu %10llu %7.3f %9llu\n",
                    static_cast<unsigned long long>(table),
                    static_cast<unsigned long long>(blocked), ack ? 1 : 0,
                    static_cast<unsigned long long>(plain),
                    static_cast<unsigned long long>(sections),
                    static_cast<unsigned long long>(encoder_stream),
                    static_cast<double>(total) / static_cast<double>(plain),
                    static_cast<unsigned long long>(fb_req));
        if (table == 0) {
          CHECK(encoder_stream == 0);
          static_only_total = total;
        } else if (blocked > 0 || ack) {
          // With references allowed the dynamic table must pay for itself.
          CHECK(total < static_only_total);
        } else {
          // Nothing can ever be referenced (no acknowledgments, no blocking): the inserts made
          // in the hope of an acknowledgment fill at most one table per file.
          CHECK(total <= static_only_total + table * names.size());
        }
      }
    }
  }
  std::fflush(stdout);
}

}  // namespace
}  // namespace kite::http3::qpack
