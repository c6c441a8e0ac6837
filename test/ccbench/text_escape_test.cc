#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "tools/ccbench/text_escape.h"

namespace kite::ccbench {
namespace {

TEST_CASE("CSV fields are quoted only when needed (RFC 4180)", "[ccbench]") {
  CHECK(CsvField("plain") == "plain");
  CHECK(CsvField("a,b") == "\"a,b\"");
  CHECK(CsvField("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(CsvField("two\nlines") == "\"two\nlines\"");
}

TEST_CASE("JSON strings escape quotes, backslashes and control characters", "[ccbench]") {
  CHECK(JsonEscape("a\"b\\c") == "a\\\"b\\\\c");
  CHECK(JsonEscape(std::string("\n\t\x01", 3)) == "\\n\\t\\u0001");
  CHECK(JsonEscape("caf\xc3\xa9") == "caf\xc3\xa9");  // UTF-8 passes through
}

TEST_CASE("HTML escaping covers the five special characters", "[ccbench]") {
  CHECK(HtmlEscape("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
}

TEST_CASE("numbers are short, and non-finite values become null", "[ccbench]") {
  CHECK(Number(0.5) == "0.5");
  CHECK(Number(100) == "100");
  CHECK(Number(1.0 / 3) == "0.333333");
  CHECK(Number(std::numeric_limits<double>::quiet_NaN()) == "null");
  CHECK(Number(std::numeric_limits<double>::infinity()) == "null");
}

}  // namespace
}  // namespace kite::ccbench
