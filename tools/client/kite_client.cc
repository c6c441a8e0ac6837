// kite_client: a curl-like HTTP/3 client. All URLs are fetched concurrently on one connection
// (they must name the same host and port).
//
//   kite_client [flags] URL...
//     -X METHOD            request method (default GET; POST when -d is given)
//     -d DATA | -d @FILE   request body
//     -o FILE              write the body of the next URL to FILE (repeatable, in URL order)
//     -O                   write each body to --out-dir under the URL's last path segment
//     --out-dir DIR        (default .)
//     --sha256             print "<sha256>  <url>" per body (bodies then go to stdout only with -o -)
//     --fail               exit non-zero on an HTTP status >= 400
//     --0rtt               send the requests in 0-RTT when --session-file holds a ticket
//     --session-file FILE  read a resumption ticket and a NEW_TOKEN address token (RFC 9000
//                          §8.1.3, put in the first Initial so a server doing Retry can skip it)
//                          from FILE, and store the newest ones there
//     --ca FILE | --insecure
//     --cc NAME  --qlog-dir DIR  --keylog FILE (or SSLKEYLOGFILE)  --alpn h3
//     --migrate-after BYTES     move to a new local port after BYTES of response bodies
//     --key-update-after PACKETS
//     --version 1|2  --timeout SECONDS  -v
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "congestion/registry.h"
#include "http3/endpoint/client_endpoint.h"
#include "http3/endpoint/connection_summary.h"
#include "quic/io/event_loop.h"
#include "quic/io/sockaddr.h"
#include "tls/key_log.h"
#include "tls/tls_context.h"

namespace kite::tools {
namespace {

struct Url {
  std::string text;
  std::string host;  // without brackets
  uint16_t port = 443;
  std::string path = "/";
  std::string authority;
};

struct Flags {
  std::string method;
  std::optional<std::string> data;
  std::vector<std::string> outputs;
  bool remote_name = false;
  std::string out_dir = ".";
  bool sha256 = false;
  bool fail = false;
  bool zero_rtt = false;
  std::string session_file;
  std::string ca;
  bool insecure = false;
  std::string cc = "newreno";
  std::string qlog_dir;
  std::string keylog;
  std::string alpn = "h3";
  uint64_t migrate_after = 0;
  uint64_t key_update_after = 0;
  int version = 1;
  double timeout_s = 30;
  bool verbose = false;
  std::vector<std::string> urls;
};

void Usage() {
  std::fprintf(stderr,
               "usage: kite_client [-X METHOD] [-d DATA|@FILE] [-o FILE]... [-O [--out-dir DIR]]\n"
               "                   [--sha256] [--fail] [--0rtt] [--session-file FILE]\n"
               "                   [--ca FILE | --insecure] [--cc NAME] [--qlog-dir DIR]\n"
               "                   [--keylog FILE] [--alpn h3] [--migrate-after BYTES]\n"
               "                   [--key-update-after PACKETS] [--version 1|2] [--timeout S] [-v]\n"
               "                   URL...\n");
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
        std::fprintf(stderr, "kite_client: %s needs a value\n", a.c_str());
        return false;
      }
      *out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "-v" || a == "--verbose") {
      f->verbose = true;
    } else if (a == "-h" || a == "--help") {
      Usage();
      std::exit(0);
    } else if (a == "-X" || a == "--request") {
      if (!next(&f->method)) return false;
    } else if (a == "-d" || a == "--data") {
      if (!next(&v)) return false;
      f->data = v;
    } else if (a == "-o" || a == "--output") {
      if (!next(&v)) return false;
      f->outputs.push_back(v);
    } else if (a == "-O" || a == "--remote-name") {
      f->remote_name = true;
    } else if (a == "--out-dir") {
      if (!next(&f->out_dir)) return false;
    } else if (a == "--sha256") {
      f->sha256 = true;
    } else if (a == "--fail" || a == "-f") {
      f->fail = true;
    } else if (a == "--0rtt") {
      f->zero_rtt = true;
    } else if (a == "--session-file") {
      if (!next(&f->session_file)) return false;
    } else if (a == "--ca") {
      if (!next(&f->ca)) return false;
    } else if (a == "--insecure" || a == "-k") {
      f->insecure = true;
    } else if (a == "--cc") {
      if (!next(&f->cc)) return false;
    } else if (a == "--qlog-dir") {
      if (!next(&f->qlog_dir)) return false;
    } else if (a == "--keylog") {
      if (!next(&f->keylog)) return false;
    } else if (a == "--alpn") {
      if (!next(&f->alpn)) return false;
    } else if (a == "--migrate-after") {
      if (!next(&v) || !absl::SimpleAtoi(v, &f->migrate_after)) return false;
    } else if (a == "--key-update-after") {
      if (!next(&v) || !absl::SimpleAtoi(v, &f->key_update_after)) return false;
    } else if (a == "--version") {
      if (!next(&v) || !absl::SimpleAtoi(v, &f->version) || (f->version != 1 && f->version != 2)) {
        std::fprintf(stderr, "kite_client: --version is 1 or 2\n");
        return false;
      }
    } else if (a == "--timeout") {
      if (!next(&v) || !absl::SimpleAtod(v, &f->timeout_s) || f->timeout_s <= 0) return false;
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "kite_client: unknown flag %s\n", a.c_str());
      return false;
    } else {
      f->urls.push_back(a);
    }
  }
  return !f->urls.empty();
}

