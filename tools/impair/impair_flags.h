// kite_impair's command line: addresses, link impairments (both directions, or one with the
// --up-/--down- prefixed form), schedules and rebinding, parsed into RelayOptions. Kept apart from
// the binary so the parser is unit-tested.
#ifndef KITE_TOOLS_IMPAIR_IMPAIR_FLAGS_H_
#define KITE_TOOLS_IMPAIR_IMPAIR_FLAGS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "quic/connection/socket_address.h"
#include "tools/impair/relay.h"

namespace kite::tools::impair {

struct ImpairFlags {
  quic::SocketAddress listen;
  quic::SocketAddress upstream;
  RelayOptions relay;
  bool stats = false;    // print counters at exit
  bool verbose = false;  // log new clients, rebinds and expiries to stderr
  bool help = false;     // --help: print ImpairUsage() and exit
};

// The --help text.
std::string ImpairUsage();

// Parses argv[1..] (without the program name). --listen and --upstream are required (unless
// --help). InvalidArgument names the flag and the problem.
absl::StatusOr<ImpairFlags> ParseImpairFlags(const std::vector<std::string>& args);

// The value parsers, exposed for tests.
// "50ms", "1.5s", "200us", "2m", "0".
absl::StatusOr<absl::Duration> ParseDurationValue(std::string_view text);
// "5%", "0.5%" or a fraction "0.05", in [0, 1].
absl::StatusOr<double> ParseProbability(std::string_view text);
// Bits per second: "10mbit", "1.5Gbit", "500kbit", "64000bit" or a plain number (bit/s).
absl::StatusOr<uint64_t> ParseRate(std::string_view text);
// Bytes: "100kB" (1000), "64KiB" (1024), "1MB", "1500B" or a plain number.
absl::StatusOr<uint64_t> ParseSize(std::string_view text);
// "127.0.0.1:4433" or "[::1]:4433".
absl::StatusOr<quic::SocketAddress> ParseHostPort(std::string_view text);

}  // namespace kite::tools::impair

#endif  // KITE_TOOLS_IMPAIR_IMPAIR_FLAGS_H_
