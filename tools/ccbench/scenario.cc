#include "tools/ccbench/scenario.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kite::ccbench {
namespace {

using quic::sim::DumbbellConfig;
using quic::sim::DumbbellFlowConfig;

const char* const kKeys[] = {"name",       "cc",          "flows",         "rate_mbps",
                             "rtt_ms",     "buffer_bdp",  "buffer_bytes",  "aqm",
                             "codel_target_ms", "codel_interval_ms", "loss", "reverse_loss",
                             "jitter_ms",  "reorder",     "reorder_delay_ms", "ack_aggregation_ms",
                             "rate_schedule", "start_s",  "stop_s",        "duration_s",
                             "seed",       "sample_ms",   "datagram_size", "streams"};

absl::Status Bad(const std::string& key, const std::string& value) {
  return absl::InvalidArgumentError(absl::StrCat("bad value for ", key, ": \"", value, "\""));
}

bool ParseDouble(const std::string& s, double* out) {
  if (s.empty()) return false;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return false;
  *out = v;
  return true;
}

bool ParseUint(const std::string& s, uint64_t* out) {
  if (s.empty() || s[0] == '-') return false;
  char* end = nullptr;
  unsigned long long v = std::strtoull(s.c_str(), &end, 10);
  if (end != s.c_str() + s.size()) return false;
  *out = v;
  return true;
}

std::vector<std::string> List(const std::string& s) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(s, ',')) {
    std::string p(absl::StripAsciiWhitespace(part));
    if (!p.empty()) out.push_back(p);
  }
  return out;
}

absl::Status DoubleList(const ScenarioOptions& o, const std::string& key, double lo, double hi,
                        std::vector<double>* out) {
  auto it = o.find(key);
  if (it == o.end()) return absl::OkStatus();
  out->clear();
  for (const std::string& p : List(it->second)) {
    double v;
    if (!ParseDouble(p, &v) || v < lo || v > hi) return Bad(key, it->second);
    out->push_back(v);
  }
  if (out->empty()) return Bad(key, it->second);
  return absl::OkStatus();
}

absl::Status GetDouble(const ScenarioOptions& o, const std::string& key, double lo, double hi,
                       double* out) {
  auto it = o.find(key);
  if (it == o.end()) return absl::OkStatus();
  double v;
  if (!ParseDouble(it->second, &v) || v < lo || v > hi) return Bad(key, it->second);
  *out = v;
  return absl::OkStatus();
}

std::string Trim(double v) {
  std::string s = absl::StrCat(v);
  return s;
}

}  // namespace

absl::Status ParseScenarioText(std::string_view text, ScenarioOptions* options) {
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(absl::string_view(text.data(), text.size()), '\n')) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    size_t eq = l.find('=');
    if (eq == absl::string_view::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_no, ": expected key=value, got \"", std::string(l), "\""));
    }
    std::string key(absl::StripAsciiWhitespace(l.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(l.substr(eq + 1)));
    (*options)[key] = value;
  }
  return absl::OkStatus();
}

std::string DescribeScenario(const DumbbellConfig& c) {
  std::vector<std::string> ccs;
  for (const DumbbellFlowConfig& f : c.flows) ccs.push_back(f.congestion_controller);
  std::string cc_text;
  // "cubic x2" for identical flows, "cubic+bbr" otherwise.
  if (std::all_of(ccs.begin(), ccs.end(), [&](const std::string& s) { return s == ccs[0]; })) {
    cc_text = absl::StrCat(ccs[0], " x", ccs.size());
  } else {
    for (size_t i = 0; i < ccs.size(); ++i) absl::StrAppend(&cc_text, i ? "+" : "", ccs[i]);
  }
  absl::Duration max_rtt = absl::ZeroDuration();
  for (const DumbbellFlowConfig& f : c.flows) max_rtt = std::max(max_rtt, f.rtt);
  double bdp = static_cast<double>(c.rate_bps) / 8 * absl::ToDoubleSeconds(max_rtt);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.2g", bdp > 0 ? static_cast<double>(c.buffer_bytes) / bdp : 0);
  std::string out = absl::StrCat(cc_text, ", ", Trim(static_cast<double>(c.rate_bps) / 1e6),
                                 " Mbit/s, RTT ", Trim(absl::ToDoubleMilliseconds(max_rtt)),
                                 " ms, buffer ", buf, " BDP ",
                                 c.queue == quic::sim::QueueKind::kCoDel ? "codel" : "droptail");
  if (c.loss > 0) absl::StrAppend(&out, ", loss ", Trim(100 * c.loss), "%");
  if (c.reverse_loss > 0) absl::StrAppend(&out, ", ACK loss ", Trim(100 * c.reverse_loss), "%");
  if (c.jitter > absl::ZeroDuration()) {
    absl::StrAppend(&out, ", jitter ", Trim(absl::ToDoubleMilliseconds(c.jitter)), " ms");
  }
  if (c.reorder_probability > 0) {
    absl::StrAppend(&out, ", reorder ", Trim(100 * c.reorder_probability), "%");
  }
  if (c.ack_aggregation > absl::ZeroDuration()) {
    absl::StrAppend(&out, ", ACK aggregation ", Trim(absl::ToDoubleMilliseconds(c.ack_aggregation)),
                    " ms");
  }
  if (!c.rate_schedule.empty()) absl::StrAppend(&out, ", rate schedule");
  return out;
}

