// Parses a qlog JSON-SEQ text into records for the qlog tests, failing the test on bad framing
// or JSON.
#ifndef KITE_TEST_QUIC_QLOG_QLOG_TEST_UTIL_H_
#define KITE_TEST_QUIC_QLOG_QLOG_TEST_UTIL_H_

#include <catch2/catch.hpp>

#include <string>
#include <string_view>
#include <vector>

#include "test/quic/qlog/json_checker.h"

namespace kite::quic::qlog::test {

inline std::vector<JsonValue> ParseRecords(std::string_view text) {
  std::string error;
  std::optional<std::vector<std::string_view>> recs = SplitJsonSeq(text, &error);
  INFO(error);
  REQUIRE(recs.has_value());
  std::vector<JsonValue> out;
  for (std::string_view r : *recs) {
    std::optional<JsonValue> v = JsonParser::Parse(r, &error);
    INFO(error << " in " << r);
    REQUIRE(v.has_value());
    REQUIRE(v->is_object());
    out.push_back(std::move(*v));
  }
  return out;
}

inline std::string NameOf(const JsonValue& record) {
  const JsonValue* n = record.Get("name");
  return n != nullptr && n->is_string() ? n->text : std::string();
}

}  // namespace kite::quic::qlog::test

#endif  // KITE_TEST_QUIC_QLOG_QLOG_TEST_UTIL_H_
