#include "http3/qpack/encoder_instructions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kite::http3::qpack {
namespace {

std::string Unhex(const std::string& h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// RFC 9204 Appendix B.2-B.5 encoder-stream bytes.
TEST_CASE("RFC 9204 Appendix B encoder instructions") {
  const std::string stream = Unhex(
      "3fbd01"                                            // Set Dynamic Table Capacity = 220
      "c00f7777772e6578616d706c652e636f6d"                // Insert With Name Ref, static 0
      "c10c2f73616d706c652f70617468"                      // Insert With Name Ref, static 1
      "4a637573746f6d2d6b65790c637573746f6d2d76616c7565"  // Insert With Literal Name
      "02"                                                // Duplicate relative 2
      "810d637573746f6d2d76616c756532");                  // Insert With Name Ref, dynamic 1
  const std::vector<EncoderInstruction> expected = {
      SetDynamicTableCapacity{220},
      InsertWithNameReference{true, 0, "www.example.com"},
      InsertWithNameReference{true, 1, "/sample/path"},
      InsertWithLiteralName{"custom-key", "custom-value"},
      Duplicate{2},
      InsertWithNameReference{false, 1, "custom-value2"},
  };
  size_t pos = 0;
  for (const EncoderInstruction& want : expected) {
    EncoderInstruction got;
    REQUIRE(ParseEncoderInstruction(stream, &pos, 1000, &got) == ParseStatus::kOk);
    CHECK(got == want);
  }
  CHECK(pos == stream.size());
}

TEST_CASE("encoder instructions round-trip and truncate cleanly") {
  const std::vector<EncoderInstruction> all = {
      SetDynamicTableCapacity{0},
      SetDynamicTableCapacity{1u << 20},
      InsertWithNameReference{true, 98, "sameorigin!"},
      InsertWithNameReference{false, 1000, std::string(300, 'v')},
      InsertWithLiteralName{"x-name", ""},
      InsertWithLiteralName{std::string("\x00\xff", 2), "binary\x01"},
      Duplicate{0},
      Duplicate{123456},
  };
  for (const EncoderInstruction& instruction : all) {
    std::string bytes;
    AppendEncoderInstruction(instruction, &bytes);
    size_t pos = 0;
    EncoderInstruction got;
    REQUIRE(ParseEncoderInstruction(bytes, &pos, 1000, &got) == ParseStatus::kOk);
    CHECK(got == instruction);
    CHECK(pos == bytes.size());
    for (size_t n = 0; n < bytes.size(); ++n) {
      size_t p = 0;
      CHECK(ParseEncoderInstruction(bytes.substr(0, n), &p, 1000, &got) ==
            ParseStatus::kIncomplete);
      CHECK(p == 0);
    }
  }
  // Strings above the limit are errors.
  std::string bytes;
  AppendEncoderInstruction(InsertWithLiteralName{"n", std::string(50, 'v')}, &bytes);
  size_t pos = 0;
  EncoderInstruction got;
  CHECK(ParseEncoderInstruction(bytes, &pos, 49, &got) == ParseStatus::kError);
}

}  // namespace
}  // namespace kite::http3::qpack
