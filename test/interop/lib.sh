# Shared helpers for kite's interop scripts (sourced by ngtcp2.sh, chromium.sh, tshark.sh; bash).
#
# Every check prints exactly one line, "PASS name" or "FAIL name: reason", and ix_finish prints
# "N passed, N failed" and exits non-zero if anything failed. Every process a script starts goes
# through ix_bg so the EXIT trap can stop it; nothing leaves loopback.
#
# Environment:
#   KITE_INTEROP_SELFTEST=1   play kite's roles with ngtcp2's gtlsserver/gtlsclient instead of
#                             kite's binaries (checks the scripts' own mechanics; no Bazel build)
#   KITE_SERVER, KITE_CLIENT  use these binaries instead of building them with Bazel
#   KITE_IMPAIR               kite_impair binary to use (impaired.sh) instead of building it
#   KITE_BAZEL_OUTPUT_BASE    passed to bazel as --output_base (shared machines)
#   KITE_INTEROP_KEEP=1       keep the work directory (logs, qlogs, captures) and print its path
#   KITE_INTEROP_VERBOSE=1    on FAIL, also print the tail of the relevant log

IX_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
IX_PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)  # pyenv shims cost ~1 s per call
IX_PASSED=0
IX_FAILED=0
IX_PIDS=()
IX_WORK=""
IX_IN=()      # command prefix that runs a command inside the script's network namespace, if any
IX_NETNS=""
IX_START=$(date +%s.%N)

IX_LAST_T=$IX_START
# Time since the previous check, on stderr (stdout stays one line per check).
ix_took() {
  local now
  now=$(date +%s.%N)
  printf '#   %s took %.1f s\n' "$1" "$(echo "$now - $IX_LAST_T" | bc)" >&2
  IX_LAST_T=$now
}
ix_pass() { IX_PASSED=$((IX_PASSED + 1)); echo "PASS $1"; ix_took "$1"; }
ix_fail() {
  IX_FAILED=$((IX_FAILED + 1))
  echo "FAIL $1: $2"
  ix_took "$1"
  if [ "${KITE_INTEROP_VERBOSE:-0}" = 1 ] && [ -n "${3:-}" ] && [ -f "$3" ]; then
    tail -n 15 "$3" | sed 's/^/    | /'
  fi
}
# ix_check NAME REASON_IF_FALSE LOG -- command...   (PASS when the command succeeds)
ix_check() {
  local name=$1 reason=$2 log=$3
  shift 4
  if "$@"; then ix_pass "$name"; else ix_fail "$name" "$reason" "$log"; fi
}

ix_note() { echo "# $*" >&2; }

ix_cleanup() {
  local pid
  for pid in "${IX_PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${IX_PIDS[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  IX_PIDS=()
  if [ -n "$IX_NETNS" ]; then
    ip netns del "$IX_NETNS" 2>/dev/null
    IX_NETNS=""
  fi
  if [ -n "$IX_WORK" ] && [ -d "$IX_WORK" ]; then
    if [ "${KITE_INTEROP_KEEP:-0}" = 1 ]; then
      echo "# kept $IX_WORK" >&2
    else
      rm -rf "$IX_WORK"
    fi
  fi
}

# ix_init NAME: work directory and traps.
ix_init() {
  IX_NAME=$1
  IX_WORK=$(mktemp -d "/tmp/kite-interop-$1.XXXXXX")
  trap ix_cleanup EXIT
  trap 'ix_cleanup; exit 130' INT TERM
}

# ix_netns_nogso: create a private network namespace (loopback only) whose lo segments UDP GSO
# buffers in software before packet taps see them (ethtool -K lo tx-udp-segmentation off), so a
# capture holds one QUIC datagram per frame; later server/client/capture/probe commands run in it.
ix_netns_nogso() {
  ix_need_apt ethtool ethtool || return 1
  local ns="kite-interop-$$"
  ip netns add "$ns" 2>/dev/null || return 1
  IX_NETNS=$ns
  ip netns exec "$ns" ip link set lo up &&
    ip netns exec "$ns" ethtool -K lo tx-udp-segmentation off >/dev/null 2>&1 || return 1
  IX_IN=(ip netns exec "$ns")
}

