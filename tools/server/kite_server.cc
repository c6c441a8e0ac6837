// kite_server: an HTTP/3 server on a UDP socket, serving a directory and /bytes/N.
//
//   kite_server [--addr 127.0.0.1] [--port 4433] [--root DIR] [--cert F --key F | --cert-out F]
//               [--alpn h3] [--0rtt] [--retry] [--cc newreno|cubic|bbr|bbr1] [--qlog-dir D]
//               [--keylog F] [--ticket-key-file F] [--ticket-key-rotation 12h] [--workers N]
//               [--version 1|2] [-v]
//
// --workers N runs N worker threads on the one port (SO_REUSEPORT), each owning its
// connections; connection IDs name their worker so datagrams reach it after a client migrates.
//
// The certificate and key files are re-read when they change (polled every second) or on
// SIGHUP; handshakes that start afterwards use the new pair, established connections go on.
// SIGINT/SIGTERM close every connection (H3_NO_ERROR) and exit.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "congestion/registry.h"
#include "http3/endpoint/file_server_handler.h"
#include "http3/endpoint/secure_random.h"
#include "http3/endpoint/server_endpoint.h"
#include "http3/endpoint/server_workers.h"
#include "quic/io/event_loop.h"
#include "quic/io/sockaddr.h"
#include "quic/io/worker_pool.h"
#include "tls/key_log.h"
#include "tls/self_signed_certificate.h"
#include "tls/tls_context.h"

namespace kite::tools {
namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_reload{false};

void OnSignal(int sig) {
  if (sig == SIGHUP) {
    g_reload.store(true);
  } else {
    g_stop.store(true);
  }
}

struct Flags {
  std::string addr = "127.0.0.1";
  uint16_t port = 4433;
  std::string root;
  std::string cert;
  std::string key;
  std::string cert_out = "kite_server_cert.pem";
  std::string alpn = "h3";
  bool zero_rtt = false;
  bool retry = false;
  std::string cc = "newreno";
  std::string qlog_dir;
  std::string keylog;
  std::string ticket_key_file;
  absl::Duration ticket_key_rotation = absl::Hours(12);
  int workers = 1;
  int version = 1;
  bool verbose = false;
};

void Usage() {
  std::fprintf(stderr,
               "usage: kite_server [--addr IP] [--port N] [--root DIR] [--cert FILE --key FILE]\n"
               "                   [--cert-out FILE] [--alpn h3] [--0rtt] [--retry] [--cc NAME]\n"
               "                   [--qlog-dir DIR] [--keylog FILE] [--ticket-key-file FILE]\n"
               "                   [--ticket-key-rotation DURATION] [--workers N] [--version 1|2] "
               "[-v]\n");
}

bool ParseFlags(int argc, char** argv, Flags* f) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string value;
    bool has_inline = false;
    if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
      value = a.substr(a.find('=') + 1);
      a = a.substr(0, a.find('='));
      has_inline = true;
    }
    auto next = [&](std::string* out) {
      if (has_inline) {
        *out = value;
        return true;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "kite_server: %s needs a value\n", a.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-v" || a == "--verbose") {
      f->verbose = true;
    } else if (a == "--0rtt") {
      f->zero_rtt = true;
    } else if (a == "--retry") {
      f->retry = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      std::exit(0);
    } else if (a == "--addr") {
      if (!next(&f->addr)) return false;
    } else if (a == "--port") {
      int p = 0;
      if (!next(&v) || !absl::SimpleAtoi(v, &p) || p < 0 || p > 65535) return false;
      f->port = static_cast<uint16_t>(p);
    } else if (a == "--root") {
      if (!next(&f->root)) return false;
    } else if (a == "--cert") {
      if (!next(&f->cert)) return false;
    } else if (a == "--key") {
      if (!next(&f->key)) return false;
    } else if (a == "--cert-out") {
      if (!next(&f->cert_out)) return false;
    } else if (a == "--alpn") {
      if (!next(&f->alpn)) return false;
    } else if (a == "--cc") {
      if (!next(&f->cc)) return false;
    } else if (a == "--qlog-dir") {
      if (!next(&f->qlog_dir)) return false;
    } else if (a == "--keylog") {
      if (!next(&f->keylog)) return false;
    } else if (a == "--ticket-key-file") {
      if (!next(&f->ticket_key_file)) return false;
    } else if (a == "--ticket-key-rotation") {
      if (!next(&v) || !absl::ParseDuration(v, &f->ticket_key_rotation) ||
          f->ticket_key_rotation <= absl::ZeroDuration()) {
        std::fprintf(stderr, "kite_server: bad --ticket-key-rotation (e.g. 12h, 30m)\n");
        return false;
      }
    } else if (a == "--workers") {
      if (!next(&v) || !absl::SimpleAtoi(v, &f->workers) || f->workers < 1) return false;
    } else if (a == "--version") {
      if (!next(&v) || !absl::SimpleAtoi(v, &f->version) || (f->version != 1 && f->version != 2)) {
        std::fprintf(stderr, "kite_server: --version is 1 or 2\n");
        return false;
      }
    } else {
      std::fprintf(stderr, "kite_server: unknown flag %s\n", a.c_str());
      return false;
    }
  }
  return true;
}