std::optional<Url> ParseUrl(const std::string& text) {
  const std::string scheme = "https://";
  if (text.rfind(scheme, 0) != 0) return std::nullopt;
  Url u;
  u.text = text;
  std::string rest = text.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.path = slash == std::string::npos ? "/" : rest.substr(slash);
  u.authority = authority;
  std::string port;
  if (!authority.empty() && authority[0] == '[') {
    size_t close = authority.find(']');
    if (close == std::string::npos) return std::nullopt;
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return std::nullopt;
      port = authority.substr(close + 2);
    }
  } else {
    size_t colon = authority.find(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return std::nullopt;
  if (!port.empty()) {
    int p = 0;
    if (!absl::SimpleAtoi(port, &p) || p <= 0 || p > 65535) return std::nullopt;
    u.port = static_cast<uint16_t>(p);
  }
  return u;
}

// An IP literal as is; a name through the resolver, IPv4 preferred (a server on 127.0.0.1 is the
// common case for "localhost").
std::optional<quic::SocketAddress> Resolve(const Url& u) {
  if (std::optional<quic::SocketAddress> ip = quic::io::ParseIp(u.host.c_str(), u.port)) return ip;
  addrinfo hints{};
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(u.host.c_str(), nullptr, &hints, &res) != 0) return std::nullopt;
  std::optional<quic::SocketAddress> v4, v6;
  for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
    std::optional<quic::SocketAddress> a = quic::io::FromSockaddr(ai->ai_addr, ai->ai_addrlen);
    if (!a.has_value()) continue;
    a->port = u.port;
    if (!a->ipv6 && !v4) v4 = a;
    if (a->ipv6 && !v6) v6 = a;
  }
  freeaddrinfo(res);
  return v4.has_value() ? v4 : v6;
}

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The --session-file: what a later connection to the same server reuses. "kite-session 1\n",
// then the resumption ticket and the NEW_TOKEN token, each behind a 4-byte big-endian length.
// A file without the header (an older kite_client's) is a bare ticket.
constexpr char kSessionMagic[] = "kite-session 1\n";
constexpr size_t kMaxSessionPart = 64 << 10;

struct SessionFile {
  std::vector<uint8_t> ticket;
  std::vector<uint8_t> token;
};

SessionFile ParseSessionFile(const std::string& bytes) {
  SessionFile s;
  const std::string magic(kSessionMagic);
  if (bytes.compare(0, magic.size(), magic) != 0) {
    s.ticket.assign(bytes.begin(), bytes.end());
    return s;
  }
  size_t pos = magic.size();
  auto part = [&](std::vector<uint8_t>* out) {
    if (bytes.size() - pos < 4) return false;
    size_t len = 0;
    for (int i = 0; i < 4; ++i) len = (len << 8) | static_cast<uint8_t>(bytes[pos + i]);
    pos += 4;
    if (len > kMaxSessionPart || bytes.size() - pos < len) return false;
    out->assign(bytes.begin() + pos, bytes.begin() + pos + len);
    pos += len;
    return true;
  };
  // A damaged file resumes nothing rather than something half-read.
  if (!part(&s.ticket) || !part(&s.token)) return SessionFile{};
  return s;
}

std::string SerializeSessionFile(const SessionFile& s) {
  std::string out(kSessionMagic);
  for (const std::vector<uint8_t>* p : {&s.ticket, &s.token}) {
    const size_t len = p->size();
    for (int i = 3; i >= 0; --i) out.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
    out.append(p->begin(), p->end());
  }
  return out;
}

