// JSON string escaping, UTF-8 validation, millisecond formatting and the streaming writer; every
// output is also fed through the independent checker in json_checker.h.
#include <catch2/catch.hpp>

#include <string>

#include "quic/qlog/json_writer.h"
#include "test/quic/qlog/json_checker.h"

namespace kite::quic::qlog::test {
namespace {

std::string Escaped(std::string_view s) {
  std::string out;
  AppendJsonString(&out, s);
  return out;
}

std::string Ms(absl::Duration d) {
  std::string out;
  AppendMilliseconds(&out, d);
  return out;
}

TEST_CASE("AppendJsonString escapes what RFC 8259 requires", "[qlog]") {
  CHECK(Escaped("") == "\"\"");
  CHECK(Escaped("plain text") == "\"plain text\"");
  CHECK(Escaped("a\"b") == "\"a\\\"b\"");
  CHECK(Escaped("back\\slash") == "\"back\\\\slash\"");
  CHECK(Escaped("\b\f\n\r\t") == "\"\\b\\f\\n\\r\\t\"");
  CHECK(Escaped(std::string("\x00\x01\x1f", 3)) == "\"\\u0000\\u0001\\u001f\"");
  // Solidus and DEL need no escape.
  CHECK(Escaped("/\x7f") == "\"/\x7f\"");
}

TEST_CASE("AppendJsonString keeps valid UTF-8 and replaces malformed bytes", "[qlog]") {
  // U+00E9, U+20AC, U+1D11E.
  const std::string valid = "\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e";
  CHECK(Escaped(valid) == "\"" + valid + "\"");
  CHECK(Escaped("\x80") == "\"\\ufffd\"");                   // lone continuation byte
  CHECK(Escaped("\xc0\xaf") == "\"\\ufffd\\ufffd\"");        // overlong '/'
  CHECK(Escaped("\xed\xa0\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // UTF-16 surrogate D800
  CHECK(Escaped("a\xe2\x82") == "\"a\\ufffd\\ufffd\"");      // truncated sequence
  CHECK(Escaped("\xf4\x90\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");  // > U+10FFFF
  CHECK(Escaped("\xf5") == "\"\\ufffd\"");
  CHECK(Escaped("\xe0\x80\x80") == "\"\\ufffd\\ufffd\\ufffd\"");  // overlong 3-byte
}

TEST_CASE("IsValidUtf8 follows the well-formed byte sequence table", "[qlog]") {
  CHECK(IsValidUtf8(""));
  CHECK(IsValidUtf8("ascii"));
  CHECK(IsValidUtf8("\xc3\xa9\xe2\x82\xac\xf0\x9d\x84\x9e\xf4\x8f\xbf\xbf"));
  CHECK_FALSE(IsValidUtf8("\x80"));
  CHECK_FALSE(IsValidUtf8("\xc1\xbf"));
  CHECK_FALSE(IsValidUtf8("\xed\xbf\xbf"));
  CHECK_FALSE(IsValidUtf8("\xf0\x8f\xbf\xbf"));
  CHECK_FALSE(IsValidUtf8("\xe2\x82"));
  CHECK_FALSE(IsValidUtf8("\xff"));
}

TEST_CASE("escaped strings of every byte value parse back to their UTF-8 meaning", "[qlog]") {
  // All 256 single bytes, and every 2-byte combination of a few interesting leads.
  for (int b = 0; b < 256; ++b) {
    std::string in(1, static_cast<char>(b));
    std::string out = Escaped(in);
    std::string error;
    std::optional<JsonValue> v = JsonParser::Parse(out, &error);
    INFO("byte " << b << ": " << error);
    REQUIRE(v.has_value());
    REQUIRE(v->is_string());
    if (b < 0x80) {
      CHECK(v->text == in);
    } else {
      CHECK(v->text == "\xef\xbf\xbd");  // U+FFFD
    }
  }
  const std::string tricky = "q\"\\\n\x01\xc3\xa9\xf0\x9d\x84\x9e";
  std::optional<JsonValue> v = JsonParser::Parse(Escaped(tricky));
  REQUIRE(v.has_value());
  CHECK(v->text == tricky);
}

TEST_CASE("AppendMilliseconds writes ms with microsecond precision", "[qlog]") {
  CHECK(Ms(absl::ZeroDuration()) == "0");
  CHECK(Ms(absl::Milliseconds(1)) == "1");
  CHECK(Ms(absl::Microseconds(1500)) == "1.5");
  CHECK(Ms(absl::Microseconds(12345)) == "12.345");
  CHECK(Ms(absl::Microseconds(10)) == "0.01");
  CHECK(Ms(absl::Microseconds(-1)) == "-0.001");
  CHECK(Ms(absl::Nanoseconds(999)) == "0");  // below the precision
  CHECK(Ms(absl::Seconds(3600)) == "3600000");
  for (int64_t us : {0, 1, 999, 1000, 1001, 123456789}) {
    std::optional<JsonValue> v = JsonParser::Parse(Ms(absl::Microseconds(us)));
    REQUIRE(v.has_value());
    CHECK(v->number == Approx(static_cast<double>(us) / 1000.0));
  }
}

TEST_CASE("JsonWriter places commas in nested objects and arrays", "[qlog]") {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Field("a", uint64_t{1});
  w.Key("b");
  w.BeginArray();
  w.Uint(2);
  w.BeginArray();
  w.EndArray();
  w.BeginObject();
  w.Field("c", true);
  w.Field("d", "x\"y");
  w.EndObject();
  w.Int(-3);
  w.EndArray();
  w.MsField("t", absl::Microseconds(2500));
  w.Key("h");
  w.HexString({0x00, 0xab, 0xff});
  w.Key("r");
  w.RawValue("{\"k\":null}");
  w.Field("u", uint64_t{18446744073709551615ull});
  w.EndObject();
  CHECK(out ==
        "{\"a\":1,\"b\":[2,[],{\"c\":true,\"d\":\"x\\\"y\"},-3],\"t\":2.5,\"h\":\"00abff\","
        "\"r\":{\"k\":null},\"u\":18446744073709551615}");
  std::optional<JsonValue> v = JsonParser::Parse(out);
  REQUIRE(v.has_value());
  CHECK(v->Get("b")->items.size() == 4);
  CHECK(v->Get("r", "k") != nullptr);
}

TEST_CASE("the test JSON checker rejects malformed JSON", "[qlog]") {
  for (const char* bad : {"", "{", "{\"a\":1,}", "[1,]", "[01]", "{\"a\" 1}", "\"\x01\"",
                          "\"\\x\"", "\"\\ud800\"", "\"\\udc00x\"", "1.", "-", "1e", "tru",
                          "{} {}", "\"\xc0\xaf\"", "{a:1}", "[1 2]"}) {
    INFO(bad);
    CHECK_FALSE(JsonParser::Parse(bad).has_value());
  }
  for (const char* good : {"0", "-0.5e+3", "[]", "{}", "\"\\ud834\\udd1e\"", " [true,false,null] ",
                           "{\"a\":{\"b\":[1,{\"c\":\"\"}]}}"}) {
    INFO(good);
    CHECK(JsonParser::Parse(good).has_value());
  }
}

}  // namespace
}  // namespace kite::quic::qlog::test
