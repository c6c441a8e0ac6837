#!/bin/bash
# A large HTTP/3 download over loopback, timed for kite (kite_client <- kite_server) and for
# ngtcp2 (gtlsclient <- gtlsserver, Debian's ngtcp2 examples) in the same run, alternating the
# two so machine noise hits both alike. Prints, per stack, the median wall time and the client's
# and server's CPU seconds per GB, then the ratios kite / ngtcp2 (below 1: kite is cheaper).
#
#   bench/loopback_download.sh [--bytes N] [--runs R]     (default 1000000000 bytes, 3 runs)
#
# Both clients write the body to a file on /dev/shm (so neither pays for a disk), whose SHA-256
# is checked against the source after each run (outside the timing). Client CPU comes from
# /usr/bin/time; server CPU from /proc/PID/stat before and after the download (so server start-up
# is not counted). Uses test/interop/lib.sh: KITE_SERVER/KITE_CLIENT skip the (opt) Bazel build.
set -u
. "$(dirname "$0")/../test/interop/lib.sh"
ix_init loopback-download

BYTES=1000000000
RUNS=3
while [ $# -gt 0 ]; do
  case $1 in
    --bytes) BYTES=$2; shift ;;
    --runs) RUNS=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown flag $1" >&2; exit 2 ;;
  esac
  shift
done

ix_need_ngtcp2 || { echo "could not install ngtcp2-client/ngtcp2-server" >&2; exit 1; }
ix_need_apt /usr/bin/time time || { echo "could not install time" >&2; exit 1; }
ix_build_kite || { echo "kite build failed" >&2; exit 1; }

W=$IX_WORK
ix_make_cert "$W" || exit 1
SHM=$(mktemp -d /dev/shm/kite-bench.XXXXXX)
trap 'rm -rf "$SHM"; ix_cleanup' EXIT
# The served directory lives on /dev/shm too: both servers read the file from memory.
WWW=$SHM/www
mkdir -p "$WWW"
head -c "$BYTES" /dev/urandom >"$WWW/big.bin"
SRC_SHA=$(ix_sha "$WWW/big.bin")
TICK=$(getconf CLK_TCK)

# cpu_ticks PID: user+system clock ticks the process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run_one STACK RUN: one download; appends "wall client_cpu server_cpu" to $W/STACK.times.
run_one() {
  local stack=$1 run=$2 port out log tlog
  port=$(ix_free_udp_port)
  out=$SHM/$stack.$run.out
  log=$W/$stack.$run.client.log
  tlog=$W/$stack.$run.time
  if [ "$stack" = kite ]; then
    ix_bg "$W/$stack.$run.server.log" "$KITE_SERVER" --addr 127.0.0.1 --port "$port" --root "$WWW" \
      --cert "$W/cert.pem" --key "$W/key.pem"
  else
    ix_bg "$W/$stack.$run.server.log" gtlsserver -q -d "$WWW" 127.0.0.1 "$port" "$W/key.pem" "$W/cert.pem"
  fi
  local spid=$IX_LAST_PID
  ix_wait_udp_bound "$port" "$spid" 20 || { echo "# $stack server did not start" >&2; return 1; }
  local s0 s1 rc
  s0=$(cpu_ticks "$spid")
  if [ "$stack" = kite ]; then
    /usr/bin/time -f '%e %U %S' -o "$tlog" timeout 600 "$KITE_CLIENT" --insecure --timeout 600 \
      -o "$out" "https://127.0.0.1:$port/big.bin" >"$log" 2>&1
    rc=$?
  else
    local dl=$SHM/ngtcp2-dl.$run
    mkdir -p "$dl"
    /usr/bin/time -f '%e %U %S' -o "$tlog" timeout 600 gtlsclient -q --exit-on-all-streams-close \
      --download "$dl" 127.0.0.1 "$port" "https://127.0.0.1:$port/big.bin" >"$log" 2>&1
    rc=$?
    mv "$dl/big.bin" "$out" 2>/dev/null
    rm -rf "$dl"
  fi
  s1=$(cpu_ticks "$spid")
  ix_stop "$spid"
  if [ "$rc" -ne 0 ]; then echo "# $stack run $run: client exit $rc: $(tail -n 2 "$log")" >&2; return 1; fi
  if [ "$(ix_sha "$out")" != "$SRC_SHA" ]; then echo "# $stack run $run: body SHA-256 differs" >&2; return 1; fi
  rm -f "$out"
  local wall cu cs
  read -r wall cu cs <"$tlog"
  echo "$wall $(echo "$cu + $cs" | bc) $(echo "scale=3; ($s1 - $s0) / $TICK" | bc)" >>"$W/$stack.times"
  echo "# $stack run $run: wall ${wall}s client cpu $(echo "$cu + $cs" | bc)s server cpu $(echo "scale=2; ($s1 - $s0) / $TICK" | bc)s" >&2
}

failed=0
for run in $(seq 1 "$RUNS"); do
  run_one kite "$run" || failed=1
  run_one ngtcp2 "$run" || failed=1
done
[ "$failed" -eq 0 ] || { echo "a download failed (see above)"; exit 1; }

# median COLUMN FILE
median() { cut -d' ' -f"$1" "$2" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
GB=$(echo "scale=6; $BYTES / 1000000000" | bc)
printf '%-8s %10s %12s %16s %16s\n' stack "wall (s)" "Mbit/s" "client CPU s/GB" "server CPU s/GB"
for stack in kite ngtcp2; do
  wall=$(median 1 "$W/$stack.times")
  cc=$(median 2 "$W/$stack.times")
  sc=$(median 3 "$W/$stack.times")
  eval "${stack}_wall=$wall ${stack}_cc=$cc ${stack}_sc=$sc"
  printf '%-8s %10.2f %12.0f %16.2f %16.2f\n' "$stack" "$wall" "$(echo "$BYTES * 8 / $wall / 1000000" | bc -l)" \
    "$(echo "$cc / $GB" | bc -l)" "$(echo "$sc / $GB" | bc -l)"
done
printf 'kite/ngtcp2 ratios (median of %s runs, %s bytes): wall %.2f, client CPU %.2f, server CPU %.2f\n' \
  "$RUNS" "$BYTES" "$(echo "$kite_wall / $ngtcp2_wall" | bc -l)" "$(echo "$kite_cc / $ngtcp2_cc" | bc -l)" \
  "$(echo "$kite_sc / $ngtcp2_sc" | bc -l)"