ix_finish() {
  local end
  end=$(date +%s.%N)
  printf '# %s took %.1f s\n' "$IX_NAME" "$(echo "$end - $IX_START" | bc 2>/dev/null || echo 0)" >&2
  echo "$IX_PASSED passed, $IX_FAILED failed"
  [ "$IX_FAILED" -eq 0 ]
}

# ix_bg LOG cmd...: start a process in the background (stdout+stderr to LOG); sets IX_LAST_PID.
ix_bg() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  IX_LAST_PID=$!
  IX_PIDS+=("$IX_LAST_PID")
}

# ix_stop PID [SIGNAL]: stop one process started by ix_bg and wait for it.
ix_stop() {
  local pid=$1 sig=${2:-TERM}
  kill "-$sig" "$pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null
  wait "$pid" 2>/dev/null
  local keep=() p
  for p in "${IX_PIDS[@]}"; do [ "$p" != "$pid" ] && keep+=("$p"); done
  IX_PIDS=("${keep[@]}")
}

# ix_free_udp_port: a UDP port on 127.0.0.1 that is free right now (also free for TCP).
ix_free_udp_port() {
  "$IX_PY" - <<'PY'
import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    port = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", port))
    except OSError:
        u.close()
        continue
    t.close()
    u.close()
    print(port)
    break
PY
}

# ix_wait_udp_bound PORT PID [SECONDS]: wait until something listens on UDP PORT and PID lives.
ix_wait_udp_bound() {
  local port=$1 pid=$2 secs=${3:-20} i
  for i in $(seq 1 $((secs * 10))); do
    kill -0 "$pid" 2>/dev/null || return 1
    if "${IX_IN[@]}" ss -Huln "sport = :$port" 2>/dev/null | grep -q .; then return 0; fi
    sleep 0.1
  done
  return 1
}

# ix_need_apt BINARY PACKAGE...: install packages when BINARY is missing.
ix_need_apt() {
  local bin=$1
  shift
  if [ -x "$bin" ] || command -v "$bin" >/dev/null 2>&1; then return 0; fi
  ix_note "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 "$@" \
    >"${IX_WORK:-/tmp}/apt-$1.log" 2>&1 || {
    DEBIAN_FRONTEND=noninteractive apt-get update -o DPkg::Lock::Timeout=900 >/dev/null 2>&1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -o DPkg::Lock::Timeout=900 "$@" \
      >"${IX_WORK:-/tmp}/apt-$1.log" 2>&1
  }
}

ix_need_ngtcp2() {
  ix_need_apt gtlsclient ngtcp2-client && ix_need_apt gtlsserver ngtcp2-server
}

ix_selftest() { [ "${KITE_INTEROP_SELFTEST:-0}" = 1 ]; }

# ix_build_kite: sets KITE_SERVER and KITE_CLIENT (builds them with Bazel unless given).
ix_build_kite() {
  if ix_selftest; then
    ix_need_ngtcp2 || return 1
    KITE_SERVER=$(command -v gtlsserver)
    KITE_CLIENT=$(command -v gtlsclient)
    return 0
  fi
  if [ -n "${KITE_SERVER:-}" ] && [ -n "${KITE_CLIENT:-}" ]; then return 0; fi
  local ob=()
  [ -n "${KITE_BAZEL_OUTPUT_BASE:-}" ] && ob=(--output_base="$KITE_BAZEL_OUTPUT_BASE")
  (cd "$IX_ROOT" && bazel "${ob[@]}" build -c opt //tools/server:kite_server //tools/client:kite_client) \
    >"$IX_WORK/bazel-build.log" 2>&1 || {
    tail -n 30 "$IX_WORK/bazel-build.log" >&2
    return 1
  }
  local bin
  bin=$(cd "$IX_ROOT" && bazel "${ob[@]}" info -c opt bazel-bin 2>/dev/null)
  KITE_SERVER="$bin/tools/server/kite_server"
  KITE_CLIENT="$bin/tools/client/kite_client"
  [ -x "$KITE_SERVER" ] && [ -x "$KITE_CLIENT" ]
}

# ix_make_cert DIR: self-signed ECDSA P-256 certificate for localhost/127.0.0.1 (cert.pem, key.pem).
ix_make_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1/key.pem" -out "$1/cert.pem" -days 7 -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1
}

