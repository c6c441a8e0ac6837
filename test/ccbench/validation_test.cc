// The ccbench validation matrix: simulated behaviour checked against published figures.
//
// Built twice per row (test/ccbench/BUILD.bazel picks the row with a Catch2 tag): a light version
// in the default suite (short simulated runs at low rates so it stays fast, even under ASan) and,
// with KITE_CCBENCH_FULL_VALIDATION, the full version (tagged manual, run by
// tools/ccbench/validate.sh) at the rates, RTTs and durations the rows name.
// Every row prints "VALIDATION|row|measured|reference|tolerance|verdict" for the report.
//
// Every row REQUIREs its controllers to be registered (//congestion:all_controllers links them),
// so a controller that is not linked fails its rows rather than skipping them.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "congestion/registry.h"
#include "quic/sim/dumbbell.h"
#include "tools/ccbench/metrics.h"

namespace kite::ccbench {
namespace {

using quic::sim::DumbbellConfig;
using quic::sim::DumbbellFlowConfig;
using quic::sim::DumbbellResult;
using quic::sim::DumbbellSimulator;

#ifdef KITE_CCBENCH_FULL_VALIDATION
constexpr bool kFull = true;
#else
constexpr bool kFull = false;
#endif

// Under AddressSanitizer the connections run about 7x slower. There the rows simulate a fifth of
// the time, which still drives every code path (handshakes, losses, recovery, both controllers)
// for the sanitizer, but is too short for the statistics: the tolerance checks apply to plain
// builds only (tools/test.sh runs both), while a flow error or a crash fails everywhere.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kSanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif
#else
constexpr bool kSanitized = false;
#endif

// Simulated seconds for a row: the full figure, the light one, or a fifth of the light one under
// a sanitizer.
double Seconds(double full, double light) {
  if (kFull) return full;
  return kSanitized ? light / 5 : light;
}

// CHECK that holds the row to its tolerance, except in sanitizer builds (see above).
#define TOLERANCE_CHECK(cond) \
  do {                        \
    if (!kSanitized) CHECK(cond); \
  } while (0)

constexpr size_t kMss = 1200;

bool Registered(const std::string& name) {
  std::vector<std::string> names = congestion::RegisteredControllers();
  return std::find(names.begin(), names.end(), name) != names.end();
}

void Report(const std::string& row, const std::string& measured, const std::string& reference,
            const std::string& tolerance, bool pass) {
  std::printf("VALIDATION|%s|%s|%s|%s|%s\n", row.c_str(), measured.c_str(), reference.c_str(),
              tolerance.c_str(), pass ? "pass" : "FAIL");
  std::fflush(stdout);
}

std::string F(double v, int decimals = 2) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  return buf;
}

DumbbellConfig OneFlow(const std::string& cc, double rate_mbps, double rtt_ms, double buffer_bdp,
                       double seconds) {
  DumbbellConfig c;
  c.rate_bps = static_cast<uint64_t>(rate_mbps * 1e6);
  double bdp = rate_mbps * 1e6 / 8 * rtt_ms / 1000;
  c.buffer_bytes = std::max<size_t>(static_cast<size_t>(buffer_bdp * bdp), 2 * kMss);
  c.duration = absl::Milliseconds(static_cast<int64_t>(seconds * 1000));
  c.max_datagram_size = kMss;
  DumbbellFlowConfig f;
  f.congestion_controller = cc;
  f.rtt = absl::Microseconds(static_cast<int64_t>(rtt_ms * 1000));
  c.flows = {f};
  return c;
}

DumbbellResult MustRun(const DumbbellConfig& c) {
  DumbbellSimulator sim(c);
  absl::StatusOr<DumbbellResult> r = sim.Run();
  REQUIRE(r.ok());
  for (const quic::sim::FlowResult& f : r->flows) REQUIRE(f.error.empty());
  return std::move(*r);
}

// Mathis, Semke, Mahdavi, Ott, "The Macroscopic Behavior of the TCP Congestion Avoidance
// Algorithm", CCR 1997: BW = MSS / RTT * C / sqrt(p), C = sqrt(3/2).
double MathisMbps(double rtt_s, double p) {
  return kMss * 8.0 / rtt_s * std::sqrt(1.5) / std::sqrt(p) / 1e6;
}

void MathisRow(double loss) {
  // The link is several times faster than the formula's rate, so loss alone limits the flow.
  const double rtt_ms = kFull ? 100 : (loss >= 0.01 ? 20 : 50);
  const double rate = kFull ? 100 : 40;
  const double seconds = Seconds(300, 25);
  DumbbellConfig c = OneFlow("newreno", rate, rtt_ms, 1, seconds);
  c.loss = loss;
  c.sample_interval = absl::Milliseconds(50);
  c.keep_rtt_samples = false;
  double measured = 0, mathis = 0;
  // Average over seeds: one run's loss pattern moves the result by several percent.
  const int seeds = kFull ? 3 : 1;
  for (int s = 1; s <= seeds; ++s) {
    c.seed = static_cast<uint64_t>(s);
    DumbbellResult r = MustRun(c);
    const quic::sim::FlowResult& f = r.flows[0];
    // Steady state: skip the first fifth (slow start and its loss burst).
    measured += GoodputMbps(f, f.data_start + (f.data_end - f.data_start) / 5, f.data_end) / seeds;
    // The formula takes the path RTT the flow saw; queueing is small at these rates.
    absl::Duration srtt = f.samples.back().smoothed_rtt;
    mathis += MathisMbps(absl::ToDoubleSeconds(srtt), loss) / seeds;
  }
  double ratio = measured / mathis;
  // QUIC counts bytes, not packets, and its NewReno has no delayed-ACK halving of the growth
  // rate (RFC 9002 §7.3.3 grows by one datagram per cwnd acknowledged), so C = sqrt(3/2)
  // applies; timeouts and stream-frame overhead push below, the loss of a packet that is not a
  // new loss event (two in one RTT count once, RFC 9002 §7.3.2) pushes above.
  bool pass = ratio >= 0.7 && ratio <= 1.4;
  Report("NewReno goodput vs Mathis, loss " + F(100 * loss, 1) + "%, RTT " + F(rtt_ms, 0) + " ms",
         F(measured) + " Mbit/s (x" + F(ratio) + ")",
         "Mathis 1997: " + F(mathis) + " Mbit/s", "0.7-1.4x", pass);
  TOLERANCE_CHECK(ratio >= 0.7);
  TOLERANCE_CHECK(ratio <= 1.4);
}

TEST_CASE("NewReno steady-state goodput follows the Mathis formula at 0.1% loss", "[validation][mathis01]") {
  MathisRow(0.001);
}

TEST_CASE("NewReno steady-state goodput follows the Mathis formula at 1% loss", "[validation][mathis1]") {
  MathisRow(0.01);
}

// RFC 9438 §4.2, §4.3, §4.6, §4.7: after a reduction at window W (segments) the window is
// beta * W and then follows max(W_cubic(t), W_est(t)) with
//   W_cubic(t) = C (t - K)^3 + W_max,  K = cbrt((W_max - beta * W) / C),
//   W_est(t) = beta * W + alpha * t / RTT,  alpha = 3 (1 - beta) / (1 + beta),
// where W_max = W, or W (1 + beta) / 2 when W fell below the previous W_max (fast convergence).
TEST_CASE("CUBIC window growth follows the RFC 9438 response function", "[validation][cubic]") {
  const std::string row = "CUBIC cwnd vs RFC 9438 W_cubic";
  const std::string reference = "RFC 9438 §4.2-4.3 (C=0.4, beta=0.7)";
  REQUIRE(Registered("cubic"));
  const double rate = kFull ? 100 : 10, rtt_ms = kFull ? 100 : 40;
  DumbbellConfig c = OneFlow("cubic", rate, rtt_ms, 1, Seconds(90, 20));
  c.sample_interval = absl::Milliseconds(kFull ? 20 : 10);
  c.keep_rtt_samples = false;
  DumbbellResult r = MustRun(c);
  const std::vector<quic::sim::FlowSample>& s = r.flows[0].samples;
  constexpr double kC = 0.4, kBeta = 0.7, kAlpha = 3 * (1 - kBeta) / (1 + kBeta);
  std::vector<double> errors;
  double prev_wmax = 0;
  int epochs = 0;
  for (size_t i = 1; i < s.size(); ++i) {
    double before = static_cast<double>(s[i - 1].cwnd_bytes) / kMss;
    double after = static_cast<double>(s[i].cwnd_bytes) / kMss;
    if (before <= 0 || after > 0.85 * before) continue;
    // A reduction at sample i. Skip the first (the end of slow start, HyStart++ may shape it).
    double w = before;
    double wmax = (prev_wmax > 0 && w < prev_wmax) ? w * (1 + kBeta) / 2 : w;
    prev_wmax = wmax;
    if (++epochs == 1) continue;
    double k = std::cbrt(std::max(0.0, wmax - kBeta * w) / kC);
    absl::Duration t0 = s[i].t;
    for (size_t j = i + 1; j < s.size(); ++j) {
      double wj = static_cast<double>(s[j].cwnd_bytes) / kMss;
      double prev = static_cast<double>(s[j - 1].cwnd_bytes) / kMss;
      if (wj < 0.85 * prev) break;  // the next epoch
      double t = absl::ToDoubleSeconds(s[j].t - t0);
      double rtt = absl::ToDoubleSeconds(s[j].smoothed_rtt);
      if (t < 2 * rtt_ms / 1000) continue;  // recovery period
      double predicted = std::max(kC * std::pow(t - k, 3) + wmax, kBeta * w + kAlpha * t / rtt);
      errors.push_back(std::fabs(wj - predicted) / predicted);
    }
  }
  if (kSanitized && (epochs < 2 || errors.empty())) return;  // too short to see two epochs
  REQUIRE(epochs >= 2);
  REQUIRE_FALSE(errors.empty());
  std::nth_element(errors.begin(), errors.begin() + errors.size() / 2, errors.end());
  double median = errors[errors.size() / 2];
  bool pass = median <= 0.10;
  Report(row, "median relative error of cwnd vs W(t): " + F(100 * median, 1) + "% over " +
                  std::to_string(epochs - 1) + " epochs",
         reference, "<= 10%", pass);
  TOLERANCE_CHECK(median <= 0.10);
}

// True for the model-based controllers (BBRv3 and BBRv1), which do not take loss as their
// congestion signal and cap inflight near 2 BDP.
bool IsBbr(const std::string& cc) { return cc == "bbr" || cc == "bbr1"; }

// One flow at 1% random loss: BBR keeps the link busy, CUBIC is loss-limited.
void LossRow(const std::string& cc) {
  const std::string reference =
      cc == "bbr1" ? "BBRv1 (Cardwell et al. 2016): ignores random loss (high goodput to ~15%)"
                   : "BBR (Cardwell et al. 2016, ccwg-bbr): loss-agnostic up to ~2%";
  const double rate = kFull ? 100 : 10, rtt_ms = kFull ? 100 : 40;
  const double seconds = Seconds(60, 15);
  std::string row = cc + " utilization, 1% loss, " + F(rate, 0) + " Mbit/s, " + F(rtt_ms, 0) +
                    " ms";
  REQUIRE(Registered(cc));
  DumbbellConfig c = OneFlow(cc, rate, rtt_ms, 1, seconds);
  c.loss = 0.01;
  c.keep_rtt_samples = false;
  DumbbellResult r = MustRun(c);
  const quic::sim::FlowResult& f = r.flows[0];
  double util = GoodputMbps(f, f.data_start + (f.data_end - f.data_start) / 5, f.data_end) / rate;
  if (IsBbr(cc)) {
    Report(row, F(100 * util, 1) + "% of link", reference, ">= 80%", util >= 0.8);
    TOLERANCE_CHECK(util >= 0.8);
  } else {
    // Mathis bound for a Reno-like flow; CUBIC's Reno-friendly region sits near it.
    double bound = MathisMbps(rtt_ms / 1000, 0.01) / rate;
    Report(row, F(100 * util, 1) + "% of link", "loss-limited (Mathis: " + F(100 * bound, 1) + "%)",
           "< 50%", util < 0.5);
    TOLERANCE_CHECK(util < 0.5);
  }
}

TEST_CASE("at 1% random loss BBR keeps the link busy while CUBIC collapses", "[validation][loss]") {
  LossRow("bbr");
  LossRow("cubic");
}

TEST_CASE("at 1% random loss BBRv1 keeps the link busy", "[validation][loss_bbr1]") {
  LossRow("bbr1");
}

// A 10 BDP drop-tail buffer: loss-based controllers fill it, BBR stays near the min RTT.
void DeepBufferRow(const std::string& cc) {
  const double rate = kFull ? 100 : 5, rtt_ms = kFull ? 100 : 40;
  const double seconds = Seconds(60, 15);
  const double buffer_delay_ms = 10 * rtt_ms;  // a full 10 BDP queue drains in 10 RTTs
  {
    std::string row = cc + " queueing delay, 10 BDP drop-tail, " + F(rate, 0) + " Mbit/s, " +
                      F(rtt_ms, 0) + " ms";
    std::string reference = IsBbr(cc) ? "BBR: RTT near min RTT (inflight cap 2 BDP)"
                                        : "loss-based: fills buffer (" + F(buffer_delay_ms, 0) +
                                              " ms when full)";
    REQUIRE(Registered(cc));
    DumbbellConfig c = OneFlow(cc, rate, rtt_ms, 10, seconds);
    DumbbellResult r = MustRun(c);
    ScenarioSummary s = Summarize(row, "", c, r);
    double q = s.queueing_delay_ms;  // mean bottleneck sojourn over the whole run
    std::string measured = "queueing " + F(q, 0) + " ms mean, RTT p50 " + F(s.rtt_p50_ms, 0) +
                           " ms (min " + F(rtt_ms, 0) + ")";
    if (IsBbr(cc)) {
      bool pass = s.rtt_p50_ms <= 2.0 * rtt_ms;
      Report(row, measured, reference, "RTT p50 <= 2x min RTT", pass);
      TOLERANCE_CHECK(s.rtt_p50_ms <= 2.0 * rtt_ms);
    } else {
      bool pass = q >= 0.4 * buffer_delay_ms;
      Report(row, measured, reference, ">= 40% of full-buffer delay", pass);
      TOLERANCE_CHECK(q >= 0.4 * buffer_delay_ms);
    }
  }
}

TEST_CASE("NewReno fills a 10 BDP drop-tail buffer", "[validation][buffer_newreno]") {
  DeepBufferRow("newreno");
}

TEST_CASE("CUBIC fills a 10 BDP drop-tail buffer", "[validation][buffer_cubic]") {
  DeepBufferRow("cubic");
}

TEST_CASE("BBR keeps a 10 BDP drop-tail buffer nearly empty", "[validation][buffer_bbr]") {
  DeepBufferRow("bbr");
}

TEST_CASE("BBRv1 keeps a 10 BDP drop-tail buffer nearly empty", "[validation][buffer_bbr1]") {
  DeepBufferRow("bbr1");
}

// Two flows of the same algorithm share the bottleneck fairly.
void FairnessRow(const std::string& cc) {
  const double rate = kFull ? 50 : 8, rtt_ms = kFull ? 40 : 20;
  const double seconds = Seconds(120, 20);
  {
    std::string row = "2x " + cc + " fairness, " + F(rate, 0) + " Mbit/s, " + F(rtt_ms, 0) +
                      " ms, 1 BDP";
    std::string reference = "Jain index (Jain et al. 1984)";
    REQUIRE(Registered(cc));
    DumbbellConfig c = OneFlow(cc, rate, rtt_ms, 1, seconds);
    c.flows.push_back(c.flows[0]);
    c.flows[1].start = absl::Seconds(1);
    c.keep_rtt_samples = false;
    DumbbellResult r = MustRun(c);
    ScenarioSummary s = Summarize(row, "", c, r);
    Report(row,
           "Jain " + F(s.jain_index, 3) + " (" + F(s.flows[0].steady_goodput_mbps) + " / " +
               F(s.flows[1].steady_goodput_mbps) + " Mbit/s), convergence " +
               (s.convergence_time_s < 0 ? std::string("n/a") : F(s.convergence_time_s, 1) + " s"),
           reference, ">= 0.9", s.jain_index >= 0.9);
    TOLERANCE_CHECK(s.jain_index >= 0.9);
  }
}

TEST_CASE("two NewReno flows share fairly", "[validation][fairness_newreno]") {
  FairnessRow("newreno");
}

TEST_CASE("two CUBIC flows share fairly", "[validation][fairness_cubic]") { FairnessRow("cubic"); }

TEST_CASE("two BBR flows share fairly", "[validation][fairness_bbr]") { FairnessRow("bbr"); }

// Full validation only (see FULL_ONLY_VALIDATION_ROWS in BUILD.bazel).
TEST_CASE("two BBRv1 flows share fairly", "[validation][fairness_bbr1]") { FairnessRow("bbr1"); }

TEST_CASE("BBR against CUBIC at shallow and deep buffers (reported)", "[validation][mixed]") {
  const double rate = kFull ? 100 : 10, rtt_ms = kFull ? 100 : 40;
  const double seconds = Seconds(60, 12);
  for (double bdp : {0.5, 10.0}) {
    std::string row = "bbr vs cubic, " + F(bdp, 1) + " BDP drop-tail";
    std::string reference = "reported (Ware et al. IMC 2019: BBR share depends on buffer)";
    REQUIRE(Registered("bbr"));
    REQUIRE(Registered("cubic"));
    DumbbellConfig c = OneFlow("bbr", rate, rtt_ms, bdp, seconds);
    DumbbellFlowConfig cubic = c.flows[0];
    cubic.congestion_controller = "cubic";
    c.flows.push_back(cubic);
    c.keep_rtt_samples = false;
    DumbbellResult r = MustRun(c);
    ScenarioSummary s = Summarize(row, "", c, r);
    double bbr = s.flows[0].steady_goodput_mbps, cub = s.flows[1].steady_goodput_mbps;
    Report(row, "bbr " + F(bbr) + " / cubic " + F(cub) + " Mbit/s (bbr share " +
                    F(100 * bbr / std::max(1e-9, bbr + cub), 0) + "%), Jain " + F(s.jain_index, 3),
           reference, "both > 1% of link, utilization >= 80%",
           bbr > 0.01 * rate && cub > 0.01 * rate && s.utilization >= 0.8);
    TOLERANCE_CHECK(bbr > 0.01 * rate);
    TOLERANCE_CHECK(cub > 0.01 * rate);
    TOLERANCE_CHECK(s.utilization >= 0.8);
  }
}

}  // namespace
}  // namespace kite::ccbench
