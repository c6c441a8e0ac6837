// SETTINGS semantics (RFC 9114 §7.2.4) and the 0-RTT compatibility rule (§7.2.4.2).
#include <catch2/catch.hpp>

#include "http3/error_code.h"
#include "http3/settings.h"

namespace kite::http3 {
namespace {

TEST_CASE("settings round-trip through a frame, grease included", "[http3][settings]") {
  Settings s;
  s.qpack_max_table_capacity = 4096;
  s.qpack_blocked_streams = 100;
  s.max_field_section_size = 16384;
  s.enable_connect_protocol = true;
  s.h3_datagram = true;
  SettingsFrame f = ToSettingsFrame(s, 3);
  bool has_grease = false;
  for (const auto& [id, v] : f.parameters) has_grease |= IsReservedSettingId(id);
  CHECK(has_grease);
  absl::StatusOr<Settings> back = ParseSettingsFrame(f);
  REQUIRE(back.ok());
  CHECK(*back == s);
  // Defaults are not sent.
  CHECK(ToSettingsFrame(Settings{}, std::nullopt).parameters.empty());
}

TEST_CASE("unknown and reserved settings are ignored", "[http3][settings]") {
  SettingsFrame f{{{0x21, 5}, {0x1f * 9 + 0x21, 1ull << 60}, {0x4242, 9}, {0x01, 100}}};
  absl::StatusOr<Settings> s = ParseSettingsFrame(f);
  REQUIRE(s.ok());
  CHECK(s->qpack_max_table_capacity == 100);
}

TEST_CASE("bad SETTINGS are H3_SETTINGS_ERROR", "[http3][settings]") {
  std::vector<SettingsFrame> bad = {
      SettingsFrame{{{0x01, 1}, {0x01, 2}}},  // duplicate
      SettingsFrame{{{0x21, 1}, {0x21, 1}}},  // duplicate reserved
      SettingsFrame{{{0x02, 0}}},             // HTTP/2 ENABLE_PUSH
      SettingsFrame{{{0x03, 100}}},           // MAX_CONCURRENT_STREAMS
      SettingsFrame{{{0x04, 65535}}},         // INITIAL_WINDOW_SIZE
      SettingsFrame{{{0x05, 16384}}},         // MAX_FRAME_SIZE
      SettingsFrame{{{0x00, 0}}},             // reserved 0x00
      SettingsFrame{{{kSettingEnableConnectProtocol, 2}}},
      SettingsFrame{{{kSettingH3Datagram, 7}}},
  };
  for (const SettingsFrame& f : bad) {
    CHECK(GetHttp3ErrorCode(ParseSettingsFrame(f).status()) == Http3ErrorCode::kSettingsError);
  }
}

TEST_CASE("0-RTT settings may grow but not shrink", "[http3][settings]") {
  Settings remembered;
  remembered.qpack_max_table_capacity = 4096;
  remembered.qpack_blocked_streams = 10;
  remembered.max_field_section_size = 1000;
  remembered.h3_datagram = true;
  Settings same = remembered;
  CHECK(SettingsCompatibleWithRemembered(remembered, same));
  Settings bigger = remembered;
  bigger.qpack_max_table_capacity = 8192;
  bigger.max_field_section_size.reset();  // unlimited
  CHECK(SettingsCompatibleWithRemembered(remembered, bigger));
  Settings smaller_table = remembered;
  smaller_table.qpack_max_table_capacity = 0;
  CHECK_FALSE(SettingsCompatibleWithRemembered(remembered, smaller_table));
  Settings fewer_blocked = remembered;
  fewer_blocked.qpack_blocked_streams = 9;
  CHECK_FALSE(SettingsCompatibleWithRemembered(remembered, fewer_blocked));
  Settings smaller_fields = remembered;
  smaller_fields.max_field_section_size = 999;
  CHECK_FALSE(SettingsCompatibleWithRemembered(remembered, smaller_fields));
  Settings no_datagram = remembered;
  no_datagram.h3_datagram = false;
  CHECK_FALSE(SettingsCompatibleWithRemembered(remembered, no_datagram));
}

TEST_CASE("settings survive the ticket encoding; garbage does not parse", "[http3][settings]") {
  Settings s;
  s.qpack_max_table_capacity = 1234;
  s.max_field_section_size = 99;
  absl::StatusOr<Settings> back = ParseSettingsFromTicket(SerializeSettingsForTicket(s));
  REQUIRE(back.ok());
  CHECK(*back == s);
  std::vector<uint8_t> bytes = SerializeSettingsForTicket(s);
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    CHECK_FALSE(ParseSettingsFromTicket(absl::MakeConstSpan(bytes.data(), cut)).ok());
  }
  CHECK_FALSE(ParseSettingsFromTicket(std::vector<uint8_t>{0x01, 0x00}).ok());
}

}  // namespace
}  // namespace kite::http3