absl::StatusOr<Scenario> BuildScenario(const ScenarioOptions& o) {
  for (const auto& [key, value] : o) {
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown scenario key: ", key));
    }
  }
  Scenario s;
  s.name = o.count("name") ? o.at("name") : "scenario";
  DumbbellConfig& c = s.config;
  std::vector<std::string> ccs = {"newreno"};
  if (o.count("cc")) {
    ccs = List(o.at("cc"));
    if (ccs.empty()) return Bad("cc", o.at("cc"));
  }
  std::vector<double> rtts = {100}, starts = {0}, stops;
  absl::Status st;
  if (!(st = DoubleList(o, "rtt_ms", 0.001, 10000, &rtts)).ok()) return st;
  if (!(st = DoubleList(o, "start_s", 0, 86400, &starts)).ok()) return st;
  if (!(st = DoubleList(o, "stop_s", 0, 86400, &stops)).ok()) return st;
  size_t n = std::max({ccs.size(), rtts.size(), starts.size(), stops.size()});
  if (o.count("flows")) {
    uint64_t v;
    if (!ParseUint(o.at("flows"), &v) || v == 0 || v > quic::sim::kMaxDumbbellFlows) {
      return Bad("flows", o.at("flows"));
    }
    n = v;
  }
  absl::Duration max_rtt = absl::ZeroDuration();
  for (size_t i = 0; i < n; ++i) {
    DumbbellFlowConfig f;
    f.congestion_controller = ccs[i % ccs.size()];
    f.rtt = absl::Microseconds(std::llround(rtts[i % rtts.size()] * 1000));
    f.start = absl::Milliseconds(std::llround(starts[i % starts.size()] * 1000));
    if (!stops.empty()) f.stop = absl::Milliseconds(std::llround(stops[i % stops.size()] * 1000));
    max_rtt = std::max(max_rtt, f.rtt);
    c.flows.push_back(f);
  }
  double rate_mbps = 100;
  if (!(st = GetDouble(o, "rate_mbps", 0.001, 100000, &rate_mbps)).ok()) return st;
  c.rate_bps = static_cast<uint64_t>(std::llround(rate_mbps * 1e6));
  double bdp_bytes = rate_mbps * 1e6 / 8 * absl::ToDoubleSeconds(max_rtt);
  double buffer_bdp = 1;
  if (!(st = GetDouble(o, "buffer_bdp", 0.0001, 1000, &buffer_bdp)).ok()) return st;
  c.buffer_bytes = static_cast<size_t>(std::llround(buffer_bdp * bdp_bytes));
  if (o.count("buffer_bytes")) {
    uint64_t v;
    if (!ParseUint(o.at("buffer_bytes"), &v)) return Bad("buffer_bytes", o.at("buffer_bytes"));
    c.buffer_bytes = v;
  }
  if (o.count("aqm")) {
    const std::string& a = o.at("aqm");
    if (a == "droptail") {
      c.queue = quic::sim::QueueKind::kDropTail;
    } else if (a == "codel") {
      c.queue = quic::sim::QueueKind::kCoDel;
    } else {
      return Bad("aqm", a);
    }
  }
  double v = 0;
  struct DurationKey {
    const char* key;
    absl::Duration* field;
    double scale_ms;  // milliseconds per unit of the key
  };
  for (const DurationKey& k :
       {DurationKey{"codel_target_ms", &c.codel_target, 1},
        DurationKey{"codel_interval_ms", &c.codel_interval, 1},
        DurationKey{"jitter_ms", &c.jitter, 1}, DurationKey{"reorder_delay_ms", &c.reorder_delay, 1},
        DurationKey{"ack_aggregation_ms", &c.ack_aggregation, 1},
        DurationKey{"duration_s", &c.duration, 1000}, DurationKey{"sample_ms", &c.sample_interval, 1}}) {
    if (!o.count(k.key)) continue;
    if (!(st = GetDouble(o, k.key, 0, 1e8, &v)).ok()) return st;
    *k.field = absl::Microseconds(std::llround(v * k.scale_ms * 1000));
  }
  if (!(st = GetDouble(o, "loss", 0, 1, &c.loss)).ok()) return st;
  if (!(st = GetDouble(o, "reverse_loss", 0, 1, &c.reverse_loss)).ok()) return st;
  if (!(st = GetDouble(o, "reorder", 0, 1, &c.reorder_probability)).ok()) return st;
  if (o.count("seed") && !ParseUint(o.at("seed"), &c.seed)) return Bad("seed", o.at("seed"));
  if (o.count("datagram_size")) {
    uint64_t d;
    if (!ParseUint(o.at("datagram_size"), &d)) return Bad("datagram_size", o.at("datagram_size"));
    c.max_datagram_size = d;
  }
  if (o.count("streams")) {
    uint64_t n;
    if (!ParseUint(o.at("streams"), &n) || n > quic::sim::kMaxStreamsPerFlow) {
      return Bad("streams", o.at("streams"));
    }
    c.streams_per_flow = n;
  }
  if (o.count("rate_schedule")) {
    for (const std::string& item : List(o.at("rate_schedule"))) {
      std::vector<std::string> parts = absl::StrSplit(item, ':');
      double t, r;
      if (parts.size() != 2 || !ParseDouble(parts[0], &t) || !ParseDouble(parts[1], &r) || t < 0 ||
          r < 0 || r > 100000) {
        return Bad("rate_schedule", o.at("rate_schedule"));
      }
      c.rate_schedule.push_back(
          {absl::Milliseconds(std::llround(t * 1000)), static_cast<uint64_t>(std::llround(r * 1e6))});
    }
  }
  st = quic::sim::ValidateDumbbellConfig(c);
  if (!st.ok()) return st;
  s.description = DescribeScenario(c);
  return s;
}

