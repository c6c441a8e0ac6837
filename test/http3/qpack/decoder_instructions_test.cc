#include "http3/qpack/decoder_instructions.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace kite::http3::qpack {
namespace {

// RFC 9204 Appendix B: 84 (Section Ack stream 4), 01 (Insert Count Increment 1),
// 48 (Stream Cancellation stream 8).
TEST_CASE("RFC 9204 Appendix B decoder instructions") {
  const std::string stream("\x84\x01\x48", 3);
  size_t pos = 0;
  DecoderInstruction got;
  REQUIRE(ParseDecoderInstruction(stream, &pos, &got) == ParseStatus::kOk);
  CHECK(got == DecoderInstruction(SectionAcknowledgment{4}));
  REQUIRE(ParseDecoderInstruction(stream, &pos, &got) == ParseStatus::kOk);
  CHECK(got == DecoderInstruction(InsertCountIncrement{1}));
  REQUIRE(ParseDecoderInstruction(stream, &pos, &got) == ParseStatus::kOk);
  CHECK(got == DecoderInstruction(StreamCancellation{8}));
  CHECK(ParseDecoderInstruction(stream, &pos, &got) == ParseStatus::kIncomplete);
}

TEST_CASE("decoder instructions round-trip and truncate cleanly") {
  const std::vector<DecoderInstruction> all = {
      SectionAcknowledgment{0},     SectionAcknowledgment{127}, SectionAcknowledgment{1ull << 40},
      StreamCancellation{63},       StreamCancellation{64},     InsertCountIncrement{1},
      InsertCountIncrement{100000},
  };
  for (const DecoderInstruction& instruction : all) {
    std::string bytes;
    AppendDecoderInstruction(instruction, &bytes);
    size_t pos = 0;
    DecoderInstruction got;
    REQUIRE(ParseDecoderInstruction(bytes, &pos, &got) == ParseStatus::kOk);
    CHECK(got == instruction);
    CHECK(pos == bytes.size());
    for (size_t n = 0; n < bytes.size(); ++n) {
      size_t p = 0;
      CHECK(ParseDecoderInstruction(bytes.substr(0, n), &p, &got) == ParseStatus::kIncomplete);
    }
  }
}

}  // namespace
}  // namespace kite::http3::qpack
