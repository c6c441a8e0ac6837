#include "tools/impair/impair_flags.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "quic/io/sockaddr.h"

namespace kite::tools::impair {
namespace {

absl::Status Bad(std::string_view flag, std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(std::string(flag), ": ", std::string(what)));
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Splits "12.5unit" into 12.5 and "unit"; nullopt without a leading number.
std::optional<std::pair<double, std::string>> NumberAndUnit(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  double value = 0;
  if (i == 0 || !absl::SimpleAtod(std::string(text.substr(0, i)), &value) || !std::isfinite(value)) {
    return std::nullopt;
  }
  return std::make_pair(value, std::string(text.substr(i)));
}

// Which way a link flag applies.
struct Ways {
  bool up = true;
  bool down = true;
};

// Per-direction queue limit: bytes, or a multiple of the bandwidth-delay product.
struct QueueSpec {
  std::optional<uint64_t> bytes;
  std::optional<double> bdp;
};

}  // namespace

absl::StatusOr<absl::Duration> ParseDurationValue(std::string_view text) {
  if (text == "0") return absl::ZeroDuration();
  std::optional<std::pair<double, std::string>> nu = NumberAndUnit(text);
  if (!nu.has_value()) return absl::InvalidArgumentError("not a duration (e.g. 50ms, 1.5s)");
  const auto& [v, unit] = *nu;
  double ns = 0;
  if (unit == "ns") {
    ns = v;
  } else if (unit == "us") {
    ns = v * 1e3;
  } else if (unit == "ms") {
    ns = v * 1e6;
  } else if (unit == "s") {
    ns = v * 1e9;
  } else if (unit == "m" || unit == "min") {
    ns = v * 60e9;
  } else {
    return absl::InvalidArgumentError("duration unit must be ns, us, ms, s or m");
  }
  // Well beyond any useful value, and far inside int64 nanoseconds.
  if (ns > 1e15) return absl::InvalidArgumentError("duration too long");
  return absl::Nanoseconds(static_cast<int64_t>(std::llround(ns)));
}

absl::StatusOr<double> ParseProbability(std::string_view text) {
  double v = 0;
  if (!text.empty() && text.back() == '%') {
    if (!absl::SimpleAtod(std::string(text.substr(0, text.size() - 1)), &v)) {
      return absl::InvalidArgumentError("not a percentage");
    }
    v /= 100.0;
  } else if (!absl::SimpleAtod(std::string(text), &v)) {
    return absl::InvalidArgumentError("not a probability (e.g. 5% or 0.05)");
  }
  if (!(v >= 0.0 && v <= 1.0)) {
    return absl::InvalidArgumentError("probability outside [0, 1] (use 5% for five percent)");
  }
  return v;
}

absl::StatusOr<uint64_t> ParseRate(std::string_view text) {
  std::optional<std::pair<double, std::string>> nu = NumberAndUnit(text);
  if (!nu.has_value()) return absl::InvalidArgumentError("not a rate (e.g. 10mbit)");
  const double v = nu->first;
  const std::string unit = Lower(nu->second);
  double bps = 0;
  if (unit.empty() || unit == "bit" || unit == "bps") {
    bps = v;
  } else if (unit == "kbit" || unit == "kbps") {
    bps = v * 1e3;
  } else if (unit == "mbit" || unit == "mbps") {
    bps = v * 1e6;
  } else if (unit == "gbit" || unit == "gbps") {
    bps = v * 1e9;
  } else {
    return absl::InvalidArgumentError("rate unit must be bit, kbit, mbit or gbit (bits per second)");
  }
  if (bps < 1 || bps > 1e12) return absl::InvalidArgumentError("rate outside [1 bit/s, 1 Tbit/s]");
  return static_cast<uint64_t>(std::llround(bps));
}

absl::StatusOr<uint64_t> ParseSize(std::string_view text) {
  std::optional<std::pair<double, std::string>> nu = NumberAndUnit(text);
  if (!nu.has_value()) return absl::InvalidArgumentError("not a size (e.g. 100kB)");
  const double v = nu->first;
  const std::string unit = Lower(nu->second);
  double bytes = 0;
  if (unit.empty() || unit == "b") {
    bytes = v;
  } else if (unit == "kb") {
    bytes = v * 1e3;
  } else if (unit == "kib") {
    bytes = v * 1024;
  } else if (unit == "mb") {
    bytes = v * 1e6;
  } else if (unit == "mib") {
    bytes = v * 1048576;
  } else {
    return absl::InvalidArgumentError("size unit must be B, kB, KiB, MB or MiB");
  }
  if (bytes > static_cast<double>(quic::sim::kMaxQueueCapacityBytes)) {
    return absl::InvalidArgumentError("size too large");
  }
  return static_cast<uint64_t>(std::llround(bytes));
}

absl::StatusOr<quic::SocketAddress> ParseHostPort(std::string_view text) {
  std::string host;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return absl::InvalidArgumentError("expected [IPv6]:PORT");
    }
    host = std::string(text.substr(1, close - 1));
    port = std::string(text.substr(close + 2));
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return absl::InvalidArgumentError("expected IP:PORT");
    host = std::string(text.substr(0, colon));
    port = std::string(text.substr(colon + 1));
  }
  int p = 0;
  if (!absl::SimpleAtoi(port, &p) || p < 0 || p > 65535) {
    return absl::InvalidArgumentError("port outside [0, 65535]");
  }
  std::optional<quic::SocketAddress> a = quic::io::ParseIp(host.c_str(), static_cast<uint16_t>(p));
  if (!a.has_value()) return absl::InvalidArgumentError("not an IPv4 or IPv6 address");
  return *a;
}

