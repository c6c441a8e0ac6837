// Paths a FileServerHandler resolves: never outside its root.
#include "http3/endpoint/file_server_handler.h"

#include <catch2/catch.hpp>

#include "http3/endpoint/bytes_pattern.h"

namespace kite::http3 {
namespace {

TEST_CASE("request paths resolve under the root and never leave it", "[endpoint]") {
  CHECK(ResolveUnderRoot("/srv", "/a/b.txt") == "/srv/a/b.txt");
  CHECK(ResolveUnderRoot("/srv", "/a.txt?x=1") == "/srv/a.txt");
  CHECK(ResolveUnderRoot("/srv", "/") == "/srv/index.html");
  CHECK(ResolveUnderRoot("/srv", "/../etc/passwd") == "");
  CHECK(ResolveUnderRoot("/srv", "/a/../../b") == "");
  CHECK(ResolveUnderRoot("/srv", "/a//b") == "");
  CHECK(ResolveUnderRoot("/srv", "/./a") == "");
  CHECK(ResolveUnderRoot("/srv", "relative") == "");
  CHECK(ResolveUnderRoot("", "/a") == "");
}

TEST_CASE("the /bytes pattern is position-dependent", "[endpoint]") {
  std::vector<uint8_t> a(10000), b(5000);
  FillPattern(0, absl::MakeSpan(a));
  FillPattern(5000, absl::MakeSpan(b));
  CHECK(std::equal(b.begin(), b.end(), a.begin() + 5000));
  // Shifted copies differ: a chunk delivered at the wrong offset is noticed.
  CHECK_FALSE(std::equal(a.begin(), a.begin() + 4096, a.begin() + 4096));
  CHECK_FALSE(std::equal(a.begin(), a.begin() + 251, a.begin() + 251 * 17));
}

}  // namespace
}  // namespace kite::http3
