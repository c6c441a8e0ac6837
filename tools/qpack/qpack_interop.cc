// QPACK offline-interop tool (github.com/quicwg/base-drafts/wiki/QPACK-Offline-Interop):
//   qpack_interop decode <encoded file> <out.qif> [--table-size N --max-blocked N]
//   qpack_interop encode <in.qif> <out file> --table-size N --max-blocked N [--immediate-ack]
// When decoding, settings missing from the command line are taken from the file name
// (<qif>.out.<table size>.<max blocked>.<ack mode>), else 4096 bytes and 100 streams; the
// table capacity starts at the table size, as the interop files assume. Encoded files put
// header list i on stream i + 1, each followed by the encoder-stream bytes it produced.
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "tools/qpack/encoded_file.h"
#include "tools/qpack/interop_codec.h"
#include "tools/qpack/qif.h"

namespace {

using kite::tools::qpack::InteropSettings;

int Usage() {
  std::cerr << "usage: qpack_interop decode <encoded file> <out.qif> [--table-size N "
               "--max-blocked N]\n"
               "       qpack_interop encode <in.qif> <out file> --table-size N --max-blocked N "
               "[--immediate-ack]\n";
  return 2;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  out->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

bool WriteFile(const std::string& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  return static_cast<bool>(out);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return Usage();
  const std::string mode = argv[1];
  const std::string in_path = argv[2];
  const std::string out_path = argv[3];
  std::optional<uint64_t> table_size;
  std::optional<uint64_t> max_blocked;
  bool immediate_ack = false;
  for (int i = 4; i < argc; ++i) {
    const std::string arg = argv[i];
    uint64_t v = 0;
    if ((arg == "--table-size" || arg == "--max-blocked") && i + 1 < argc &&
        absl::SimpleAtoi(argv[i + 1], &v)) {
      (arg == "--table-size" ? table_size : max_blocked) = v;
      ++i;
    } else if (arg == "--immediate-ack") {
      immediate_ack = true;
    } else {
      return Usage();
    }
  }
  std::string input;
  if (!ReadFile(in_path, &input)) {
    std::cerr << "cannot read " << in_path << "\n";
    return 1;
  }
  InteropSettings settings;
  if (mode == "decode") {
    const auto name = kite::tools::qpack::ParseEncodedFileName(BaseName(in_path));
    settings.table_size = table_size.value_or(name && name->table_size ? *name->table_size : 4096);
    settings.max_blocked =
        max_blocked.value_or(name && name->max_blocked ? *name->max_blocked : 100);
    auto records = kite::tools::qpack::ParseEncodedFile(input);
    if (!records.ok()) {
      std::cerr << records.status() << "\n";
      return 1;
    }
    auto sections = kite::tools::qpack::DecodeRecords(*records, settings);
    if (!sections.ok()) {
      std::cerr << "decoding failed: " << sections.status() << "\n";
      return 1;
    }
    std::vector<kite::http3::qpack::HeaderList> lists;
    for (auto& s : *sections) lists.push_back(std::move(s.headers));
    if (!WriteFile(out_path, kite::tools::qpack::WriteQif(lists))) return 1;
    std::cerr << "decoded " << lists.size() << " header lists\n";
    return 0;
  }
  if (mode == "encode") {
    if (!table_size || !max_blocked) return Usage();
    settings.table_size = *table_size;
    settings.max_blocked = *max_blocked;
    settings.immediate_ack = immediate_ack;
    auto lists = kite::tools::qpack::ParseQif(input);
    if (!lists.ok()) {
      std::cerr << lists.status() << "\n";
      return 1;
    }
    auto result = kite::tools::qpack::EncodeLists(*lists, settings);
    if (!result.ok()) {
      std::cerr << "encoding failed: " << result.status() << "\n";
      return 1;
    }
    if (!WriteFile(out_path, result->file)) return 1;
    std::cerr << "encoded " << lists->size() << " header lists: " << result->section_bytes
              << " section bytes + " << result->encoder_stream_bytes << " encoder-stream bytes for "
              << result->plain_bytes << " plain bytes\n";
    return 0;
  }
  return Usage();
}
