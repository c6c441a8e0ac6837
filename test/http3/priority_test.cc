// The Priority field value (RFC 9218 §4, §5) as a structured-field dictionary.
#include <catch2/catch.hpp>

#include "http3/priority.h"

namespace kite::http3 {
namespace {

TEST_CASE("Priority values parse per RFC 9218", "[http3][priority]") {
  struct Case {
    const char* value;
    std::optional<PriorityParams> expect;
  };
  std::vector<Case> cases = {
      {"", PriorityParams{3, false}},
      {"u=0", PriorityParams{0, false}},
      {"u=7, i", PriorityParams{7, true}},
      {"i, u=5", PriorityParams{5, true}},
      {"i=?0, u=1", PriorityParams{1, false}},
      {"i=?1", PriorityParams{3, true}},
      {"u=8", PriorityParams{3, false}},          // out of range: ignored (§4.1)
      {"u=-1", PriorityParams{3, false}},
      {"u=2.5", PriorityParams{3, false}},        // wrong type: ignored
      {"u=\"1\"", PriorityParams{3, false}},
      {"foo=bar, u=2", PriorityParams{2, false}},  // unknown key: ignored
      {"u=1;x=2, i", PriorityParams{1, true}},     // parameters skipped
      {"  u=4  ", PriorityParams{4, false}},
      {"U=1", std::nullopt},                       // keys are lowercase
      {"u=1,", std::nullopt},                      // trailing comma
      {"u=", std::nullopt},
      {"i=?2", std::nullopt},
      {"u=1 i", std::nullopt},
  };
  for (const Case& c : cases) {
    INFO(c.value);
    CHECK(ParsePriorityFieldValue(c.value) == c.expect);
  }
  CHECK_FALSE(ParsePriorityFieldValue(std::string(2000, 'a')).has_value());
}

TEST_CASE("Priority values serialize and parse back", "[http3][priority]") {
  for (uint8_t u = 0; u <= 7; ++u) {
    for (bool i : {false, true}) {
      PriorityParams p{u, i};
      CHECK(ParsePriorityFieldValue(SerializePriorityFieldValue(p)) == p);
    }
  }
  CHECK(SerializePriorityFieldValue(PriorityParams{}).empty());
}

}  // namespace
}  // namespace kite::http3