# ix_make_file PATH BYTES: random content.
ix_make_file() { head -c "$2" /dev/urandom >"$1"; }

ix_sha() { sha256sum "$1" | cut -d' ' -f1; }

# ix_kite_server_start LOG PORT ROOT CERT KEY QLOGDIR KEYLOG [extra kite_server flags...]
# Starts kite's server (or gtlsserver in self-test mode), waits until it is bound; sets IX_SERVER_PID.
ix_kite_server_start() {
  local log=$1 port=$2 root=$3 cert=$4 key=$5 qlogdir=$6 keylog=$7
  shift 7
  mkdir -p "$qlogdir"
  if ix_selftest; then
    local extra=() a
    for a in "$@"; do
      case $a in
        --0rtt|--0rtt=*) ;;  # gtlsserver always accepts early data
        *) extra+=("$a") ;;
      esac
    done
    ix_bg "$log" "${IX_IN[@]}" env SSLKEYLOGFILE="$keylog" "$KITE_SERVER" -q --qlog-dir="$qlogdir" -d "$root" \
      "${extra[@]}" 127.0.0.1 "$port" "$key" "$cert"
  else
    ix_bg "$log" "${IX_IN[@]}" "$KITE_SERVER" --addr 127.0.0.1 --port "$port" --root "$root" --cert "$cert" \
      --key "$key" --qlog-dir "$qlogdir" --keylog "$keylog" "$@"
  fi
  IX_SERVER_PID=$IX_LAST_PID
  ix_wait_udp_bound "$port" "$IX_SERVER_PID" 20
}

# ix_ngtcp2_server_start LOG PORT ROOT CERT KEY QLOGDIR [extra gtlsserver flags...]
ix_ngtcp2_server_start() {
  local log=$1 port=$2 root=$3 cert=$4 key=$5 qlogdir=$6
  shift 6
  mkdir -p "$qlogdir"
  ix_bg "$log" gtlsserver --qlog-dir="$qlogdir" -d "$root" "$@" 127.0.0.1 "$port" "$key" "$cert"
  IX_SERVER_PID=$IX_LAST_PID
  ix_wait_udp_bound "$port" "$IX_SERVER_PID" 20
}

# ix_qlog PYTHON-CHECK ARGS...: runs qlog_check.py.
ix_qlog() { "$IX_PY" "$IX_ROOT/test/interop/qlog_check.py" "$@"; }

# --- packet capture (tshark) ---
# ix_capture_start PCAP PORT: capture UDP PORT on "any" and return once tshark demonstrably
# captures (a probe datagram to a second, unused port must appear). Sets IX_CAP_PID, IX_PROBE_PORT.
ix_capture_start() {
  local pcap=$1 port=$2 i
  IX_PROBE_PORT=$(ix_free_udp_port)
  IX_CAP_LOG="$pcap.live"
  ix_bg "$IX_CAP_LOG" "${IX_IN[@]}" tshark -l -P -i any -f "udp port $port or udp port $IX_PROBE_PORT" -w "$pcap"
  IX_CAP_PID=$IX_LAST_PID
  for i in $(seq 1 100); do
    kill -0 "$IX_CAP_PID" 2>/dev/null || return 1
    ix_probe "$IX_PROBE_PORT"
    if grep -q "$IX_PROBE_PORT" "$IX_CAP_LOG" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  return 1
}

ix_probe() {
  "${IX_IN[@]}" "$IX_PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b"kite-interop-probe",("127.0.0.1",int(sys.argv[1])))' "$1" 2>/dev/null
}

