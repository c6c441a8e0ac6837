#include "http3/endpoint/content_type.h"

#include <catch2/catch.hpp>

#include <string>

namespace kite::http3 {
namespace {

TEST_CASE("content types by extension", "[endpoint]") {
  CHECK(std::string(ContentTypeForPath("/srv/www/index.html")) == "text/html; charset=utf-8");
  CHECK(std::string(ContentTypeForPath("/srv/www/INDEX.HTM")) == "text/html; charset=utf-8");
  CHECK(std::string(ContentTypeForPath("app.js")) == "text/javascript");
  CHECK(std::string(ContentTypeForPath("/a.b/file")) == "application/octet-stream");
  CHECK(std::string(ContentTypeForPath("/x/data.bin")) == "application/octet-stream");
  CHECK(std::string(ContentTypeForPath("noext")) == "application/octet-stream");
}

}  // namespace
}  // namespace kite::http3
