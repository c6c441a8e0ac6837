#include "tools/ccbench/svg_plot.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "absl/strings/str_cat.h"
#include "tools/ccbench/text_escape.h"

namespace kite::ccbench {
namespace {

constexpr int kLeft = 64;
constexpr int kRight = 150;  // room for the legend (grown for long labels)
// Legend text is 11 px sans-serif: about 6.5 px per character, generously.
constexpr double kLegendCharWidth = 6.5;
constexpr int kLegendTextX = 24;  // from the plot's right edge
constexpr int kTop = 30;
constexpr int kBottom = 44;

std::string Fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string TickLabel(double v) {
  char buf[32];
  if (v != 0 && (std::fabs(v) >= 1e6 || std::fabs(v) < 1e-3)) {
    std::snprintf(buf, sizeof(buf), "%.1e", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%g", v);
  }
  return buf;
}

}  // namespace

std::string SeriesColor(size_t i) {
  static const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                   "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
  return kPalette[i % (sizeof(kPalette) / sizeof(kPalette[0]))];
}

std::vector<double> NiceTicks(double lo, double hi, int target) {
  std::vector<double> ticks;
  if (!(hi > lo) || target < 1 || !std::isfinite(lo) || !std::isfinite(hi)) return ticks;
  double raw = (hi - lo) / target;
  double mag = std::pow(10.0, std::floor(std::log10(raw)));
  double step = mag;
  for (double m : {1.0, 2.0, 5.0, 10.0}) {
    if (m * mag >= raw) {
      step = m * mag;
      break;
    }
  }
  double first = std::ceil(lo / step - 1e-9) * step;
  for (double t = first; t <= hi + step * 1e-9; t += step) {
    ticks.push_back(std::fabs(t) < step * 1e-9 ? 0.0 : t);
    if (ticks.size() > 100) break;
  }
  return ticks;
}

std::string SvgPlot(const std::vector<PlotSeries>& series, const PlotOptions& o) {
  // A label longer than the legend column widens the chart rather than being clipped.
  size_t longest = 0;
  for (const PlotSeries& s : series) longest = std::max(longest, s.label.size());
  const int text_width =
      static_cast<int>(std::ceil(kLegendCharWidth * static_cast<double>(longest)));
  const int right = std::max(kRight, kLegendTextX + text_width + 8);
  const int w = std::max(o.width, kLeft + kRight + 50) + (right - kRight);
  const int h = std::max(o.height, kTop + kBottom + 50);
  const double pw = w - kLeft - right;
  const double ph = h - kTop - kBottom;
  std::string out = absl::StrCat(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"", w, "\" height=\"", h,
      "\" viewBox=\"0 0 ", w, " ", h,
      "\" font-family=\"sans-serif\" font-size=\"11\">\n<rect width=\"100%\" height=\"100%\" "
      "fill=\"white\"/>\n<text x=\"",
      w / 2, "\" y=\"18\" text-anchor=\"middle\" font-size=\"13\">", HtmlEscape(o.title),
      "</text>\n");
  double xmin = std::numeric_limits<double>::infinity(), xmax = -xmin;
  double ymin = xmin, ymax = -xmin;
  for (const PlotSeries& s : series) {
    for (const auto& [x, y] : s.points) {
      if (!std::isfinite(x) || !std::isfinite(y)) continue;
      xmin = std::min(xmin, x);
      xmax = std::max(xmax, x);
      ymin = std::min(ymin, y);
      ymax = std::max(ymax, y);
    }
  }
  if (!std::isfinite(xmin)) {
    absl::StrAppend(&out, "<text x=\"", w / 2, "\" y=\"", h / 2,
                    "\" text-anchor=\"middle\">no data</text>\n</svg>\n");
    return out;
  }
  if (o.y_from_zero && ymin > 0) ymin = 0;
  if (xmax == xmin) {
    xmin -= 1;
    xmax += 1;
  }
  if (ymax == ymin) ymax = ymin + 1;
  if (o.scatter) {
    // Margins so markers do not sit on the frame.
    double dx = (xmax - xmin) * 0.05, dy = (ymax - ymin) * 0.05;
    xmin -= dx;
    xmax += dx;
    if (!o.y_from_zero || ymin < 0) ymin -= dy;
    ymax += dy;
  } else {
    ymax += (ymax - ymin) * 0.05;
  }
  auto X = [&](double x) {
    double f = (x - xmin) / (xmax - xmin);
    if (o.invert_x) f = 1 - f;
    return kLeft + f * pw;
  };
  auto Y = [&](double y) { return kTop + (1 - (y - ymin) / (ymax - ymin)) * ph; };

  // Frame, grid and ticks.
  absl::StrAppend(&out, "<rect x=\"", kLeft, "\" y=\"", kTop, "\" width=\"", Fmt(pw),
                  "\" height=\"", Fmt(ph), "\" fill=\"none\" stroke=\"#333\"/>\n");
  for (double t : NiceTicks(xmin, xmax, 8)) {
    absl::StrAppend(&out, "<line x1=\"", Fmt(X(t)), "\" y1=\"", kTop, "\" x2=\"", Fmt(X(t)),
                    "\" y2=\"", Fmt(kTop + ph), "\" stroke=\"#ddd\"/><text x=\"", Fmt(X(t)),
                    "\" y=\"", Fmt(kTop + ph + 14), "\" text-anchor=\"middle\">", TickLabel(t),
                    "</text>\n");
  }
  for (double t : NiceTicks(ymin, ymax, 6)) {
    absl::StrAppend(&out, "<line x1=\"", kLeft, "\" y1=\"", Fmt(Y(t)), "\" x2=\"", Fmt(kLeft + pw),
                    "\" y2=\"", Fmt(Y(t)), "\" stroke=\"#ddd\"/><text x=\"", kLeft - 4, "\" y=\"",
                    Fmt(Y(t) + 4), "\" text-anchor=\"end\">", TickLabel(t), "</text>\n");
  }
  absl::StrAppend(&out, "<text x=\"", Fmt(kLeft + pw / 2), "\" y=\"", h - 8,
                  "\" text-anchor=\"middle\">", HtmlEscape(o.x_label), "</text>\n");
  absl::StrAppend(&out, "<text x=\"14\" y=\"", Fmt(kTop + ph / 2),
                  "\" text-anchor=\"middle\" transform=\"rotate(-90 14 ", Fmt(kTop + ph / 2),
                  ")\">", HtmlEscape(o.y_label), "</text>\n");

  for (size_t i = 0; i < series.size(); ++i) {
    const PlotSeries& s = series[i];
    const std::string color = SeriesColor(i);
    size_t n = s.points.size();
    size_t stride = n > kMaxPlotPointsPerSeries ? (n + kMaxPlotPointsPerSeries - 1) /
                                                      kMaxPlotPointsPerSeries
                                                : 1;
    if (o.scatter) {
      for (size_t j = 0; j < n; j += stride) {
        const auto& [x, y] = s.points[j];
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        absl::StrAppend(&out, "<circle cx=\"", Fmt(X(x)), "\" cy=\"", Fmt(Y(y)),
                        "\" r=\"4\" fill=\"", color, "\" fill-opacity=\"0.75\"><title>",
                        HtmlEscape(s.label), ": ", TickLabel(x), ", ", TickLabel(y),
                        "</title></circle>\n");
      }
    } else if (n > 0) {
      absl::StrAppend(&out, "<polyline fill=\"none\" stroke=\"", color,
                      "\" stroke-width=\"1.2\" points=\"");
      for (size_t j = 0; j < n; j += stride) {
        const auto& [x, y] = s.points[j];
        if (!std::isfinite(x) || !std::isfinite(y)) continue;
        absl::StrAppend(&out, Fmt(X(x)), ",", Fmt(Y(y)), " ");
      }
      if ((n - 1) % stride != 0) {
        absl::StrAppend(&out, Fmt(X(s.points[n - 1].first)), ",", Fmt(Y(s.points[n - 1].second)));
      }
      absl::StrAppend(&out, "\"/>\n");
    }
    // Legend entry.
    double ly = kTop + 10 + 16 * static_cast<double>(i);
    absl::StrAppend(&out, "<rect x=\"", Fmt(kLeft + pw + 10), "\" y=\"", Fmt(ly - 8),
                    "\" width=\"10\" height=\"10\" fill=\"", color, "\"/><text x=\"",
                    Fmt(kLeft + pw + kLegendTextX), "\" y=\"", Fmt(ly + 1), "\">",
                    HtmlEscape(s.label), "</text>\n");
  }
  absl::StrAppend(&out, "</svg>\n");
  return out;
}

}  // namespace kite::ccbench
