// ccbench: runs congestion-control scenarios on the dumbbell simulator (quic/sim/dumbbell.h)
// with real kite connections and writes time series, summaries and an HTML report.
//
//   ccbench --cc=cubic --rate_mbps=100 --rtt_ms=100 --buffer_bdp=1 --loss=0.01 --out=/tmp/r
//   ccbench --scenario=my.txt --seed=3          (file of key=value lines; flags override it)
//   ccbench --matrix --cc=newreno,cubic,bbr --duration_s=30
//   ccbench --list                               (registered controllers)
// Scenario keys: see tools/ccbench/scenario.h.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <sys/stat.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "congestion/registry.h"
#include "quic/sim/dumbbell.h"
#include "tools/ccbench/csv_writer.h"
#include "tools/ccbench/html_report.h"
#include "tools/ccbench/json_writer.h"
#include "tools/ccbench/markdown_writer.h"
#include "tools/ccbench/metrics.h"
#include "tools/ccbench/scenario.h"

namespace kite::ccbench {
namespace {

struct Args {
  std::string out = "ccbench-out";
  std::string scenario_file;
  bool matrix = false;
  bool quiet = false;
  bool list = false;
  bool help = false;
  ScenarioOptions options;
};

bool ParseArgs(int argc, char** argv, Args* a) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0) {
      std::cerr << "ccbench: unexpected argument " << arg << "\n";
      return false;
    }
    arg = arg.substr(2);
    size_t eq = arg.find('=');
    std::string key = arg.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (key == "out") {
      a->out = value;
    } else if (key == "scenario") {
      a->scenario_file = value;
    } else if (key == "matrix") {
      a->matrix = true;
    } else if (key == "quiet") {
      a->quiet = true;
    } else if (key == "list") {
      a->list = true;
    } else if (key == "help" || key == "h") {
      a->help = true;
    } else if (eq == std::string::npos) {
      std::cerr << "ccbench: --" << key << " needs a value (--" << key << "=...)\n";
      return false;
    } else {
      a->options[key] = value;
    }
  }
  return true;
}

std::string SafeFileName(const std::string& name) {
  std::string out;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '+';
    out += ok ? c : '_';
  }
  return out.empty() ? "scenario" : out;
}