# ix_capture_stop: send a marker probe, wait until tshark has seen it (so every earlier packet is
# in the file), then stop tshark with SIGINT.
ix_capture_stop() {
  local before i
  before=$(grep -c "$IX_PROBE_PORT" "$IX_CAP_LOG" 2>/dev/null)
  for i in $(seq 1 50); do
    ix_probe "$IX_PROBE_PORT"
    sleep 0.2
    [ "$(grep -c "$IX_PROBE_PORT" "$IX_CAP_LOG" 2>/dev/null)" -gt "$before" ] && break
  done
  ix_stop "$IX_CAP_PID" INT
}

# ix_count_quic PCAP KEYLOG FILTER: number of packets in PCAP (decrypted with KEYLOG) matching FILTER.
ix_count_quic() {
  tshark -r "$1" -o "tls.keylog_file:$2" -Y "$3" 2>/dev/null | wc -l
}

# ix_key_phase_both PCAP KEYLOG PORT: 1-RTT packets with the key phase bit set flowed in both
# directions (decrypted, so the peer's header protection and packet keys after the update matched).
ix_key_phase_both() {
  local up down
  up=$(ix_count_quic "$1" "$2" "udp.dstport == $3 && quic.key_phase == 1")
  down=$(ix_count_quic "$1" "$2" "udp.srcport == $3 && quic.key_phase == 1")
  IX_KP_DETAIL="key_phase=1 packets: $up to the server, $down from the server"
  [ "$up" -gt 0 ] && [ "$down" -gt 0 ]
}