std::string ImpairUsage() {
  return R"(kite_impair: a UDP relay that impairs the path between QUIC clients and one server.

usage: kite_impair --listen IP:PORT --upstream IP:PORT [impairments] [options]

Clients send to --listen; each client gets its own socket toward --upstream (the server sees
the relay's address, as behind a NAT). Impairments use kite's simulator link model
(quic/sim/in_memory_network.h), one link per client and direction, and apply to both
directions unless given as --up-NAME (client -> server) or --down-NAME (server -> client).

impairments (per datagram unless said otherwise):
  --delay D             one-way propagation delay (RTT = up + down delay), e.g. 50ms
  --jitter D            uniform extra delay in [0, D); never reorders by itself
  --loss P              independent random loss, e.g. 5% or 0.05
  --burst-loss P:N[:L]  Gilbert-Elliott bursts: enter a burst with probability P, mean burst
                        length N datagrams, loss L inside a burst (default 100%)
  --reorder P[:D]       hold a datagram back D more (default 10ms) so later ones pass it
  --duplicate P         deliver twice
  --corrupt P           flip one random bit
  --rate R              bottleneck rate, e.g. 10mbit (default: unlimited)
  --queue S             drop-tail queue in front of the rate: bytes (100kB, 64KiB) or a
                        multiple of the bandwidth-delay product (1bdp; BDP = rate x the
                        up + down delay). Default 96000 bytes
  --mtu N               drop datagrams larger than N bytes (default: no limit)
  --blackhole T+D       drop everything from T to T+D after start (repeatable), e.g. 5s+1s
  --rate-at T:R         change the rate to R at T after start (repeatable)

NAT rebinding (RFC 9000 §9.3), measured from each client's first datagram:
  --rebind-at T         give the client a new upstream address and port at T (repeatable)
  --rebind-every D      ... and every D

options:
  --seed N              seed of the random impairments (default 1): same seed, same choices
  --idle-timeout D      forget a client silent this long (default 2m)
  --max-clients N       (default 1024)
  --stats               print counters on exit (SIGINT/SIGTERM)
  -v, --verbose         log clients, rebinds and expiries to stderr
  -h, --help
)";
}

