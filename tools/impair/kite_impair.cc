// kite_impair: a userspace network impairment relay for QUIC testing (this machine's kernel has
// no netem). The I/O shell around tools/impair/relay.h: a listen socket for clients, one
// connected socket per client toward the upstream server, ppoll with the relay's next wakeup as
// the timeout, the wall clock. See ImpairUsage() (tools/impair/impair_flags.cc) or --help.
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "quic/io/sockaddr.h"
#include "tools/impair/impair_flags.h"
#include "tools/impair/relay.h"

namespace kite::tools::impair {
namespace {

std::atomic<bool> g_stop{false};

void OnSignal(int) { g_stop.store(true); }

// Datagrams read from one socket per loop iteration, so one busy direction cannot starve the
// other or the timers.
constexpr int kMaxReadsPerSocket = 256;
// Large socket buffers: a QUIC sender's burst (a GSO train of up to 64 datagrams) must not be
// dropped by the relay's own sockets before the link model sees it.
constexpr int kSocketBufferBytes = 8 << 20;
// The largest UDP payload; a bigger read buffer is never needed.
constexpr size_t kReadBufferSize = 65536;

struct IoStats {
  uint64_t send_errors = 0;      // sendto failed (buffer full, ICMP error reported, ...)
  uint64_t upstream_open_failures = 0;
};

int OpenUdp(const quic::SocketAddress& local, bool* ok) {
  *ok = false;
  int fd = socket(local.ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int size = kSocketBufferBytes;
  // Best effort: the kernel caps these at net.core.[rw]mem_max.
  (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  sockaddr_storage ss;
  socklen_t len = quic::io::ToSockaddr(local, local.ipv6, &ss);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    close(fd);
    return -1;
  }
  *ok = true;
  return fd;
}

quic::SocketAddress LocalOf(int fd) {
  sockaddr_storage ss;
  socklen_t len = sizeof(ss);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {};
  return quic::io::FromSockaddr(reinterpret_cast<sockaddr*>(&ss), len).value_or(quic::SocketAddress{});
}

void PrintLinkStats(const char* name, const quic::sim::LinkStats& s) {
  std::fprintf(stderr,
               "kite_impair: %s: sent=%llu (%llu bytes) delivered=%llu (%llu bytes) lost=%llu "
               "queue_drops=%llu mtu_drops=%llu blackholed=%llu duplicated=%llu reordered=%llu "
               "corrupted=%llu max_queue=%llu bytes\n",
               name, static_cast<unsigned long long>(s.sent),
               static_cast<unsigned long long>(s.bytes_sent),
               static_cast<unsigned long long>(s.delivered),
               static_cast<unsigned long long>(s.bytes_delivered),
               static_cast<unsigned long long>(s.dropped_loss),
               static_cast<unsigned long long>(s.dropped_queue),
               static_cast<unsigned long long>(s.dropped_mtu),
               static_cast<unsigned long long>(s.dropped_blackhole),
               static_cast<unsigned long long>(s.duplicated),
               static_cast<unsigned long long>(s.reordered),
               static_cast<unsigned long long>(s.corrupted),
               static_cast<unsigned long long>(s.max_queue_bytes));
}

int Main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  absl::StatusOr<ImpairFlags> parsed = ParseImpairFlags(args);
  if (!parsed.ok()) {
    std::fprintf(stderr, "kite_impair: %s\n(see kite_impair --help)\n",
                 std::string(parsed.status().message()).c_str());
    return 2;
  }
  const ImpairFlags& f = *parsed;
  if (f.help) {
    std::fputs(ImpairUsage().c_str(), stdout);
    return 0;
  }

  bool ok = false;
  const int listen_fd = OpenUdp(f.listen, &ok);
  if (!ok) {
    std::fprintf(stderr, "kite_impair: cannot bind %s: %s\n", f.listen.ToString().c_str(),
                 std::strerror(errno));
    return 1;
  }
  sockaddr_storage upstream_ss;
  const socklen_t upstream_len = quic::io::ToSockaddr(f.upstream, f.upstream.ipv6, &upstream_ss);
  // Upstream sockets bind the wildcard of the server's family, port 0: each rebinding gets a
  // fresh ephemeral port from the kernel, which is what the server sees change.
  quic::SocketAddress upstream_local;
  upstream_local.ipv6 = f.upstream.ipv6;

  absl::StatusOr<std::unique_ptr<Relay>> created = Relay::Create(f.relay, absl::Now());
  if (!created.ok()) {
    std::fprintf(stderr, "kite_impair: %s\n", std::string(created.status().message()).c_str());
    return 2;
  }
  Relay& relay = **created;

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  std::fprintf(stderr, "kite_impair: listening on %s, upstream %s\n",
               LocalOf(listen_fd).ToString().c_str(), f.upstream.ToString().c_str());

  absl::flat_hash_map<uint64_t, int> upstream_fds;
  IoStats io;
  std::vector<uint8_t> buffer(kReadBufferSize);
  std::vector<pollfd> fds;
  std::vector<uint64_t> fd_upstream;  // upstream id of fds[i], i >= 1

  auto carry_out = [&]() {
    for (RelayAction& a : relay.TakeActions()) {
      switch (a.kind) {
        case RelayAction::Kind::kOpenUpstream: {
          bool opened = false;
          int fd = OpenUdp(upstream_local, &opened);
          if (opened && connect(fd, reinterpret_cast<sockaddr*>(&upstream_ss), upstream_len) != 0) {
            close(fd);
            opened = false;
          }
          if (!opened) {
            ++io.upstream_open_failures;
            std::fprintf(stderr, "kite_impair: cannot open an upstream socket: %s\n",
                         std::strerror(errno));
            break;
          }
          upstream_fds[a.upstream] = fd;
          if (f.verbose) {
            std::fprintf(stderr, "kite_impair: %s now reaches the server from %s\n",
                         a.client.ToString().c_str(), LocalOf(fd).ToString().c_str());
          }
          break;
        }
        case RelayAction::Kind::kCloseUpstream: {
          auto it = upstream_fds.find(a.upstream);
          if (it != upstream_fds.end()) {
            close(it->second);
            upstream_fds.erase(it);
          }
          break;
        }
        case RelayAction::Kind::kSendToServer: {
          auto it = upstream_fds.find(a.upstream);
          if (it == upstream_fds.end() || send(it->second, a.bytes.data(), a.bytes.size(), 0) < 0) {
            ++io.send_errors;
          }
          break;
        }
        case RelayAction::Kind::kSendToClient: {
          sockaddr_storage ss;
          socklen_t len = quic::io::ToSockaddr(a.client, f.listen.ipv6, &ss);
          if (sendto(listen_fd, a.bytes.data(), a.bytes.size(), 0,
                     reinterpret_cast<sockaddr*>(&ss), len) < 0) {
            ++io.send_errors;
          }
          break;
        }
      }
    }
  };

  while (!g_stop.load()) {
    fds.clear();
    fd_upstream.clear();
    fds.push_back(pollfd{listen_fd, POLLIN, 0});
    for (const auto& [id, fd] : upstream_fds) {
      fds.push_back(pollfd{fd, POLLIN, 0});
      fd_upstream.push_back(id);
    }
    // Wake for the next delivery or event; at least once a second to notice signals promptly
    // even if one slips between the check above and ppoll.
    absl::Duration wait = absl::Seconds(1);
    if (std::optional<absl::Time> t = relay.NextWakeup()) {
      wait = std::min(wait, std::max(absl::ZeroDuration(), *t - absl::Now()));
    }
    timespec ts = absl::ToTimespec(wait);
    int n = ppoll(fds.data(), fds.size(), &ts, nullptr);
    if (n < 0 && errno != EINTR) {
      std::fprintf(stderr, "kite_impair: ppoll: %s\n", std::strerror(errno));
      break;
    }
    if (n > 0) {
      // Clients.
      if (fds[0].revents & POLLIN) {
        for (int i = 0; i < kMaxReadsPerSocket; ++i) {
          sockaddr_storage from;
          socklen_t from_len = sizeof(from);
          ssize_t got = recvfrom(listen_fd, buffer.data(), buffer.size(), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_len);
          if (got < 0) break;
          std::optional<quic::SocketAddress> client =
              quic::io::FromSockaddr(reinterpret_cast<sockaddr*>(&from), from_len);
          if (!client.has_value()) continue;
          const uint64_t before = relay.clients_seen();
          relay.OnClientDatagram(absl::Now(), *client,
                                 absl::MakeConstSpan(buffer.data(), static_cast<size_t>(got)));
          if (f.verbose && relay.clients_seen() != before) {
            std::fprintf(stderr, "kite_impair: new client %s\n", client->ToString().c_str());
          }
          carry_out();
        }
      }
      // The server, on each client's socket.
      for (size_t i = 1; i < fds.size(); ++i) {
        if ((fds[i].revents & (POLLIN | POLLERR)) == 0) continue;
        // A socket closed by an earlier rebind in this iteration, its fd number possibly reused.
        auto it = upstream_fds.find(fd_upstream[i - 1]);
        if (it == upstream_fds.end() || it->second != fds[i].fd) continue;
        for (int r = 0; r < kMaxReadsPerSocket; ++r) {
          ssize_t got = recv(fds[i].fd, buffer.data(), buffer.size(), 0);
          if (got < 0) {
            // ECONNREFUSED (the server is not up yet) is reported once per ICMP error; keep
            // reading past it, stop on EAGAIN.
            if (errno == ECONNREFUSED) continue;
            break;
          }
          relay.OnServerDatagram(absl::Now(), fd_upstream[i - 1],
                                 absl::MakeConstSpan(buffer.data(), static_cast<size_t>(got)));
        }
        carry_out();
      }
    }
    relay.Advance(absl::Now());
    carry_out();
  }

  if (f.stats) {
    RelayStats s = relay.stats();
    std::fprintf(stderr,
                 "kite_impair: clients=%llu expired=%llu rebinds=%llu client_limit_drops=%llu "
                 "stale_upstream_drops=%llu send_errors=%llu upstream_open_failures=%llu\n",
                 static_cast<unsigned long long>(s.clients),
                 static_cast<unsigned long long>(s.clients_expired),
                 static_cast<unsigned long long>(s.rebinds),
                 static_cast<unsigned long long>(s.dropped_client_limit),
                 static_cast<unsigned long long>(s.dropped_unknown_upstream),
                 static_cast<unsigned long long>(io.send_errors),
                 static_cast<unsigned long long>(io.upstream_open_failures));
    PrintLinkStats("up (client -> server)", s.up);
    PrintLinkStats("down (server -> client)", s.down);
  }
  for (const auto& [id, fd] : upstream_fds) close(fd);
  close(listen_fd);
  return 0;
}

}  // namespace
}  // namespace kite::tools::impair

int main(int argc, char** argv) { return kite::tools::impair::Main(argc, argv); }
