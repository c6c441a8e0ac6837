#include "test/http3/qpack/qifs_data.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "tools/qpack/qif.h"

namespace kite::http3::qpack::testing {

std::string TestdataDir() {
  const char* env = std::getenv("KITE_QPACK_TESTDATA");
  if (env != nullptr && *env != '\0') return env;
  return "test/http3/qpack/testdata";
}

std::string QifsDir() { return TestdataDir() + "/qifs"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

namespace {

std::vector<std::string> List(const std::string& dir, bool dirs) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    // Runfiles may be symlinks; follow them.
    const bool is_dir = std::filesystem::is_directory(entry.path(), ec);
    if (is_dir == dirs) out.push_back(entry.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

std::vector<std::string> ListFiles(const std::string& dir) { return List(dir, false); }
std::vector<std::string> ListDirs(const std::string& dir) { return List(dir, true); }

std::vector<HeaderList> LoadQif(const std::string& name) {
  std::string text = ReadFile(QifsDir() + "/qifs/" + name + ".qif");
  if (text.empty()) text = ReadFile(TestdataDir() + "/" + name + ".qif");
  auto lists = tools::qpack::ParseQif(text);
  return lists.ok() ? *lists : std::vector<HeaderList>();
}

}  // namespace kite::http3::qpack::testing
