#include <catch2/catch.hpp>

#include <string>

#include "tools/ccbench/scenario.h"

namespace kite::ccbench {
namespace {

TEST_CASE("scenario text: key=value lines, comments, later keys win", "[ccbench]") {
  ScenarioOptions o;
  REQUIRE(ParseScenarioText("# a comment\n\n cc = newreno \nrtt_ms=20\nrtt_ms=30\n", &o).ok());
  CHECK(o.at("cc") == "newreno");
  CHECK(o.at("rtt_ms") == "30");
  absl::Status st = ParseScenarioText("ok=1\nnot a pair\n", &o);
  CHECK(st.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(st.message()).find("line 2") != std::string::npos);
}

TEST_CASE("a scenario from options: BDP buffer, per-flow lists, schedule", "[ccbench]") {
  ScenarioOptions o = {{"rate_mbps", "50"},     {"rtt_ms", "20,80"}, {"buffer_bdp", "2"},
                       {"flows", "3"},          {"start_s", "0,5"},  {"aqm", "codel"},
                       {"loss", "0.01"},        {"duration_s", "12"}, {"seed", "9"},
                       {"rate_schedule", "4:10, 8:50"}, {"ack_aggregation_ms", "20"}};
  absl::StatusOr<Scenario> s = BuildScenario(o);
  REQUIRE(s.ok());
  const quic::sim::DumbbellConfig& c = s->config;
  CHECK(c.rate_bps == 50'000'000);
  REQUIRE(c.flows.size() == 3);
  CHECK(c.flows[0].rtt == absl::Milliseconds(20));
  CHECK(c.flows[1].rtt == absl::Milliseconds(80));
  CHECK(c.flows[2].rtt == absl::Milliseconds(20));
  CHECK(c.flows[1].start == absl::Seconds(5));
  CHECK(c.flows[2].start == absl::ZeroDuration());
  // 2 BDP of the longest RTT: 2 * 50e6 / 8 * 0.08.
  CHECK(c.buffer_bytes == 1'000'000);
  CHECK(c.queue == quic::sim::QueueKind::kCoDel);
  CHECK(c.loss == 0.01);
  CHECK(c.duration == absl::Seconds(12));
  CHECK(c.seed == 9);
  CHECK(c.ack_aggregation == absl::Milliseconds(20));
  REQUIRE(c.rate_schedule.size() == 2);
  CHECK(c.rate_schedule[0].at == absl::Seconds(4));
  CHECK(c.rate_schedule[0].rate_bps == 10'000'000);
  CHECK(s->description.find("newreno x3") == 0);
  CHECK(s->description.find("codel") != std::string::npos);
}

TEST_CASE("bad scenario options are refused by name", "[ccbench]") {
  CHECK(BuildScenario({{"bogus", "1"}}).status().message().find("bogus") != absl::string_view::npos);
  CHECK_FALSE(BuildScenario({{"loss", "2"}}).ok());
  CHECK_FALSE(BuildScenario({{"loss", "0.1x"}}).ok());
  CHECK_FALSE(BuildScenario({{"aqm", "red"}}).ok());
  CHECK_FALSE(BuildScenario({{"flows", "-1"}}).ok());
  CHECK_FALSE(BuildScenario({{"rate_schedule", "4"}}).ok());
  CHECK_FALSE(BuildScenario({{"cc", "nonexistent"}}).ok());
  CHECK(BuildScenario({{"buffer_bytes", "100000"}})->config.buffer_bytes == 100000);
}

TEST_CASE("the built-in matrix covers each controller and each pair", "[ccbench]") {
  absl::StatusOr<std::vector<Scenario>> m = BuiltinMatrix({"newreno"}, {{"duration_s", "5"}});
  REQUIRE(m.ok());
  CHECK(m->size() == 8);
  for (const Scenario& s : *m) CHECK(s.config.duration == absl::Seconds(5));
  CHECK_FALSE(BuiltinMatrix({"newreno"}, {{"loss", "7"}}).ok());
}

}  // namespace
}  // namespace kite::ccbench