void Log(const std::string& line) { std::fprintf(stderr, "kite_server: %s\n", line.c_str()); }

bool WriteFileAtomically(const std::string& path, const std::string& bytes, mode_t mode) {
  std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) return false;
  bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
  ok = std::fclose(f) == 0 && ok;
  if (ok) chmod(tmp.c_str(), mode);
  return ok && std::rename(tmp.c_str(), path.c_str()) == 0;
}

std::optional<std::string> ReadSmallFile(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (s.size() > max) return std::nullopt;
  return s;
}

// Session-ticket keys (RFC 8446 §4.6.1 tickets are sealed with them): 48 bytes kept in a file so
// tickets survive restarts, replaced when older than the rotation period.
class TicketKeys {
 public:
  TicketKeys(std::string path, absl::Duration rotation) : path_(std::move(path)), rotation_(rotation) {}

  // Loads or creates the keys; rotates if the file is older than the period.
  bool Init(tls::TlsServerContext* tls, absl::Time now) {
    struct stat sb {};
    std::optional<std::string> bytes = ReadSmallFile(path_, 4096);
    if (bytes.has_value() && bytes->size() == tls::kTicketKeysLength &&
        stat(path_.c_str(), &sb) == 0) {
      absl::Time written = absl::FromUnixSeconds(sb.st_mtime);
      if (now - written < rotation_) {
        next_rotation_ = written + rotation_;
        Log(absl::StrCat("session-ticket keys loaded from ", path_));
        return tls->SetTicketKeys(absl::MakeConstSpan(
                                      reinterpret_cast<const uint8_t*>(bytes->data()),
                                      bytes->size()))
            .ok();
      }
    } else if (bytes.has_value()) {
      Log(absl::StrCat(path_, " does not hold ", tls::kTicketKeysLength, " bytes; replacing it"));
    }
    return Rotate(tls, now);
  }

  bool Rotate(tls::TlsServerContext* tls, absl::Time now) {
    std::vector<uint8_t> keys = http3::SecureRandomVector(tls::kTicketKeysLength);
    if (!WriteFileAtomically(path_, std::string(keys.begin(), keys.end()), 0600)) {
      Log(absl::StrCat("cannot write ", path_));
      return false;
    }
    next_rotation_ = now + rotation_;
    Log(absl::StrCat("session-ticket keys rotated (", path_, ")"));
    return tls->SetTicketKeys(keys).ok();
  }

  absl::Time next_rotation() const { return next_rotation_; }

 private:
  std::string path_;
  absl::Duration rotation_;
  absl::Time next_rotation_ = absl::InfiniteFuture();
};

