#include "test/http3/qpack/qifs_data.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "tools/qpack/qif.h"

namespace kite::http3::qpack::testing {

std::string TestdataDir() {
  const char* env = std::getenv("KITE_QPACK_TESTDATA");
  if (env != nullptr && *env != '\0') return env;
  return "test/http3/qpack/testdata";
}

std::string QifsDir() { return TestdataDir() + "/qifs"; }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return std::string();
  std::string data(static_cast<size_t>(in.tellg()), '\0');
  in.seekg(0);
  in.read(&data[0], static_cast<std::streamsize>(data.size()));
  return in ? data : std::string();
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

const std::vector<HeaderList>& LoadQif(const std::string& name) {
  // Parsed once per process: the decode tests compare dozens of files with the same QIF.
  static std::map<std::string, std::vector<HeaderList>>* const cache =
      new std::map<std::string, std::vector<HeaderList>>();
  auto it = cache->find(name);
  if (it != cache->end()) return it->second;
  std::string text = ReadFile(QifsDir() + "/qifs/" + name + ".qif");
  if (text.empty()) text = ReadFile(TestdataDir() + "/" + name + ".qif");
  auto lists = tools::qpack::ParseQif(text);
  return cache->emplace(name, lists.ok() ? *lists : std::vector<HeaderList>()).first->second;
}

}  // namespace kite::http3::qpack::testing