absl::StatusOr<std::vector<Scenario>> BuiltinMatrix(const std::vector<std::string>& controllers,
                                                    const ScenarioOptions& base) {
  std::vector<std::pair<std::string, ScenarioOptions>> rows;
  auto add = [&](std::string name, ScenarioOptions extra) {
    ScenarioOptions o = base;
    for (const auto& [k, v] : extra) o[k] = v;
    o["name"] = name;
    rows.emplace_back(std::move(name), std::move(o));
  };
  for (const std::string& cc : controllers) {
    add(cc + "-clean-1bdp", {{"cc", cc}});
    add(cc + "-loss0.1%", {{"cc", cc}, {"loss", "0.001"}});
    add(cc + "-loss1%", {{"cc", cc}, {"loss", "0.01"}});
    add(cc + "-shallow-0.2bdp", {{"cc", cc}, {"buffer_bdp", "0.2"}});
    add(cc + "-deep-10bdp", {{"cc", cc}, {"buffer_bdp", "10"}});
    add(cc + "-codel-10bdp", {{"cc", cc}, {"buffer_bdp", "10"}, {"aqm", "codel"}});
    add(cc + "-ackagg-20ms", {{"cc", cc}, {"ack_aggregation_ms", "20"}});
    add(cc + "-x2-fairness", {{"cc", cc}, {"flows", "2"}, {"start_s", "0,2"}});
  }
  for (size_t i = 0; i < controllers.size(); ++i) {
    for (size_t j = i + 1; j < controllers.size(); ++j) {
      std::string pair = controllers[i] + "+" + controllers[j];
      add(pair + "-shallow-0.5bdp",
          {{"cc", controllers[i] + "," + controllers[j]}, {"buffer_bdp", "0.5"}});
      add(pair + "-deep-10bdp",
          {{"cc", controllers[i] + "," + controllers[j]}, {"buffer_bdp", "10"}});
    }
  }
  std::vector<Scenario> out;
  for (const auto& [name, o] : rows) {
    absl::StatusOr<Scenario> s = BuildScenario(o);
    if (!s.ok()) return s.status();
    out.push_back(std::move(*s));
  }
  return out;
}

}  // namespace kite::ccbench
