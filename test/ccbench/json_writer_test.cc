#include <catch2/catch.hpp>

#include <string>

#include "test/ccbench/fake_result.h"
#include "tools/ccbench/json_writer.h"

namespace kite::ccbench {
namespace {

// Checks bracket balance outside strings and that strings are closed: a cheap well-formedness
// test for the writer's output.
bool Balanced(const std::string& s) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (static_cast<unsigned char>(c) < 0x20) {
        return false;
      }
      continue;
    }
    if (c == '"') in_string = true;
    if (c == '{' || c == '[') ++depth;
    if (c == '}' || c == ']') {
      if (--depth < 0) return false;
    }
  }
  return depth == 0 && !in_string;
}

TEST_CASE("summary JSON is well formed and carries the figures", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  r.flows[1].error = "idle \"timeout\"\n";
  std::vector<ScenarioSummary> s = {Summarize("one", "x", test::FakeConfig(), r)};
  std::string j = SummaryJson(s);
  CHECK(Balanced(j));
  CHECK(j.find("\"name\": \"one\"") != std::string::npos);
  CHECK(j.find("\"goodput_mbps\": 10,") != std::string::npos);
  CHECK(j.find("\"utilization\": 0.9,") != std::string::npos);
  CHECK(j.find("\"convergence_time_s\": null") != std::string::npos);
  CHECK(j.find("\"error\": \"idle \\\"timeout\\\"\\n\"") != std::string::npos);
  CHECK(j.find("\"error\": null") != std::string::npos);
}

TEST_CASE("an empty summary list is an empty array", "[ccbench]") {
  std::string j = SummaryJson({});
  CHECK(Balanced(j));
  CHECK(j.find("\"scenarios\": []") != std::string::npos);
}

}  // namespace
}  // namespace kite::ccbench
