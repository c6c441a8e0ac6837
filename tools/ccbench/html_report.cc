#include "tools/ccbench/html_report.h"

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "tools/ccbench/text_escape.h"

namespace kite::ccbench {
namespace {

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

std::string FlowLabel(const quic::sim::FlowResult& f, size_t i) {
  return absl::StrCat("flow ", i, " (", f.config.congestion_controller, ")");
}

void AppendTimePlots(const ReportScenario& rs, std::string* out) {
  const quic::sim::DumbbellResult& r = *rs.result;
  std::vector<PlotSeries> tput, rtt, cwnd;
  for (size_t i = 0; i < r.flows.size(); ++i) {
    const quic::sim::FlowResult& f = r.flows[i];
    PlotSeries t{FlowLabel(f, i), {}}, s{FlowLabel(f, i), {}}, c{FlowLabel(f, i), {}};
    for (const ThroughputPoint& p : ThroughputSeries(f, absl::Milliseconds(200))) {
      t.points.emplace_back(p.t_s, p.mbps);
    }
    for (const quic::sim::FlowSample& x : f.samples) {
      double ts = absl::ToDoubleSeconds(x.t);
      if (x.smoothed_rtt > absl::ZeroDuration()) {
        s.points.emplace_back(ts, absl::ToDoubleMilliseconds(x.smoothed_rtt));
      }
      c.points.emplace_back(ts, static_cast<double>(x.cwnd_bytes) / 1000.0);
    }
    tput.push_back(std::move(t));
    rtt.push_back(std::move(s));
    cwnd.push_back(std::move(c));
  }
  PlotOptions o;
  o.title = "Goodput (200 ms window)";
  o.x_label = "time (s)";
  o.y_label = "Mbit/s";
  absl::StrAppend(out, SvgPlot(tput, o));
  o.title = "Smoothed RTT";
  o.y_label = "ms";
  absl::StrAppend(out, SvgPlot(rtt, o));
  o.title = "Congestion window";
  o.y_label = "kB";
  absl::StrAppend(out, SvgPlot(cwnd, o));
}

}  // namespace

std::vector<PlotSeries> ThroughputDelaySeries(const std::vector<ReportScenario>& scenarios) {
  std::vector<PlotSeries> series;
  for (const ReportScenario& rs : scenarios) {
    for (const FlowSummary& f : rs.summary.flows) {
      auto it = std::find_if(series.begin(), series.end(),
                             [&](const PlotSeries& s) { return s.label == f.cc; });
      if (it == series.end()) {
        series.push_back(PlotSeries{f.cc, {}});
        it = series.end() - 1;
      }
      it->points.emplace_back(f.rtt_p95_ms, f.goodput_mbps);
    }
  }
  return series;
}

std::string HtmlReport(const std::string& title, const std::vector<ReportScenario>& scenarios) {
  std::string out = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>",
      HtmlEscape(title),
      "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
      "table{border-collapse:collapse;margin:1em 0;font-size:13px}"
      "td,th{border:1px solid #ccc;padding:3px 7px;text-align:right}"
      "td:first-child,th:first-child{text-align:left}svg{display:block;margin:0.5em 0}"
      "</style>\n</head>\n<body>\n<h1>",
      HtmlEscape(title), "</h1>\n");
  absl::StrAppend(&out,
                  "<h2>Summary</h2>\n<table>\n<tr><th>scenario</th><th>parameters</th>"
                  "<th>flows</th><th>goodput (Mbit/s)</th><th>utilization</th>"
                  "<th>RTT p50/p95/p99 (ms)</th><th>queueing delay (ms)</th>"
                  "<th>retransmitted</th><th>Jain</th><th>convergence (s)</th></tr>\n");
  for (const ReportScenario& rs : scenarios) {
    const ScenarioSummary& s = rs.summary;
    absl::StrAppend(&out, "<tr><td><a href=\"#", HtmlEscape(s.name), "\">", HtmlEscape(s.name),
                    "</a></td><td>", HtmlEscape(s.description), "</td><td>", s.flows.size(),
                    "</td><td>", Fixed(s.total_goodput_mbps, 2), "</td><td>",
                    Fixed(100 * s.utilization, 1), "%</td><td>", Fixed(s.rtt_p50_ms, 1), " / ",
                    Fixed(s.rtt_p95_ms, 1), " / ", Fixed(s.rtt_p99_ms, 1), "</td><td>",
                    Fixed(s.queueing_delay_ms, 1), "</td><td>",
                    Fixed(100 * s.retransmission_rate, 2), "%</td><td>", Fixed(s.jain_index, 3),
                    "</td><td>",
                    s.convergence_time_s < 0 ? std::string("n/a") : Fixed(s.convergence_time_s, 2),
                    "</td></tr>\n");
  }
  absl::StrAppend(&out, "</table>\n<h2>Throughput vs. delay</h2>\n");
  PlotOptions scatter;
  scatter.title = "Goodput vs. 95th-percentile RTT, one point per flow (delay axis reversed)";
  scatter.x_label = "RTT p95 (ms)";
  scatter.y_label = "goodput (Mbit/s)";
  scatter.scatter = true;
  scatter.invert_x = true;
  absl::StrAppend(&out, SvgPlot(ThroughputDelaySeries(scenarios), scatter));
  for (const ReportScenario& rs : scenarios) {
    const ScenarioSummary& s = rs.summary;
    absl::StrAppend(&out, "<h2 id=\"", HtmlEscape(s.name), "\">", HtmlEscape(s.name),
                    "</h2>\n<p>", HtmlEscape(s.description), "</p>\n<table>\n<tr><th>flow</th>"
                    "<th>cc</th><th>base RTT (ms)</th><th>goodput (Mbit/s)</th>"
                    "<th>RTT p50/p95/p99 (ms)</th><th>queueing delay (ms)</th>"
                    "<th>retransmitted</th><th>error</th></tr>\n");
    for (const FlowSummary& f : s.flows) {
      absl::StrAppend(&out, "<tr><td>", f.index, "</td><td>", HtmlEscape(f.cc), "</td><td>",
                      Fixed(f.base_rtt_ms, 1), "</td><td>", Fixed(f.goodput_mbps, 2),
                      "</td><td>", Fixed(f.rtt_p50_ms, 1), " / ", Fixed(f.rtt_p95_ms, 1), " / ",
                      Fixed(f.rtt_p99_ms, 1), "</td><td>", Fixed(f.queueing_delay_ms, 1),
                      "</td><td>", Fixed(100 * f.retransmission_rate, 2), "%</td><td>",
                      HtmlEscape(f.error), "</td></tr>\n");
    }
    absl::StrAppend(&out, "</table>\n");
    if (rs.result != nullptr) AppendTimePlots(rs, &out);
  }
  absl::StrAppend(&out, "</body>\n</html>\n");
  return out;
}

}  // namespace kite::ccbench