int64_t FileStamp(const std::string& path) {
  struct stat sb {};
  if (stat(path.c_str(), &sb) != 0) return -1;
  int64_t stamp = static_cast<int64_t>(sb.st_mtim.tv_sec) * 1000000000 + sb.st_mtim.tv_nsec;
  stamp ^= static_cast<int64_t>(sb.st_size) << 1;
  stamp ^= static_cast<int64_t>(sb.st_ino) << 7;
  return stamp;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    Usage();
    return 2;
  }
  std::string known;
  for (const std::string& n : congestion::RegisteredControllers()) absl::StrAppend(&known, " ", n);
  if (!congestion::IsRegisteredController(f.cc)) {
    std::fprintf(stderr, "kite_server: unknown --cc %s (have:%s)\n", f.cc.c_str(), known.c_str());
    return 2;
  }
  if (f.workers > static_cast<int>(quic::io::kMaxWorkers)) {
    std::fprintf(stderr, "kite_server: --workers is at most %zu\n", quic::io::kMaxWorkers);
    return 2;
  }
  std::optional<quic::SocketAddress> local = quic::io::ParseIp(f.addr.c_str(), f.port);
  if (!local.has_value()) {
    std::fprintf(stderr, "kite_server: --addr %s is not an IPv4 or IPv6 address\n", f.addr.c_str());
    return 2;
  }

  tls::ServerOptions so;
  so.alpn = {f.alpn};
  so.enable_early_data = f.zero_rtt;
  const bool generated = f.cert.empty() || f.key.empty();
  if (generated) {
    tls::SelfSignedOptions sso;
    sso.dns_names = {"localhost"};
    sso.ip_addresses = {"127.0.0.1", "::1"};
    absl::StatusOr<tls::SelfSignedCertificate> cert = tls::GenerateSelfSignedCertificate(sso);
    if (!cert.ok()) {
      std::fprintf(stderr, "kite_server: %s\n", cert.status().ToString().c_str());
      return 1;
    }
    so.certificate.chain_pem = cert->certificate_pem;
    so.certificate.key_pem = cert->private_key_pem;
    if (!WriteFileAtomically(f.cert_out, cert->certificate_pem, 0644)) {
      std::fprintf(stderr, "kite_server: cannot write %s\n", f.cert_out.c_str());
      return 1;
    }
    Log(absl::StrCat("generated a self-signed certificate for localhost; clients trust it with "
                     "--ca ",
                     f.cert_out));
  } else {
    so.certificate.chain_file = f.cert;
    so.certificate.key_file = f.key;
  }
  std::string keylog = f.keylog;
  if (keylog.empty() && std::getenv("SSLKEYLOGFILE") != nullptr) keylog = std::getenv("SSLKEYLOGFILE");
  if (!keylog.empty()) {
    absl::StatusOr<std::shared_ptr<tls::KeyLogFile>> kl = tls::KeyLogFile::Open(keylog);
    if (!kl.ok()) {
      std::fprintf(stderr, "kite_server: keylog: %s\n", kl.status().ToString().c_str());
      return 1;
    }
    so.key_log = tls::KeyLogFile::AsSink(*kl);
  }
  absl::StatusOr<std::unique_ptr<tls::TlsServerContext>> tls = tls::TlsServerContext::Create(so);
  if (!tls.ok()) {
    std::fprintf(stderr, "kite_server: TLS: %s\n", tls.status().ToString().c_str());
    return 1;
  }

  absl::StatusOr<std::unique_ptr<quic::io::EventLoop>> loop = quic::io::EventLoop::Create();
  if (!loop.ok()) {
    std::fprintf(stderr, "kite_server: %s\n", loop.status().ToString().c_str());
    return 1;
  }
  quic::io::EventLoop& ev = **loop;

  std::unique_ptr<TicketKeys> ticket_keys;
  if (!f.ticket_key_file.empty()) {
    ticket_keys = std::make_unique<TicketKeys>(f.ticket_key_file, f.ticket_key_rotation);
    if (!ticket_keys->Init(tls->get(), absl::Now())) return 1;
  }

  http3::ServerEndpointOptions eo;
  eo.local = *local;
  eo.retry = f.retry;
  eo.qlog_dir = f.qlog_dir;
  eo.verbose = f.verbose;
  eo.log = Log;
  eo.connection.version = f.version == 2 ? quic::kQuicVersion2 : quic::kQuicVersion1;
  eo.connection.congestion_controller = f.cc;
  eo.connection.max_datagram_size = 1452;
  eo.connection.initial_max_data = 16 << 20;
  eo.connection.initial_max_stream_data_bidi_remote = 4 << 20;
  eo.connection.initial_max_stream_data_bidi_local = 4 << 20;
  eo.socket.receive_buffer_bytes = 4 << 20;
  eo.socket.send_buffer_bytes = 4 << 20;
  http3::FileServerOptions fo;
  fo.root = f.root;
  http3::ServerEndpoint::HandlerFactory handlers = [fo] {
    return std::make_unique<http3::FileServerHandler>(fo);
  };
  // One endpoint on this thread, or --workers endpoints on their own threads.
  std::unique_ptr<http3::ServerEndpoint> single;
  std::unique_ptr<http3::ServerWorkers> workers;
  quic::SocketAddress bound;
  if (f.workers <= 1) {
    absl::StatusOr<std::unique_ptr<http3::ServerEndpoint>> server =
        http3::ServerEndpoint::Create(&ev, tls->get(), handlers, eo);
    if (!server.ok()) {
      std::fprintf(stderr, "kite_server: %s\n", server.status().ToString().c_str());
      return 1;
    }
    single = std::move(*server);
    bound = single->local_address();
  } else {
    http3::ServerWorkersOptions wo;
    wo.workers = static_cast<size_t>(f.workers);
    wo.endpoint = eo;
    absl::StatusOr<std::unique_ptr<http3::ServerWorkers>> server =
        http3::ServerWorkers::Create(tls->get(), handlers, wo);
    if (!server.ok()) {
      std::fprintf(stderr, "kite_server: %s\n", server.status().ToString().c_str());
      return 1;
    }
    workers = std::move(*server);
    bound = workers->local_address();
  }
  Log(absl::StrCat("listening on ", bound.ToString(), " alpn=", f.alpn,
                   " root=", f.root.empty() ? "(none)" : f.root, " 0rtt=", f.zero_rtt ? "on" : "off",
                   " retry=", f.retry ? "on" : "off", " cc=", f.cc, " workers=", f.workers));

  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Housekeeping once a second: signals, certificate changes, ticket-key rotation.
  int64_t cert_stamp = generated ? 0 : FileStamp(f.cert) ^ (FileStamp(f.key) << 3);
  quic::io::TimerId tick = quic::io::kInvalidTimerId;
  tick = ev.AddTimer([&] {
    bool reload = g_reload.exchange(false);
    if (!generated) {
      int64_t stamp = FileStamp(f.cert) ^ (FileStamp(f.key) << 3);
      if (stamp != cert_stamp) {
        cert_stamp = stamp;
        reload = true;
      }
    }
    if (reload && !generated) {
      tls::CertificateConfig cc;
      cc.chain_file = f.cert;
      cc.key_file = f.key;
      absl::Status st = (*tls)->ReloadCertificates(cc, {});
      Log(st.ok() ? std::string("certificate reloaded; new handshakes use it")
                  : absl::StrCat("certificate reload failed (keeping the old one): ", st.ToString()));
    }
    if (ticket_keys != nullptr && ev.Now() >= ticket_keys->next_rotation()) {
      ticket_keys->Rotate(tls->get(), absl::Now());
    }
    if (g_stop.load()) {
      ev.Stop();
      return;
    }
    ev.ArmTimer(tick, ev.Now() + absl::Milliseconds(200));
  });
  ev.ArmTimer(tick, ev.Now() + absl::Milliseconds(200));
  if (workers != nullptr) workers->Start();
  ev.Run();

  Log("shutting down");
  http3::ServerEndpointStats st;
  if (single != nullptr) {
    single->CloseAll();
    absl::Time give_up = absl::Now() + absl::Seconds(1);
    while (single->connection_count() > 0 && absl::Now() < give_up) {
      ev.RunOnce(absl::Milliseconds(20));
    }
    st = single->stats();
  } else {
    workers->CloseAll(absl::Seconds(1));
    std::vector<http3::ServerEndpointStats> each = workers->Stats();
    workers->Stop();
    std::string spread;
    for (size_t i = 0; i < each.size(); ++i) {
      const http3::ServerEndpointStats& w = each[i];
      st.connections_accepted += w.connections_accepted;
      st.retries_sent += w.retries_sent;
      st.version_negotiations_sent += w.version_negotiations_sent;
      st.stateless_resets_sent += w.stateless_resets_sent;
      st.early_data_accepted += w.early_data_accepted;
      st.new_tokens_accepted += w.new_tokens_accepted;
      absl::StrAppend(&spread, i == 0 ? "" : " ", "w", i, ":connections=", w.connections_accepted,
                      ",forwarded_in=", workers->worker(i).forwarded_in());
    }
    Log(absl::StrCat("per worker: ", spread));
  }
  Log(absl::StrCat("connections=", st.connections_accepted, " retries=", st.retries_sent,
                   " new_tokens_accepted=", st.new_tokens_accepted,
                   " version_negotiations=", st.version_negotiations_sent,
                   " stateless_resets=", st.stateless_resets_sent,
                   " 0rtt_accepted=", st.early_data_accepted));
  ev.RemoveTimer(tick);
  return 0;
}

}  // namespace
}  // namespace kite::tools

int main(int argc, char** argv) { return kite::tools::Main(argc, argv); }