# ix_kite_client LOG ARGS...: run kite's client (kite_client flags) with a 60 s limit. In self-test
# mode the flags are translated for gtlsclient: -o FILE, --sha256 (prints "SHA URL" lines),
# --session-file F (+ F.tp), --key-update-after N (-> --key-update=5ms), --ca/--insecure/-v/--0rtt
# dropped. Returns the client's exit status.
ix_kite_client() {
  local log=$1
  shift
  if ! ix_selftest; then
    "${IX_IN[@]}" timeout 60 "$KITE_CLIENT" "$@" >"$log" 2>&1
    return
  fi
  local out="" sha=0 args=() urls=() dl
  while [ $# -gt 0 ]; do
    case $1 in
      -o) out=$2; shift ;;
      --sha256) sha=1 ;;
      --session-file) args+=(--session-file="$2" --tp-file="$2.tp"); shift ;;
      --key-update-after) args+=(--key-update=5ms); shift ;;
      --ca|--version|--migrate-after) shift ;;
      --insecure|-v|--0rtt) ;;
      *) urls+=("$1") ;;
    esac
    shift
  done
  local hostport=${urls[0]#https://}
  hostport=${hostport%%/*}
  dl=$(mktemp -d "$IX_WORK/dl.XXXXXX")
  "${IX_IN[@]}" timeout 60 "$KITE_CLIENT" --exit-on-all-streams-close --no-quic-dump --no-http-dump \
    --download "$dl" "${args[@]}" "${hostport%:*}" "${hostport##*:}" "${urls[@]}" >"$log" 2>&1
  local rc=$? u
  if [ "$sha" = 1 ]; then
    for u in "${urls[@]}"; do
      [ -f "$dl/$(basename "$u")" ] && echo "$(ix_sha "$dl/$(basename "$u")") $u" >>"$log"
    done
  fi
  [ -n "$out" ] && mv "$dl/$(basename "${urls[0]}")" "$out" 2>/dev/null
  rm -rf "$dl"
  return $rc
}

# --- impairment relay (kite_impair) ---
# ix_build_impair: sets KITE_IMPAIR (builds //tools/impair:kite_impair with Bazel unless given).
ix_build_impair() {
  if [ -n "${KITE_IMPAIR:-}" ]; then [ -x "$KITE_IMPAIR" ]; return; fi
  local ob=()
  [ -n "${KITE_BAZEL_OUTPUT_BASE:-}" ] && ob=(--output_base="$KITE_BAZEL_OUTPUT_BASE")
  (cd "$IX_ROOT" && bazel "${ob[@]}" build -c opt //tools/impair:kite_impair) \
    >"$IX_WORK/bazel-build-impair.log" 2>&1 || {
    tail -n 30 "$IX_WORK/bazel-build-impair.log" >&2
    return 1
  }
  KITE_IMPAIR="$(cd "$IX_ROOT" && bazel "${ob[@]}" info -c opt bazel-bin 2>/dev/null)/tools/impair/kite_impair"
  [ -x "$KITE_IMPAIR" ]
}

# ix_impair_start LOG LISTEN_PORT UPSTREAM_PORT [kite_impair flags...]: a relay on 127.0.0.1 with
# --stats; waits until it is bound. Sets IX_IMPAIR_PID. Stop it with ix_stop (SIGTERM) before
# reading the counters from LOG (ix_impair_stat).
ix_impair_start() {
  local log=$1 listen=$2 upstream=$3
  shift 3
  ix_bg "$log" "${IX_IN[@]}" "$KITE_IMPAIR" --listen "127.0.0.1:$listen" --upstream "127.0.0.1:$upstream" \
    --stats "$@"
  IX_IMPAIR_PID=$IX_LAST_PID
  ix_wait_udp_bound "$listen" "$IX_IMPAIR_PID" 20
}

# ix_impair_stat LOG WAY NAME: a counter from kite_impair's --stats lines (WAY: up, down or
# relay for the clients/rebinds line); 0 if absent.
ix_impair_stat() {
  local line
  case $2 in
    up) line=$(grep -m1 '^kite_impair: up ' "$1") ;;
    down) line=$(grep -m1 '^kite_impair: down ' "$1") ;;
    *) line=$(grep -m1 '^kite_impair: clients=' "$1") ;;
  esac
  local v
  v=$(echo "$line" | grep -o " $3=[0-9]*" | head -n 1 | cut -d= -f2)
  echo "${v:-0}"
}

# ix_wait_resumption_slot: sleep until the wall clock's sub-second part is in [0.90, 0.95).
# A client built on BoringSSL reports its ticket age (RFC 8446 §4.2.11) in whole seconds (the
# session time has one-second resolution), while GnuTLS (gtlsserver) rejects early data when the
# client's age exceeds the server's own (millisecond) view of it. Resuming in the same second as
# the ticket arrived, or late in a later second, keeps the reported age at or below the true one;
# resuming just after a second boundary is rejected. Starting here is always on the safe side.
ix_wait_resumption_slot() {
  local f i
  for i in $(seq 1 300); do
    f=$(date +%N)
    f=$((10#${f:0:2}))
    [ "$f" -ge 90 ] && [ "$f" -lt 95 ] && return 0
    sleep 0.01
  done
}

# ix_qlog_path_frames DIR: "SENT_CHALLENGES RECEIVED_RESPONSES" — PATH_CHALLENGE frames sent and
# PATH_RESPONSE frames received over every trace in DIR (an endpoint validating a new path).
ix_qlog_path_frames() {
  "$IX_PY" - "$1" <<'PY'
import json, os, sys
d = sys.argv[1]
sent = received = 0
for name in (sorted(os.listdir(d)) if os.path.isdir(d) else []):
    with open(os.path.join(d, name), "rb") as f:
        text = f.read().decode("utf-8", "replace")
    for chunk in text.replace("\x1e", "\n").split("\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            e = json.loads(chunk)
        except ValueError:
            continue
        if not isinstance(e, dict):
            continue
        ev = str(e.get("name") or e.get("event") or "")
        for fr in ((e.get("data") or {}).get("frames") or []):
            t = str(fr.get("frame_type", ""))
            if ev.endswith("packet_sent") and t == "path_challenge":
                sent += 1
            elif ev.endswith("packet_received") and t == "path_response":
                received += 1
print(sent, received)
PY
}
