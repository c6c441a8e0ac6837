#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "test/ccbench/fake_result.h"
#include "tools/ccbench/csv_writer.h"

namespace kite::ccbench {
namespace {

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string l; std::getline(ss, l);) out.push_back(l);
  return out;
}

size_t Fields(const std::string& line) {
  size_t n = 1;
  bool quoted = false;
  for (char c : line) {
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) ++n;
  }
  return n;
}

TEST_CASE("time series CSV has one row per sample with a constant column count", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  std::vector<std::string> lines = Lines(TimeSeriesCsv("a,b", r));
  size_t samples = r.flows[0].samples.size() + r.flows[1].samples.size();
  REQUIRE(lines.size() == samples + 1);
  const size_t cols = Fields(lines[0]);
  CHECK(cols == 14);
  for (const std::string& l : lines) CHECK(Fields(l) == cols);
  // The scenario name with a comma is quoted; throughput between samples is 8 Mbit/s.
  CHECK(lines[2].rfind("\"a,b\",0,cubic,0.1,8,10000,", 0) == 0);
}

TEST_CASE("summary CSVs carry one row per scenario and per flow", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  std::vector<ScenarioSummary> s = {Summarize("one", "x, y", test::FakeConfig(), r),
                                    Summarize("two", "z", test::FakeConfig(), r)};
  std::vector<std::string> lines = Lines(SummaryCsv(s));
  REQUIRE(lines.size() == 3);
  CHECK(Fields(lines[0]) == 15);
  CHECK(Fields(lines[1]) == 15);
  CHECK(lines[1].rfind("one,\"x, y\",2,10,50000,10,0.9,", 0) == 0);
  // Convergence never reached: an empty last field.
  CHECK(lines[1].back() == ',');
  std::vector<std::string> flows = Lines(FlowSummaryCsv(s));
  REQUIRE(flows.size() == 5);
  CHECK(flows[2].rfind("one,1,bbr,40,2,10,2,", 0) == 0);
  for (const std::string& l : flows) CHECK(Fields(l) == 16);
}

}  // namespace
}  // namespace kite::ccbench