std::string Hex(const std::array<uint8_t, 32>& d) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  for (uint8_t b : d) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 0xf]);
  }
  return s;
}

std::string Rate(uint64_t bytes, absl::Duration d) {
  double s = absl::ToDoubleSeconds(d);
  if (s <= 0) return "-";
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.1f Mbit/s", bytes * 8.0 / s / 1e6);
  return buf;
}

std::string Size(uint64_t bytes) {
  char buf[64];
  if (bytes >= (1u << 20)) {
    std::snprintf(buf, sizeof(buf), "%.1f MiB", bytes / 1048576.0);
  } else if (bytes >= 1024) {
    std::snprintf(buf, sizeof(buf), "%.1f KiB", bytes / 1024.0);
  } else {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  }
  return buf;
}

int Main(int argc, char** argv) {
  Flags f;
  if (!ParseFlags(argc, argv, &f)) {
    Usage();
    return 2;
  }
  if (!congestion::IsRegisteredController(f.cc)) {
    std::fprintf(stderr, "kite_client: unknown --cc %s\n", f.cc.c_str());
    return 2;
  }
  std::vector<Url> urls;
  for (const std::string& t : f.urls) {
    std::optional<Url> u = ParseUrl(t);
    if (!u.has_value()) {
      std::fprintf(stderr, "kite_client: not an https:// URL: %s\n", t.c_str());
      return 2;
    }
    if (!urls.empty() && (u->host != urls[0].host || u->port != urls[0].port)) {
      std::fprintf(stderr, "kite_client: all URLs must name one host and port\n");
      return 2;
    }
    urls.push_back(*u);
  }
  std::optional<quic::SocketAddress> server = Resolve(urls[0]);
  if (!server.has_value()) {
    std::fprintf(stderr, "kite_client: cannot resolve %s\n", urls[0].host.c_str());
    return 1;
  }

  std::vector<uint8_t> body;
  if (f.data.has_value()) {
    if (!f.data->empty() && (*f.data)[0] == '@') {
      std::optional<std::string> content = ReadFile(f.data->substr(1));
      if (!content.has_value()) {
        std::fprintf(stderr, "kite_client: cannot read %s\n", f.data->substr(1).c_str());
        return 1;
      }
      body.assign(content->begin(), content->end());
    } else {
      body.assign(f.data->begin(), f.data->end());
    }
  }
  std::string method = !f.method.empty() ? f.method : (f.data.has_value() ? "POST" : "GET");

  SessionFile session;
  if (!f.session_file.empty()) {
    if (std::optional<std::string> t = ReadFile(f.session_file); t.has_value() && !t->empty()) {
      session = ParseSessionFile(*t);
    }
  }
  const std::vector<uint8_t>& ticket = session.ticket;

  tls::ClientOptions co;
  co.alpn = {f.alpn};
  co.enable_early_data = f.zero_rtt;
  if (f.insecure) {
    co.verify_peer = false;
  } else if (!f.ca.empty()) {
    co.trusted_certificates_file = f.ca;
  } else {
    co.trusted_certificates_file = "/etc/ssl/certs/ca-certificates.crt";
  }
  std::string keylog = f.keylog;
  if (keylog.empty() && std::getenv("SSLKEYLOGFILE") != nullptr) keylog = std::getenv("SSLKEYLOGFILE");
  if (!keylog.empty()) {
    absl::StatusOr<std::shared_ptr<tls::KeyLogFile>> kl = tls::KeyLogFile::Open(keylog);
    if (!kl.ok()) {
      std::fprintf(stderr, "kite_client: keylog: %s\n", kl.status().ToString().c_str());
      return 1;
    }
    co.key_log = tls::KeyLogFile::AsSink(*kl);
  }
  absl::StatusOr<std::unique_ptr<tls::TlsClientContext>> tls = tls::TlsClientContext::Create(co);
  if (!tls.ok()) {
    std::fprintf(stderr, "kite_client: TLS: %s\n", tls.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<quic::io::EventLoop>> loop = quic::io::EventLoop::Create();
  if (!loop.ok()) return 1;
  quic::io::EventLoop& ev = **loop;

  http3::ClientEndpointOptions eo;
  eo.server = *server;
  eo.connection.server_name = urls[0].host;
  eo.connection.version = f.version == 2 ? quic::kQuicVersion2 : quic::kQuicVersion1;
  eo.connection.congestion_controller = f.cc;
  eo.connection.max_datagram_size = 1452;
  eo.connection.initial_max_data = 16 << 20;
  eo.connection.initial_max_stream_data_bidi_local = 8 << 20;
  eo.connection.key_update_interval_packets = f.key_update_after;
  eo.connection.resumption_session = ticket;
  eo.session.resumption_ticket = ticket;
  eo.connection.address_token = session.token;
  eo.qlog_dir = f.qlog_dir;
  eo.migrate_after_bytes = f.migrate_after;
  eo.socket.receive_buffer_bytes = 4 << 20;
  absl::StatusOr<std::unique_ptr<http3::ClientEndpoint>> client =
      http3::ClientEndpoint::Create(&ev, tls->get(), eo);
  if (!client.ok()) {
    std::fprintf(stderr, "kite_client: %s\n", client.status().ToString().c_str());
    return 1;
  }
  http3::ClientEndpoint& c = **client;
  if (f.verbose) {
    std::fprintf(stderr, "* connecting to %s from %s (QUIC %s%s%s)\n", server->ToString().c_str(),
                 c.local_address().ToString().c_str(), f.version == 2 ? "v2" : "v1",
                 ticket.empty() ? "" : (f.zero_rtt ? ", resuming with 0-RTT" : ", resuming"),
                 session.token.empty() ? "" : ", with an address token");
  }

  // Where each body goes.
  std::vector<std::FILE*> outs(urls.size(), nullptr);
  size_t next_output = 0;
  for (size_t i = 0; i < urls.size(); ++i) {
    std::string path;
    if (next_output < f.outputs.size()) {
      path = f.outputs[next_output++];
    } else if (f.remote_name) {
      std::string p = urls[i].path.substr(0, urls[i].path.find('?'));
      std::string name = p.substr(p.rfind('/') + 1);
      if (name.empty()) name = "index.html";
      path = f.out_dir + "/" + name;
    }
    if (path == "-") {
      outs[i] = stdout;
    } else if (!path.empty()) {
      outs[i] = std::fopen(path.c_str(), "wb");
      if (outs[i] == nullptr) {
        std::fprintf(stderr, "kite_client: cannot write %s\n", path.c_str());
        return 1;
      }
    } else if (!f.sha256) {
      outs[i] = stdout;
    }
  }
  uint64_t received = 0;
  c.set_body_callback([&](size_t i, absl::Span<const uint8_t> d) {
    received += d.size();
    if (outs[i] != nullptr) std::fwrite(d.data(), 1, d.size(), outs[i]);
  });
  for (const Url& u : urls) {
    http3::FetchRequest r;
    r.method = method;
    r.authority = u.authority;
    r.path = u.path;
    r.body = body;
    c.Fetch(r);
  }
  c.Flush();

  const bool progress = isatty(STDERR_FILENO) && !f.verbose;
  absl::Time last_progress = absl::InfinitePast();
  auto show_progress = [&](bool final) {
    uint64_t expected = 0;
    bool known = true;
    for (size_t i = 0; i < c.request_count(); ++i) {
      if (c.result(i).content_length.has_value()) {
        expected += *c.result(i).content_length;
      } else {
        known = false;
      }
    }
    absl::Duration elapsed = ev.Now() - c.timings().started;
    const int width = 30;
    int filled = known && expected > 0 ? static_cast<int>(width * received / expected) : 0;
    std::string bar(static_cast<size_t>(std::min(filled, width)), '=');
    bar.resize(width, ' ');
    std::fprintf(stderr, "\r[%s] %s / %s  %s   ", bar.c_str(), Size(received).c_str(),
                 known ? Size(expected).c_str() : "?", Rate(received, elapsed).c_str());
    if (final) std::fprintf(stderr, "\n");
  };

  const absl::Time give_up = absl::Now() + absl::Seconds(f.timeout_s);
  bool want_ticket = !f.session_file.empty();
  std::vector<std::vector<uint8_t>> tickets;
  std::vector<std::vector<uint8_t>> tokens;
  absl::Time ticket_wait_until = absl::InfiniteFuture();
  absl::Time token_wait_until = absl::InfiniteFuture();
  while (!c.closed() && absl::Now() < give_up) {
    for (auto& t : c.TakeTickets()) tickets.push_back(std::move(t));
    for (auto& t : c.TakeAddressTokens()) tokens.push_back(std::move(t));
    if (c.all_done()) {
      if (!want_ticket || (!tickets.empty() && !tokens.empty())) break;
      // Tickets follow the handshake closely; give them a moment. A NEW_TOKEN comes in the same
      // flights from servers that send one; wait for it only briefly once the ticket is here.
      if (ticket_wait_until == absl::InfiniteFuture()) ticket_wait_until = absl::Now() + absl::Seconds(1);
      if (!tickets.empty() && token_wait_until == absl::InfiniteFuture()) {
        token_wait_until = absl::Now() + absl::Milliseconds(100);
      }
      if (absl::Now() > ticket_wait_until || absl::Now() > token_wait_until) break;
    }
    ev.RunOnce(absl::Milliseconds(50));
    if (progress && ev.Now() - last_progress > absl::Milliseconds(100)) {
      last_progress = ev.Now();
      show_progress(false);
    }
  }
  if (progress) show_progress(true);
  const bool timed_out = !c.all_done();
  for (auto& t : c.TakeTickets()) tickets.push_back(std::move(t));
  for (auto& t : c.TakeAddressTokens()) tokens.push_back(std::move(t));
  if (want_ticket && (!tickets.empty() || !tokens.empty())) {
    // Keep what this connection did not replace (RFC 9000 §8.1.3 lets a token serve several
    // connections; kite's server accepts it until it expires).
    SessionFile next = session;
    if (!tickets.empty()) next.ticket = tickets.back();
    if (!tokens.empty()) next.token = tokens.back();
    const std::string bytes = SerializeSessionFile(next);
    std::FILE* sf = std::fopen(f.session_file.c_str(), "wb");
    if (sf != nullptr) {
      std::fwrite(bytes.data(), 1, bytes.size(), sf);
      std::fclose(sf);
    }
  }
  if (f.verbose) {
    std::fprintf(stderr, "* NEW_TOKEN: %s\n", tokens.empty() ? "none received" : "received");
  }
  const http3::ConnectionSummary summary = http3::Summarize(c.connection());
  const http3::ClientTimings timings = c.timings();
  if (!c.closed()) c.Close();
  const absl::Time close_by = absl::Now() + absl::Milliseconds(300);
  while (!c.closed() && absl::Now() < close_by) ev.RunOnce(absl::Milliseconds(20));

  int rc = 0;
  if (timed_out) {
    std::fprintf(stderr, "kite_client: timed out after %.1f s\n", f.timeout_s);
    rc = 1;
  }
  if (f.verbose) {
    std::fprintf(stderr, "* %s\n", http3::FormatSummary(summary).c_str());
    if (timings.handshake_completed.has_value()) {
      std::fprintf(stderr, "* handshake: %s, %llu round trip(s)\n",
                   http3::FormatMillis(*timings.handshake_completed - timings.started).c_str(),
                   static_cast<unsigned long long>(summary.handshake_round_trips));
    }
    std::fprintf(stderr, "* 0-RTT: %s\n",
                 summary.early_data_accepted    ? "accepted"
                 : summary.early_data_attempted ? "rejected"
                                                : "not attempted");
    if (c.migrated()) {
      std::fprintf(stderr, "* migration to %s: %s\n", c.local_address().ToString().c_str(),
                   c.migration_status().ok() ? "ok" : c.migration_status().ToString().c_str());
    }
  }
  for (size_t i = 0; i < urls.size(); ++i) {
    const http3::FetchResult& r = c.result(i);
    if (outs[i] != nullptr && outs[i] != stdout) std::fclose(outs[i]);
    if (r.failed || !r.done) {
      std::fprintf(stderr, "kite_client: %s: %s%s%s\n", urls[i].text.c_str(),
                   r.error.empty() ? "no response" : r.error.c_str(),
                   summary.close_reason.empty() ? "" : "; connection close: ",
                   summary.close_reason.c_str());
      rc = 1;
      continue;
    }
    if (f.fail && r.status >= 400) rc = 22;
    if (f.verbose) {
      absl::Duration total = r.completed - r.started;
      std::fprintf(stderr, "* %s %s -> %d, %llu bytes%s, ttfb %s, total %s, %s\n", method.c_str(),
                   urls[i].text.c_str(), r.status, static_cast<unsigned long long>(r.body_bytes),
                   r.sent_early ? " (request sent in 0-RTT)" : "",
                   http3::FormatMillis(r.first_byte - r.started).c_str(),
                   http3::FormatMillis(total).c_str(), Rate(r.body_bytes, total).c_str());
    }
    if (f.sha256) std::printf("%s  %s\n", Hex(r.sha256).c_str(), urls[i].text.c_str());
  }
  std::fflush(stdout);
  return rc;
}

}  // namespace
}  // namespace kite::tools

int main(int argc, char** argv) { return kite::tools::Main(argc, argv); }
