#!/bin/bash
# Headless Chromium (Debian's chromium, a real browser HTTP/3 stack) against kite's server over
# 127.0.0.1: QUIC is forced for the origin (no TCP fallback), the server's self-signed certificate
# is accepted by its SPKI hash, and Node 20 drives the browser over the DevTools protocol
# (chromium_cdp.js). Checks: the page arrives over h3, and a 5 MB file fetch()ed by the page over
# h3 has the right SHA-256 (crypto.subtle); kite's server is still alive afterwards.
# One line per check, then "N passed, N failed". See lib.sh for the environment variables.
set -u
. "$(dirname "$0")/lib.sh"
ix_init chromium
HERE=$(cd "$(dirname "$0")" && pwd)
CHROME=/usr/lib/chromium/chromium

ix_need_apt "$CHROME" chromium || { ix_fail setup "could not install chromium"; ix_finish; exit 1; }
command -v node >/dev/null 2>&1 || ix_need_apt node nodejs || { ix_fail setup "no node"; ix_finish; exit 1; }
ix_build_kite || { ix_fail build "bazel build of //tools/server:kite_server //tools/client:kite_client failed"; ix_finish; exit 1; }

W=$IX_WORK
ix_make_cert "$W" || { ix_fail setup "openssl could not make a certificate"; ix_finish; exit 1; }
SPKI=$(openssl x509 -in "$W/cert.pem" -pubkey -noout | openssl pkey -pubin -outform der |
  openssl dgst -sha256 -binary | base64)
WWW=$W/www
mkdir -p "$WWW"
MARKER="kite-interop-$$-$RANDOM"
cat >"$WWW/index.html" <<EOF
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>kite interop</title></head>
<body><p>$MARKER</p></body></html>
EOF
ix_make_file "$WWW/5m.bin" 5242880
WANT=$(ix_sha "$WWW/5m.bin")

PORT=$(ix_free_udp_port)
if ! ix_kite_server_start "$W/server.log" "$PORT" "$WWW" "$W/cert.pem" "$W/key.pem" "$W/server-qlog" "$W/keys.log"; then
  ix_fail "chromium server-start" "kite server did not start: $(tail -n 3 "$W/server.log" | tr '\n' ' ')"
  ix_finish
  exit 1
fi

run_browser() { # OUT
  timeout 120 node "$HERE/chromium_cdp.js" "$CHROME" "https://localhost:$PORT" /index.html /5m.bin "$MARKER" 30 -- \
    --headless=new --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --disable-extensions --user-data-dir="$W/profile" \
    --enable-quic --origin-to-force-quic-on="localhost:$PORT" \
    --ignore-certificate-errors-spki-list="$SPKI" \
    --host-resolver-rules="MAP localhost 127.0.0.1, MAP * ~NOTFOUND" \
    --log-net-log="$W/netlog.json" >"$1" 2>"$1.stderr"
}
run_browser "$W/result.json"
rc=$?
field() { "$IX_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); v=d.get(sys.argv[2]); print("" if v is None else v)' "$W/result.json" "$1" 2>/dev/null; }
err=$(field error)
if [ $rc -ne 0 ] || [ -n "$err" ]; then
  reason="${err:-node exited with $rc}"
  ix_fail "chromium page-h3" "$reason"
  ix_fail "chromium fetch-5m-sha256" "$reason"
else
  nav=$(field navProtocol)
  marker=$(field marker)
  if ! echo "$(field pageContentType)" | grep -qi '^text/html'; then ix_fail "chromium page-h3" "index.html served with content-type '$(field pageContentType)': Chromium treats it as a download and aborts the navigation (net::ERR_ABORTED); the page was re-served through DevTools with text/html so the fetch check could run"
  elif [ "$nav" != h3 ]; then ix_fail "chromium page-h3" "navigation nextHopProtocol is '$nav'"
  elif [ "$marker" != True ]; then ix_fail "chromium page-h3" "page body does not contain the served marker"
  else ix_pass "chromium page-h3"; fi
  st=$(field status); len=$(field length); sha=$(field sha256); fp=$(field fetchProtocol)
  if [ "$st" != 200 ]; then ix_fail "chromium fetch-5m-sha256" "status $st"
  elif [ "$len" != 5242880 ]; then ix_fail "chromium fetch-5m-sha256" "length $len, expected 5242880"
  elif [ "$sha" != "$WANT" ]; then ix_fail "chromium fetch-5m-sha256" "sha256 $sha, expected $WANT"
  elif [ "$fp" != h3 ]; then ix_fail "chromium fetch-5m-sha256" "fetch nextHopProtocol is '$fp'"
  else ix_pass "chromium fetch-5m-sha256"; fi
  ix_note "  page load $(field loadMs) ms, 5 MB fetch $(field fetchMs) ms"
fi
if kill -0 "$IX_SERVER_PID" 2>/dev/null; then ix_pass "chromium server-alive"
else ix_fail "chromium server-alive" "kite server exited: $(tail -n 3 "$W/server.log" | tr '\n' ' ')"; fi
ix_finish