absl::StatusOr<ImpairFlags> ParseImpairFlags(const std::vector<std::string>& args) {
  ImpairFlags f;
  f.relay.up.mtu = quic::sim::kMaxDatagramSize;
  f.relay.down.mtu = quic::sim::kMaxDatagramSize;
  bool have_listen = false;
  bool have_upstream = false;
  QueueSpec queue_up;
  QueueSpec queue_down;

  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool has_value = false;
    if (flag.rfind("--", 0) == 0 && flag.find('=') != std::string::npos) {
      value = flag.substr(flag.find('=') + 1);
      flag = flag.substr(0, flag.find('='));
      has_value = true;
    }
    auto next = [&]() -> absl::Status {
      if (has_value) return absl::OkStatus();
      if (i + 1 >= args.size()) return Bad(flag, "needs a value");
      value = args[++i];
      has_value = true;
      return absl::OkStatus();
    };

    if (flag == "-h" || flag == "--help") {
      f.help = true;
      return f;
    }
    if (flag == "--stats") {
      f.stats = true;
      continue;
    }
    if (flag == "-v" || flag == "--verbose") {
      f.verbose = true;
      continue;
    }

    // The link flags, with their direction prefix removed.
    Ways ways;
    std::string name = flag;
    if (name.rfind("--up-", 0) == 0) {
      ways.down = false;
      name = "--" + name.substr(5);
    } else if (name.rfind("--down-", 0) == 0) {
      ways.up = false;
      name = "--" + name.substr(7);
    }
    const bool directional = ways.up != ways.down;
    auto each = [&](auto fn) {
      if (ways.up) fn(f.relay.up);
      if (ways.down) fn(f.relay.down);
    };
    auto fail = [&](const absl::Status& s) { return Bad(flag, std::string(s.message())); };

    if (absl::Status s = next(); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown flag or missing value: ", flag));
    }

    if (name == "--delay" || name == "--jitter") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(value);
      if (!d.ok()) return fail(d.status());
      if (*d > quic::sim::kMaxLinkDelay) return Bad(flag, "longer than 1h");
      each([&](quic::sim::LinkConfig& c) { (name == "--delay" ? c.propagation_delay : c.jitter) = *d; });
    } else if (name == "--loss" || name == "--duplicate" || name == "--corrupt") {
      absl::StatusOr<double> p = ParseProbability(value);
      if (!p.ok()) return fail(p.status());
      each([&](quic::sim::LinkConfig& c) {
        (name == "--loss" ? c.loss_probability
         : name == "--duplicate" ? c.duplicate_probability
                                 : c.corrupt_probability) = *p;
      });
    } else if (name == "--burst-loss") {
      // P:N[:L]
      size_t c1 = value.find(':');
      if (c1 == std::string::npos) return Bad(flag, "expected P:N[:L], e.g. 1%:5");
      size_t c2 = value.find(':', c1 + 1);
      absl::StatusOr<double> enter = ParseProbability(value.substr(0, c1));
      if (!enter.ok()) return fail(enter.status());
      double mean = 0;
      if (!absl::SimpleAtod(value.substr(c1 + 1, c2 == std::string::npos ? std::string::npos : c2 - c1 - 1),
                            &mean) ||
          !(mean >= 1.0 && mean <= 1e6)) {
        return Bad(flag, "mean burst length must be a number in [1, 1e6]");
      }
      double in_burst = 1.0;
      if (c2 != std::string::npos) {
        absl::StatusOr<double> l = ParseProbability(value.substr(c2 + 1));
        if (!l.ok()) return fail(l.status());
        in_burst = *l;
      }
      each([&](quic::sim::LinkConfig& c) {
        c.burst_enter_probability = *enter;
        c.burst_exit_probability = 1.0 / mean;
        c.burst_loss_probability = in_burst;
      });
    } else if (name == "--reorder") {
      size_t colon = value.find(':');
      absl::StatusOr<double> p = ParseProbability(value.substr(0, colon));
      if (!p.ok()) return fail(p.status());
      std::optional<absl::Duration> extra;
      if (colon != std::string::npos) {
        absl::StatusOr<absl::Duration> d = ParseDurationValue(value.substr(colon + 1));
        if (!d.ok()) return fail(d.status());
        if (*d > quic::sim::kMaxLinkDelay) return Bad(flag, "longer than 1h");
        extra = *d;
      }
      each([&](quic::sim::LinkConfig& c) {
        c.reorder_probability = *p;
        if (extra.has_value()) c.reorder_delay = *extra;
      });
    } else if (name == "--rate") {
      absl::StatusOr<uint64_t> r = ParseRate(value);
      if (!r.ok()) return fail(r.status());
      each([&](quic::sim::LinkConfig& c) { c.bandwidth_bps = *r; });
    } else if (name == "--queue") {
      QueueSpec q;
      std::string lower = Lower(value);
      if (lower.size() > 3 && lower.compare(lower.size() - 3, 3, "bdp") == 0) {
        double m = 0;
        if (!absl::SimpleAtod(lower.substr(0, lower.size() - 3), &m) || !(m > 0 && m <= 1000)) {
          return Bad(flag, "BDP multiple must be in (0, 1000]");
        }
        q.bdp = m;
      } else {
        absl::StatusOr<uint64_t> b = ParseSize(value);
        if (!b.ok()) return fail(b.status());
        q.bytes = *b;
      }
      if (ways.up) queue_up = q;
      if (ways.down) queue_down = q;
    } else if (name == "--mtu") {
      uint64_t mtu = 0;
      if (!absl::SimpleAtoi(value, &mtu) || mtu < 1 || mtu > quic::sim::kMaxDatagramSize) {
        return Bad(flag, absl::StrCat("must be in [1, ", quic::sim::kMaxDatagramSize, "]"));
      }
      each([&](quic::sim::LinkConfig& c) { c.mtu = static_cast<size_t>(mtu); });
    } else if (name == "--blackhole") {
      size_t plus = value.find('+');
      if (plus == std::string::npos) return Bad(flag, "expected START+LENGTH, e.g. 5s+1s");
      absl::StatusOr<absl::Duration> at = ParseDurationValue(value.substr(0, plus));
      if (!at.ok()) return fail(at.status());
      absl::StatusOr<absl::Duration> len = ParseDurationValue(value.substr(plus + 1));
      if (!len.ok()) return fail(len.status());
      ScheduledChange on;
      on.at = *at;
      on.up = ways.up;
      on.down = ways.down;
      on.blackhole = true;
      ScheduledChange off = on;
      off.at = *at + *len;
      off.blackhole = false;
      f.relay.schedule.push_back(on);
      f.relay.schedule.push_back(off);
    } else if (name == "--rate-at") {
      size_t colon = value.find(':');
      if (colon == std::string::npos) return Bad(flag, "expected TIME:RATE, e.g. 10s:1mbit");
      absl::StatusOr<absl::Duration> at = ParseDurationValue(value.substr(0, colon));
      if (!at.ok()) return fail(at.status());
      absl::StatusOr<uint64_t> r = ParseRate(value.substr(colon + 1));
      if (!r.ok()) return fail(r.status());
      ScheduledChange change;
      change.at = *at;
      change.up = ways.up;
      change.down = ways.down;
      change.bandwidth_bps = *r;
      f.relay.schedule.push_back(change);
    } else if (directional) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", flag));
    } else if (flag == "--listen" || flag == "--upstream") {
      absl::StatusOr<quic::SocketAddress> a = ParseHostPort(value);
      if (!a.ok()) return fail(a.status());
      if (flag == "--listen") {
        f.listen = *a;
        have_listen = true;
      } else {
        if (a->port == 0) return Bad(flag, "needs a port");
        f.upstream = *a;
        have_upstream = true;
      }
    } else if (flag == "--rebind-at") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(value);
      if (!d.ok()) return fail(d.status());
      f.relay.rebind_at.push_back(*d);
    } else if (flag == "--rebind-every") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(value);
      if (!d.ok()) return fail(d.status());
      f.relay.rebind_every = *d;
    } else if (flag == "--seed") {
      if (!absl::SimpleAtoi(value, &f.relay.seed)) return Bad(flag, "not an unsigned integer");
    } else if (flag == "--idle-timeout") {
      absl::StatusOr<absl::Duration> d = ParseDurationValue(value);
      if (!d.ok()) return fail(d.status());
      f.relay.client_idle_timeout = *d;
    } else if (flag == "--max-clients") {
      if (!absl::SimpleAtoi(value, &f.relay.max_clients)) return Bad(flag, "not an unsigned integer");
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag: ", flag));
    }
  }

  if (!have_listen) return absl::InvalidArgumentError("--listen IP:PORT is required");
  if (!have_upstream) return absl::InvalidArgumentError("--upstream IP:PORT is required");

  // Queue limits, now that rates and delays are known.
  const absl::Duration rtt = f.relay.up.propagation_delay + f.relay.down.propagation_delay;
  auto resolve = [&](const QueueSpec& q, quic::sim::LinkConfig& c, const char* way) -> absl::Status {
    if (q.bytes.has_value()) c.queue_capacity_bytes = *q.bytes;
    if (q.bdp.has_value()) {
      if (c.bandwidth_bps == 0) {
        return absl::InvalidArgumentError(absl::StrCat("--queue in BDP needs a --rate (", way, ")"));
      }
      double bdp = static_cast<double>(c.bandwidth_bps) / 8.0 * absl::ToDoubleSeconds(rtt);
      c.queue_capacity_bytes = static_cast<uint64_t>(std::llround(*q.bdp * bdp));
      if (c.queue_capacity_bytes > quic::sim::kMaxQueueCapacityBytes) {
        return absl::InvalidArgumentError("--queue: BDP queue too large");
      }
    }
    return absl::OkStatus();
  };
  if (absl::Status s = resolve(queue_up, f.relay.up, "up"); !s.ok()) return s;
  if (absl::Status s = resolve(queue_down, f.relay.down, "down"); !s.ok()) return s;
  if (absl::Status s = ValidateRelayOptions(f.relay); !s.ok()) return s;
  return f;
}

}  // namespace kite::tools::impair
