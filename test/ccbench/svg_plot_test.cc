#include <catch2/catch.hpp>

#include <string>

#include "tools/ccbench/svg_plot.h"

namespace kite::ccbench {
namespace {

size_t Count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t p = s.find(what); p != std::string::npos; p = s.find(what, p + 1)) ++n;
  return n;
}

TEST_CASE("nice ticks are 1-2-5 multiples covering the range", "[ccbench]") {
  std::vector<double> t = NiceTicks(0, 100, 5);
  REQUIRE(t.size() == 6);
  CHECK(t.front() == 0);
  CHECK(t.back() == Approx(100));
  CHECK(t[1] == Approx(20));
  std::vector<double> u = NiceTicks(0.13, 0.87, 4);
  CHECK(u.front() == Approx(0.2));
  CHECK(u.back() == Approx(0.8));
  CHECK(NiceTicks(1, 1, 5).empty());
}

TEST_CASE("a line plot draws one polyline and legend entry per series", "[ccbench]") {
  PlotSeries a{"flow <0>", {{0, 1}, {1, 2}, {2, 3}}};
  PlotSeries b{"flow 1", {{0, 3}, {2, 1}}};
  PlotOptions o;
  o.title = "RTT & cwnd";
  std::string svg = SvgPlot({a, b}, o);
  CHECK(svg.rfind("<svg ", 0) == 0);
  CHECK(svg.find("</svg>") != std::string::npos);
  CHECK(Count(svg, "<polyline") == 2);
  CHECK(svg.find("flow &lt;0&gt;") != std::string::npos);
  CHECK(svg.find("RTT &amp; cwnd") != std::string::npos);
  CHECK(svg.find(SeriesColor(1)) != std::string::npos);
}

TEST_CASE("a long legend label widens the chart instead of being clipped", "[ccbench]") {
  PlotOptions o;
  const std::string short_svg = SvgPlot({PlotSeries{"flow 0 (cubic)", {{0, 1}, {1, 2}}}}, o);
  CHECK(short_svg.find("width=\"760\"") != std::string::npos);
  const std::string label = "flow 0 (example_fixed_window_with_a_long_name)";  // 46 characters
  const std::string svg = SvgPlot({PlotSeries{label, {{0, 1}, {1, 2}}}}, o);
  size_t at = svg.find("width=\"");
  REQUIRE(at != std::string::npos);
  int width = std::stoi(svg.substr(at + 7));
  // The plot area keeps its size; the legend column holds ~6.5 px per character.
  CHECK(width >= 760 + static_cast<int>(46 * 6.5) + 24 - 150);
  CHECK(svg.find(label) != std::string::npos);
}

TEST_CASE("long series are thinned to the point budget", "[ccbench]") {
  PlotSeries a{"big", {}};
  for (int i = 0; i < 100000; ++i) a.points.emplace_back(i, i % 7);
  std::string svg = SvgPlot({a}, PlotOptions{});
  size_t start = svg.find("points=\"");
  REQUIRE(start != std::string::npos);
  size_t end = svg.find('"', start + 8);
  size_t pairs = Count(svg.substr(start, end - start), ",");
  CHECK(pairs <= kMaxPlotPointsPerSeries + 1);
  CHECK(pairs >= kMaxPlotPointsPerSeries / 2);
}

TEST_CASE("a scatter plot draws markers; an inverted axis puts large x on the left", "[ccbench]") {
  PlotSeries s{"cubic", {{10, 5}, {100, 5}}};
  PlotOptions o;
  o.scatter = true;
  o.invert_x = true;
  std::string svg = SvgPlot({s}, o);
  CHECK(Count(svg, "<circle") == 2);
  // The first marker (x = 10) is right of the second (x = 100).
  size_t c1 = svg.find("<circle cx=\"");
  size_t c2 = svg.find("<circle cx=\"", c1 + 1);
  double x1 = std::stod(svg.substr(c1 + 12));
  double x2 = std::stod(svg.substr(c2 + 12));
  CHECK(x1 > x2);
}

TEST_CASE("an empty plot says so", "[ccbench]") {
  std::string svg = SvgPlot({}, PlotOptions{});
  CHECK(svg.find("no data") != std::string::npos);
  CHECK(Count(svg, "<polyline") == 0);
}

}  // namespace
}  // namespace kite::ccbench