bool WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream f(path, std::ios::binary);
  f << contents;
  f.close();
  if (!f) {
    std::cerr << "ccbench: cannot write " << path << "\n";
    return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  if (args.help) {
    std::cout << "usage: ccbench [--scenario=FILE] [--matrix] [--out=DIR] [--quiet] [--list]\n"
                 "               [--cc=NAME[,NAME...]] [--flows=N] [--rate_mbps=R] [--rtt_ms=MS]\n"
                 "               [--buffer_bdp=X | --buffer_bytes=B] [--aqm=droptail|codel]\n"
                 "               [--loss=P] [--duration_s=S] [--seed=N] ...\n"
                 "scenario keys are documented in tools/ccbench/scenario.h\n";
    return 0;
  }
  std::vector<std::string> registered = congestion::RegisteredControllers();
  if (args.list) {
    for (const std::string& n : registered) std::cout << n << "\n";
    for (const auto& [alias, target] : congestion::ControllerAliases()) {
      std::cout << alias << " (alias of " << target << ")\n";
    }
    return 0;
  }
  ScenarioOptions options;
  if (!args.scenario_file.empty()) {
    std::ifstream f(args.scenario_file, std::ios::binary);
    if (!f) {
      std::cerr << "ccbench: cannot read " << args.scenario_file << "\n";
      return 2;
    }
    std::string text(kMaxScenarioFileBytes + 1, '\0');
    f.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<size_t>(f.gcount()));
    if (text.size() > kMaxScenarioFileBytes) {
      std::cerr << "ccbench: scenario file larger than " << kMaxScenarioFileBytes << " bytes\n";
      return 2;
    }
    absl::Status st = ParseScenarioText(text, &options);
    if (!st.ok()) {
      std::cerr << "ccbench: " << args.scenario_file << ": " << st.message() << "\n";
      return 2;
    }
  }
  for (const auto& [k, v] : args.options) options[k] = v;

  std::vector<Scenario> scenarios;
  if (args.matrix) {
    std::vector<std::string> ccs = registered;
    if (options.count("cc")) {
      ccs.clear();
      std::stringstream ss(options.at("cc"));
      for (std::string item; std::getline(ss, item, ',');) {
        if (!item.empty()) ccs.push_back(item);
      }
      options.erase("cc");
    }
    if (!options.count("duration_s")) options["duration_s"] = "30";
    absl::StatusOr<std::vector<Scenario>> m = BuiltinMatrix(ccs, options);
    if (!m.ok()) {
      std::cerr << "ccbench: " << m.status().message() << "\n";
      return 2;
    }
    scenarios = std::move(*m);
  } else {
    absl::StatusOr<Scenario> s = BuildScenario(options);
    if (!s.ok()) {
      std::cerr << "ccbench: " << s.status().message() << "\n(registered controllers: "
                << absl::StrJoin(registered, ", ") << ")\n";
      return 2;
    }
    scenarios.push_back(std::move(*s));
  }

  if (mkdir(args.out.c_str(), 0755) != 0 && errno != EEXIST) {
    std::cerr << "ccbench: cannot create " << args.out << "\n";
    return 2;
  }
  const bool tty = !args.quiet && isatty(STDERR_FILENO);
  std::vector<quic::sim::DumbbellResult> results;
  results.reserve(scenarios.size());
  std::vector<ScenarioSummary> summaries;
  for (size_t i = 0; i < scenarios.size(); ++i) {
    const Scenario& sc = scenarios[i];
    auto wall_start = std::chrono::steady_clock::now();
    auto show = [&](absl::Duration sim_time) {
      if (!tty) return;
      double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
      double simulated = absl::ToDoubleSeconds(sim_time);
      std::fprintf(stderr, "\r[%zu/%zu] %-32s %6.1f / %.0f s simulated  (%.1fx real time)   ", i + 1,
                   scenarios.size(), sc.name.c_str(), simulated,
                   absl::ToDoubleSeconds(sc.config.duration), wall > 0 ? simulated / wall : 0.0);
      std::fflush(stderr);
    };
    if (!args.quiet && !tty) std::cerr << "running " << sc.name << ": " << sc.description << "\n";
    quic::sim::DumbbellSimulator sim(sc.config);
    absl::StatusOr<quic::sim::DumbbellResult> r = sim.Run(show);
    if (tty) std::fprintf(stderr, "\n");
    if (!r.ok()) {
      std::cerr << "ccbench: " << sc.name << ": " << r.status().message() << "\n";
      return 1;
    }
    results.push_back(std::move(*r));
    summaries.push_back(Summarize(sc.name, sc.description, sc.config, results.back()));
    if (!WriteFile(absl::StrCat(args.out, "/", SafeFileName(sc.name), ".timeseries.csv"),
                   TimeSeriesCsv(sc.name, results.back()))) {
      return 1;
    }
  }
  std::vector<ReportScenario> report;
  for (size_t i = 0; i < summaries.size(); ++i) report.push_back({summaries[i], &results[i]});
  const std::string md = SummaryMarkdown(summaries);
  bool ok = WriteFile(args.out + "/summary.csv", SummaryCsv(summaries)) &&
            WriteFile(args.out + "/flows.csv", FlowSummaryCsv(summaries)) &&
            WriteFile(args.out + "/summary.json", SummaryJson(summaries)) &&
            WriteFile(args.out + "/summary.md", md) &&
            WriteFile(args.out + "/report.html", HtmlReport("kite ccbench", report));
  if (!ok) return 1;
  std::cout << md << "\nwrote " << args.out << "/{summary.csv,flows.csv,summary.json,summary.md,"
            << "report.html,*.timeseries.csv}\n";
  return 0;
}

}  // namespace
}  // namespace kite::ccbench

int main(int argc, char** argv) { return kite::ccbench::Main(argc, argv); }
