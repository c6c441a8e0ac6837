#include <catch2/catch.hpp>

#include <string>

#include "test/ccbench/fake_result.h"
#include "tools/ccbench/html_report.h"

namespace kite::ccbench {
namespace {

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST_CASE("the HTML report is self-contained with the scatter and three plots per run",
          "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  ScenarioSummary a = Summarize("with<plots>", "d", test::FakeConfig(), r);
  ScenarioSummary b = Summarize("summary-only", "d", test::FakeConfig(), r);
  std::string html = HtmlReport("t & t", {{a, &r}, {b, nullptr}});
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("t &amp; t") != std::string::npos);
  CHECK(html.find("with&lt;plots&gt;") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("src=") == std::string::npos);
  // One scatter + three time plots for the run that kept its result.
  CHECK(Count(html, "<svg ") == 4);
  CHECK(Count(html, "<circle") == 4);  // two flows per scenario, two scenarios
}

TEST_CASE("the throughput-delay scatter groups flows by controller", "[ccbench]") {
  quic::sim::DumbbellResult r = test::FakeResult();
  ScenarioSummary a = Summarize("a", "", test::FakeConfig(), r);
  std::vector<PlotSeries> s = ThroughputDelaySeries({{a, nullptr}, {a, nullptr}});
  REQUIRE(s.size() == 2);
  CHECK(s[0].label == "cubic");
  CHECK(s[1].label == "bbr");
  REQUIRE(s[0].points.size() == 2);
  CHECK(s[0].points[0].second == Approx(8.0));
  CHECK(s[0].points[0].first == Approx(a.flows[0].rtt_p95_ms));
}

}  // namespace
}  // namespace kite::ccbench
