#include <catch2/catch.hpp>

#include <sstream>
#include <string>

#include "test/ccbench/fake_result.h"
#include "tools/ccbench/markdown_writer.h"

namespace kite::ccbench {
namespace {

size_t Pipes(const std::string& line) {
  size_t n = 0;
  for (size_t i = 0; i < line.size(); ++i) {
    if (line[i] == '|' && (i == 0 || line[i - 1] != '\\')) ++n;
  }
  return n;
}

TEST_CASE("markdown tables have consistent columns and escaped pipes", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  std::vector<ScenarioSummary> s = {Summarize("a|b", "desc", test::FakeConfig(), r)};
  std::string md = SummaryMarkdown(s);
  CHECK(md.find("a\\|b") != std::string::npos);
  CHECK(md.find("| 10.00 | 90.0% |") != std::string::npos);
  CHECK(md.find("n/a") != std::string::npos);
  std::stringstream ss(md);
  size_t header_pipes = 0;
  int table_rows = 0;
  for (std::string line; std::getline(ss, line);) {
    if (line.empty() || line[0] != '|') {
      header_pipes = 0;
      continue;
    }
    if (header_pipes == 0) header_pipes = Pipes(line);
    CHECK(Pipes(line) == header_pipes);
    ++table_rows;
  }
  CHECK(table_rows == 2 + 1 + 2 + 2);  // two headers+separators, one scenario, two flows
}

}  // namespace
}  // namespace kite::ccbench
