// Locating and loading the QPACK offline-interop data (a copy of qpackers/qifs, MIT licensed,
// in testdata/qifs) from a test.
#ifndef KITE_TEST_HTTP3_QPACK_QIFS_DATA_H_
#define KITE_TEST_HTTP3_QPACK_QIFS_DATA_H_

#include <string>
#include <vector>

#include "http3/qpack/header_list.h"

namespace kite::http3::qpack::testing {

// The testdata directory: $KITE_QPACK_TESTDATA if set, else the runfiles copy (tests run with
// the workspace's runfiles root as the working directory).
std::string TestdataDir();
// TestdataDir() + "/qifs".
std::string QifsDir();

// The file's bytes; an empty string if it cannot be read (tests check for that).
std::string ReadFile(const std::string& path);

// Regular files directly in `dir`, sorted by name.
std::vector<std::string> ListFiles(const std::string& dir);
// Subdirectories of `dir`, sorted by name.
std::vector<std::string> ListDirs(const std::string& dir);

// The header lists of qifs/<name>.qif, or of testdata/<name>.qif for the RFC examples.
// Cached for the life of the process.
const std::vector<HeaderList>& LoadQif(const std::string& name);

}  // namespace kite::http3::qpack::testing

#endif  // KITE_TEST_HTTP3_QPACK_QIFS_DATA_H_
