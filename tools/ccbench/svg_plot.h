// Self-contained SVG charts for the ccbench HTML report: line charts for time series and a
// scatter chart for the Pantheon-style throughput-vs-delay view (Yan et al., USENIX ATC 2018),
// whose delay axis runs right to left so that "better" is up and to the right.
#ifndef KITE_TOOLS_CCBENCH_SVG_PLOT_H_
#define KITE_TOOLS_CCBENCH_SVG_PLOT_H_

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace kite::ccbench {

// Points drawn per line at most; longer series are thinned evenly (first and last kept).
inline constexpr size_t kMaxPlotPointsPerSeries = 2000;

struct PlotSeries {
  std::string label;
  std::vector<std::pair<double, double>> points;  // (x, y)
};

struct PlotOptions {
  std::string title;
  std::string x_label;
  std::string y_label;
  int width = 760;
  int height = 320;
  bool scatter = false;   // markers instead of lines
  bool invert_x = false;  // larger x to the left
  bool y_from_zero = true;
};

// "Nice" tick positions (1, 2 or 5 times a power of ten) covering [lo, hi], about `target` many.
std::vector<double> NiceTicks(double lo, double hi, int target);

// An <svg> element (no XML prolog), text escaped. An empty chart says "no data".
std::string SvgPlot(const std::vector<PlotSeries>& series, const PlotOptions& options);

// The colour of the i-th series (a fixed palette, repeating).
std::string SeriesColor(size_t i);

}  // namespace kite::ccbench

#endif  // KITE_TOOLS_CCBENCH_SVG_PLOT_H_
