#!/bin/sh
# The README's demo: installs what the build needs, builds kite's HTTP/3 server and client
# (bazel build -c opt), serves a file on loopback with a freshly generated certificate, fetches
# it twice (the second time resuming with 0-RTT from the first connection's session ticket),
# checks both bodies' SHA-256 against the file, and prints what happened. Exits non-zero if
# anything failed. Runs from a clean clone on Debian 12 (as root, or with sudo available).
set -eu
cd "$(dirname "$0")/.."

PORT="${KITE_DEMO_PORT:-4433}"
# BAZEL may carry startup options, e.g. BAZEL="bazel --output_base=/tmp/kite-demo".
BAZEL="${BAZEL:-bazel}"
SIZE="${KITE_DEMO_BYTES:-20000000}"

tools/install_deps.sh
$BAZEL build -c opt //tools/server:kite_server //tools/client:kite_client
BIN="$($BAZEL info -c opt bazel-bin)"
SERVER="$BIN/tools/server/kite_server"
CLIENT="$BIN/tools/client/kite_client"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

mkdir "$WORK/root"
head -c "$SIZE" /dev/urandom > "$WORK/root/demo.bin"
WANT="$(sha256sum "$WORK/root/demo.bin" | cut -d' ' -f1)"

echo "== kite HTTP/3 demo: serving a $SIZE-byte file on 127.0.0.1:$PORT"
"$SERVER" --addr 127.0.0.1 --port "$PORT" --root "$WORK/root" --cert-out "$WORK/cert.pem" \
  --0rtt --ticket-key-file "$WORK/ticket.key" 2> "$WORK/server.log" &
SERVER_PID=$!
# The server writes its certificate before it listens; wait for the "listening" line.
i=0
until grep -q "listening on" "$WORK/server.log" 2>/dev/null; do
  i=$((i + 1))
  if [ "$i" -gt 100 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "demo: the server did not start:" >&2
    cat "$WORK/server.log" >&2
    exit 1
  fi
  sleep 0.1
done

URL="https://localhost:$PORT/demo.bin"
fail=0
run() {  # run NAME [client flags]: one fetch, verbose output kept in $WORK/NAME.log
  name="$1"
  shift
  if ! "$CLIENT" -v --ca "$WORK/cert.pem" --fail --sha256 --session-file "$WORK/session" \
       -o "$WORK/$name.bin" "$@" "$URL" > "$WORK/$name.sha" 2> "$WORK/$name.log"; then
    echo "demo: $name fetch failed:" >&2
    cat "$WORK/$name.log" >&2
    fail=1
    return 0
  fi
  got="$(cut -d' ' -f1 < "$WORK/$name.sha")"
  file="$(sha256sum "$WORK/$name.bin" | cut -d' ' -f1)"
  # From the client's -v lines ("* key: value ..." and the summary).
  summary="$(grep '^\* version=' "$WORK/$name.log" | head -n1)"
  field() { echo "$summary" | tr ' ' '\n' | grep "^$1=" | cut -d= -f2; }
  handshake="$(grep '^\* handshake:' "$WORK/$name.log" | sed 's/^\* handshake: //')"
  zrtt="$(grep '^\* 0-RTT:' "$WORK/$name.log" | sed 's/^\* 0-RTT: //')"
  fetch="$(grep '^\* GET ' "$WORK/$name.log" | head -n1)"
  ttfb="$(echo "$fetch" | sed -n 's/.*ttfb \([^,]*\),.*/\1/p')"
  total="$(echo "$fetch" | sed -n 's/.*total \([^,]*\),.*/\1/p')"
  rate="$(echo "$fetch" | sed -n 's/.*total [^,]*, \(.*\)$/\1/p')"
  early="no"
  echo "$fetch" | grep -q "request sent in 0-RTT" && early="yes"
  echo "-- $name connection"
  echo "   QUIC $(field version), $(field cipher), ALPN $(field alpn), resumed: $(field resumed)"
  echo "   handshake:            $handshake"
  echo "   0-RTT:                $zrtt (request sent in 0-RTT: $early)"
  echo "   time to first byte:   $ttfb"
  echo "   transfer:             $SIZE bytes in $total, $rate (RTT $(field rtt))"
  if [ "$got" = "$WANT" ] && [ "$file" = "$WANT" ]; then
    echo "   sha256:               $got (matches the served file)"
  else
    echo "   sha256 MISMATCH: served $WANT, client reported $got, saved file $file" >&2
    fail=1
  fi
  if [ -n "${EXPECT_0RTT:-}" ] && [ "$zrtt" != "accepted" ]; then
    echo "demo: 0-RTT was not accepted on the $name connection" >&2
    fail=1
  fi
}

run first
if [ ! -s "$WORK/session" ]; then
  echo "demo: the first connection stored no session ticket" >&2
  fail=1
fi
EXPECT_0RTT=1 run second --0rtt

kill "$SERVER_PID"
wait "$SERVER_PID" || true
SERVER_PID=""
echo "-- server log"
sed 's/^/   /' "$WORK/server.log"
if [ "$fail" -ne 0 ]; then
  echo "== demo FAILED"
  exit 1
fi
echo "== demo OK: both fetches verified; the second resumed with 0-RTT"
