#include "tls/key_log.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

namespace kite::tls {
namespace {

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("KeyLogFile appends one flushed line per call", "[tls]") {
  std::string path = TempPath("keylog_append.txt");
  std::remove(path.c_str());
  {
    absl::StatusOr<std::shared_ptr<KeyLogFile>> file = KeyLogFile::Open(path);
    REQUIRE(file.ok());
    KeyLogSink sink = KeyLogFile::AsSink(*file);
    sink("CLIENT_RANDOM aa bb");
    // Flushed: visible before the file is closed.
    CHECK(ReadAll(path) == "CLIENT_RANDOM aa bb\n");
    sink("SERVER_TRAFFIC_SECRET_0 cc dd");
  }
  // Reopening appends instead of truncating.
  {
    absl::StatusOr<std::shared_ptr<KeyLogFile>> file = KeyLogFile::Open(path);
    REQUIRE(file.ok());
    (*file)->Write("EXPORTER_SECRET ee ff");
  }
  CHECK(ReadAll(path) ==
        "CLIENT_RANDOM aa bb\nSERVER_TRAFFIC_SECRET_0 cc dd\nEXPORTER_SECRET ee ff\n");
  struct stat st;
  REQUIRE(stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("KeyLogFile reports an unopenable path", "[tls]") {
  CHECK_FALSE(KeyLogFile::Open(TempPath("no/such/dir/keylog.txt")).ok());
}

}  // namespace
}  // namespace kite::tls
