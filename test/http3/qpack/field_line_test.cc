#include "http3/qpack/field_line.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kite::http3::qpack {
namespace {

bool Same(const FieldLine& a, const FieldLine& b) {
  return a.kind == b.kind && a.is_static == b.is_static && a.never_index == b.never_index &&
         a.index == b.index && a.name == b.name && a.value == b.value;
}

FieldLine Line(FieldLine::Kind kind, bool is_static, bool never_index, uint64_t index,
               std::string name, std::string value) {
  FieldLine l;
  l.kind = kind;
  l.is_static = is_static;
  l.never_index = never_index;
  l.index = index;
  l.name = std::move(name);
  l.value = std::move(value);
  return l;
}

TEST_CASE("section prefix: RFC 9204 Appendix B values and the sign bit") {
  // B.2: RIC 2, Base 0 -> 03 81 (MaxEntries 6 for a 220-byte table).
  std::string out;
  AppendFieldSectionPrefix(MakeFieldSectionPrefix(2, 0, 6), &out);
  CHECK(out == std::string("\x03\x81", 2));
  // B.4: RIC 4, Base 4 -> 05 00.
  out.clear();
  AppendFieldSectionPrefix(MakeFieldSectionPrefix(4, 4, 6), &out);
  CHECK(out == std::string("\x05\x00", 2));
  // No dynamic references: 00 00.
  out.clear();
  AppendFieldSectionPrefix(MakeFieldSectionPrefix(0, 0, 6), &out);
  CHECK(out == std::string("\x00\x00", 2));
  size_t pos = 0;
  FieldSectionPrefix p;
  REQUIRE(ParseFieldSectionPrefix(std::string("\x03\x81", 2), &pos, &p) == ParseStatus::kOk);
  CHECK(p.encoded_required_insert_count == 3);
  CHECK(p.sign);
  CHECK(p.delta_base == 1);
  pos = 0;
  CHECK(ParseFieldSectionPrefix(std::string("\x03", 1), &pos, &p) == ParseStatus::kIncomplete);
}

TEST_CASE("every representation round-trips and truncates cleanly") {
  using K = FieldLine::Kind;
  const std::vector<FieldLine> lines = {
      Line(K::kIndexed, true, false, 17, "", ""),
      Line(K::kIndexed, false, false, 200, "", ""),
      Line(K::kIndexedPostBase, false, false, 3, "", ""),
      Line(K::kIndexedPostBase, false, false, 300, "", ""),
      Line(K::kLiteralNameRef, true, false, 1, "", "/index.html"),
      Line(K::kLiteralNameRef, false, true, 40, "", "secret"),
      Line(K::kLiteralPostBaseNameRef, false, false, 0, "", "v"),
      Line(K::kLiteralPostBaseNameRef, false, true, 77, "", std::string(200, 'z')),
      Line(K::kLiteralName, false, false, 0, "custom-key", "custom-value"),
      Line(K::kLiteralName, false, true, 0, std::string(20, 'n'), ""),
  };
  for (const FieldLine& line : lines) {
    std::string bytes;
    AppendFieldLine(line, &bytes);
    size_t pos = 0;
    FieldLine got;
    REQUIRE(ParseFieldLine(bytes, &pos, 1000, &got) == ParseStatus::kOk);
    CHECK(Same(got, line));
    CHECK(pos == bytes.size());
    for (size_t n = 0; n < bytes.size(); ++n) {
      size_t p = 0;
      CHECK(ParseFieldLine(bytes.substr(0, n), &p, 1000, &got) == ParseStatus::kIncomplete);
    }
  }
}

TEST_CASE("RFC 9204 Appendix B.1 field line") {
  // 51 0b 2f696e6465782e68746d6c: literal with static name ref 1, "/index.html".
  const std::string bytes("\x51\x0b/index.html", 13);
  size_t pos = 0;
  FieldLine got;
  REQUIRE(ParseFieldLine(bytes, &pos, 1000, &got) == ParseStatus::kOk);
  CHECK(got.kind == FieldLine::Kind::kLiteralNameRef);
  CHECK(got.is_static);
  CHECK(got.index == 1);
  CHECK(got.value == "/index.html");
}

}  // namespace
}  // namespace kite::http3::qpack
