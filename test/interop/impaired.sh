#!/bin/bash
# Impaired paths: kite and ngtcp2 (Debian's gtlsserver/gtlsclient) through kite_impair, kite's
# userspace impairment relay (this kernel has no netem), all on 127.0.0.1:
#   a. kite client <- kite server, 5% loss each way with reordering: a 5 MB body, SHA-256 equal
#   b. the same impairment with ngtcp2 on either side (kite client <- gtlsserver, gtlsclient <-
#      kite server)
#   c. time to first byte over a 100 ms RTT (50 ms each way): a full handshake's GET ~2 RTT, a
#      resumed 0-RTT GET's ~1 RTT (kite client against kite server and against gtlsserver)
#   e. (before c) 2% corruption, 2% duplication and a 1 s blackhole during a 5 MB download
#   d. NAT rebinding mid-transfer (the relay gives the client a new upstream port): the body
#      arrives intact and the server validated the new path (PATH_CHALLENGE sent, PATH_RESPONSE
#      received, in its qlog); against kite server and gtlsserver
# One line per check ("PASS name" / "FAIL name: reason"), then "N passed, N failed".
# Environment: see lib.sh (KITE_SERVER, KITE_CLIENT, KITE_IMPAIR skip the Bazel builds).
set -u
. "$(dirname "$0")/lib.sh"
ix_init impaired

ix_need_ngtcp2 || { ix_fail setup "could not install ngtcp2-client/ngtcp2-server"; ix_finish; exit 1; }
ix_build_kite || { ix_fail build "bazel build of //tools/server:kite_server //tools/client:kite_client failed"; ix_finish; exit 1; }
ix_build_impair || { ix_fail build "bazel build of //tools/impair:kite_impair failed"; ix_finish; exit 1; }

IX_IMPAIR_PID=""
IX_SERVER_PID=""
W=$IX_WORK
ix_make_cert "$W" || { ix_fail setup "openssl could not make a certificate"; ix_finish; exit 1; }
CERT=$W/cert.pem
KEY=$W/key.pem
WWW=$W/www
mkdir -p "$WWW"
ix_make_file "$WWW/1k.bin" 1024
ix_make_file "$WWW/5m.bin" 5242880

# 5% random loss each way, 3% of datagrams held back 8 ms (reordered), 5 ms each way + jitter.
LOSSY=(--delay 5ms --jitter 1ms --loss 5% --reorder 3%:8ms --seed 7)

same_sha() { [ -f "$1" ] && [ "$(ix_sha "$1")" = "$(ix_sha "$2")" ]; }
why_rc() { echo "exit status $2; last line: $(tail -n 1 "$1" 2>/dev/null | cut -c1-200)"; }
relay_died() { ! kill -0 "$IX_IMPAIR_PID" 2>/dev/null; }

# setup NAME SERVER(kite|ngtcp2) [kite_impair flags...]: a fresh server and a relay in front of it.
# Sets D (work dir), SPORT, RPORT (relay port), SQ (server qlog dir), SLOG, RLOG.
setup() {
  local name=$1 kind=$2
  shift 2
  D=$IX_WORK/$name
  mkdir -p "$D"
  SPORT=$(ix_free_udp_port)
  SQ=$D/server-qlog
  SLOG=$D/server.log
  RLOG=$D/relay.log
  if [ "$kind" = kite ]; then
    ix_kite_server_start "$SLOG" "$SPORT" "$WWW" "$CERT" "$KEY" "$SQ" "$D/server-keys.log" -v --0rtt || return 1
  else
    ix_ngtcp2_server_start "$SLOG" "$SPORT" "$WWW" "$CERT" "$KEY" "$SQ" -q || return 1
  fi
  RPORT=$(ix_free_udp_port)
  ix_impair_start "$RLOG" "$RPORT" "$SPORT" "$@" || return 1
}
# teardown: stop the relay (it prints its counters) and the server.
teardown() {
  [ -n "$IX_IMPAIR_PID" ] && ix_stop "$IX_IMPAIR_PID"
  [ -n "$IX_SERVER_PID" ] && ix_stop "$IX_SERVER_PID"
  IX_IMPAIR_PID=""
  IX_SERVER_PID=""
}
url() { echo "https://127.0.0.1:$RPORT/$1"; }
# Loss/reordering the relay really applied, for the notes.
relay_note() {
  echo "relay: up lost=$(ix_impair_stat "$RLOG" up lost) reordered=$(ix_impair_stat "$RLOG" up reordered), down lost=$(ix_impair_stat "$RLOG" down lost) reordered=$(ix_impair_stat "$RLOG" down reordered)"
}
# impaired_enough: the relay dropped and reordered datagrams both ways (the check means something).
impaired_enough() {
  local w
  for w in up down; do
    [ "$(ix_impair_stat "$RLOG" $w lost)" -gt 0 ] && [ "$(ix_impair_stat "$RLOG" $w reordered)" -gt 0 ] || return 1
  done
}

# ------------------------------------------------ a. kite client <- kite server, lossy
n="kite-client/kite-server loss5%+reorder 5MB"
if setup a kite "${LOSSY[@]}"; then
  t0=$(date +%s.%N)
  ix_kite_client "$D/client.log" -v --ca "$CERT" --timeout 50 -o "$D/5m.bin" "$(url 5m.bin)"
  rc=$?
  t1=$(date +%s.%N)
  dead=$(relay_died && echo yes)
  teardown
  if [ $rc -ne 0 ]; then ix_fail "$n" "kite_client $(why_rc "$D/client.log" $rc)" "$D/client.log"
  elif ! same_sha "$D/5m.bin" "$WWW/5m.bin"; then ix_fail "$n" "body SHA-256 differs ($(stat -c %s "$D/5m.bin" 2>/dev/null || echo no) bytes received)"
  elif [ -n "$dead" ]; then ix_fail "$n" "kite_impair exited during the transfer: $(tail -n 2 "$RLOG" | tr '\n' ' ')"
  elif ! impaired_enough; then ix_fail "$n" "the relay did not both drop and reorder each way ($(relay_note))"
  else ix_pass "$n"; printf '#   %.2f s; %s; client: %s\n' "$(echo "$t1 - $t0" | bc)" "$(relay_note)" "$(grep -o 'lost=[0-9]*' "$D/client.log" | head -n 1)" >&2; fi
else ix_fail "$n" "server or relay did not start"; teardown; fi

# ------------------------------------------------ b. ngtcp2 on either side, lossy
n="kite-client/ngtcp2-server loss5%+reorder 5MB"
if setup b1 ngtcp2 "${LOSSY[@]}"; then
  t0=$(date +%s.%N)
  ix_kite_client "$D/client.log" -v --ca "$CERT" --timeout 50 -o "$D/5m.bin" "$(url 5m.bin)"
  rc=$?
  t1=$(date +%s.%N)
  teardown
  if [ $rc -ne 0 ]; then ix_fail "$n" "kite_client $(why_rc "$D/client.log" $rc)" "$D/client.log"
  elif ! same_sha "$D/5m.bin" "$WWW/5m.bin"; then ix_fail "$n" "body SHA-256 differs ($(stat -c %s "$D/5m.bin" 2>/dev/null || echo no) bytes received)"
  elif ! impaired_enough; then ix_fail "$n" "the relay did not both drop and reorder each way ($(relay_note))"
  else ix_pass "$n"; printf '#   %.2f s; %s\n' "$(echo "$t1 - $t0" | bc)" "$(relay_note)" >&2; fi
else ix_fail "$n" "server or relay did not start"; teardown; fi

n="ngtcp2-client/kite-server loss5%+reorder 5MB"
if setup b2 kite "${LOSSY[@]}"; then
  mkdir -p "$D/dl"
  t0=$(date +%s.%N)
  timeout 60 gtlsclient -q --timeout=20s --exit-on-all-streams-close --download "$D/dl" \
    127.0.0.1 "$RPORT" "$(url 5m.bin)" >"$D/client.log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  teardown
  if [ $rc -ne 0 ]; then ix_fail "$n" "gtlsclient $(why_rc "$D/client.log" $rc)" "$D/client.log"
  elif ! same_sha "$D/dl/5m.bin" "$WWW/5m.bin"; then ix_fail "$n" "body SHA-256 differs ($(stat -c %s "$D/dl/5m.bin" 2>/dev/null || echo no) bytes received)"
  elif ! impaired_enough; then ix_fail "$n" "the relay did not both drop and reorder each way ($(relay_note))"
  else ix_pass "$n"; printf '#   %.2f s; %s; server: %s\n' "$(echo "$t1 - $t0" | bc)" "$(relay_note)" "$(grep -o 'lost=[0-9]*' "$SLOG" | tail -n 1)" >&2; fi
else ix_fail "$n" "server or relay did not start"; teardown; fi

# ------------------------------------------------ e. corruption, duplication and a blackhole
# 2% of datagrams with one bit flipped (the receiver's AEAD must drop them), 2% duplicated, and
# everything dropped for 1 s from 0.7 s after the relay starts (mid-transfer at 50 Mbit/s).
n="kite-client/kite-server corrupt2%+duplicate2%+blackhole1s 5MB"
if setup e kite --delay 5ms --rate 50mbit --queue 1bdp --corrupt 2% --duplicate 2% --blackhole 700ms+1s; then
  ix_kite_client "$D/client.log" -v --ca "$CERT" --timeout 50 -o "$D/5m.bin" "$(url 5m.bin)"
  rc=$?
  teardown
  note="relay: corrupted $(ix_impair_stat "$RLOG" up corrupted)/$(ix_impair_stat "$RLOG" down corrupted), duplicated $(ix_impair_stat "$RLOG" up duplicated)/$(ix_impair_stat "$RLOG" down duplicated), blackholed $(ix_impair_stat "$RLOG" up blackholed)/$(ix_impair_stat "$RLOG" down blackholed) (up/down)"
  if [ $rc -ne 0 ]; then ix_fail "$n" "kite_client $(why_rc "$D/client.log" $rc)" "$D/client.log"
  elif ! same_sha "$D/5m.bin" "$WWW/5m.bin"; then ix_fail "$n" "body SHA-256 differs ($(stat -c %s "$D/5m.bin" 2>/dev/null || echo no) bytes received)"
  elif [ "$(ix_impair_stat "$RLOG" down corrupted)" -lt 1 ] || [ "$(ix_impair_stat "$RLOG" down duplicated)" -lt 1 ] ||
    [ "$(ix_impair_stat "$RLOG" down blackholed)" -lt 1 ]; then ix_fail "$n" "the transfer missed an impairment ($note)"
  else ix_pass "$n"; ix_note "  $note"; fi
else ix_fail "$n" "server or relay did not start"; teardown; fi

# ------------------------------------------------ c. time to first byte, full vs 0-RTT
# 50 ms each way (100 ms RTT), no loss. kite_client -v prints "ttfb X.XXms" per request, from
# the request's creation (with the connection's) to the first body byte.
RTT_MS=100
ttfb_of() { grep -o 'ttfb [0-9.]*ms' "$1" | head -n 1 | grep -o '[0-9.]*'; }
run_ttfb() { # SERVER-KIND
  local n="kite-client/$1-server ttfb full~2RTT 0-RTT~1RTT" full zr
  if ! setup "c-$1" "$1" --delay 50ms; then ix_fail "$n" "server or relay did not start"; teardown; return; fi
  local sess=$D/session.bin
  ix_kite_client "$D/client1.log" -v --ca "$CERT" --0rtt --session-file "$sess" -o "$D/first.bin" "$(url 1k.bin)"
  local rc1=$?
  ix_wait_resumption_slot  # see lib.sh: BoringSSL's whole-second ticket age vs GnuTLS
  ix_kite_client "$D/client2.log" -v --ca "$CERT" --0rtt --session-file "$sess" -o "$D/second.bin" "$(url 1k.bin)"
  local rc2=$?
  teardown
  full=$(ttfb_of "$D/client1.log")
  zr=$(ttfb_of "$D/client2.log")
  ix_note "  $1 server over a ${RTT_MS} ms RTT: full-handshake TTFB ${full:-?} ms, 0-RTT TTFB ${zr:-?} ms ($(grep '^\* 0-RTT' "$D/client2.log"))"
  if [ $rc1 -ne 0 ]; then ix_fail "$n" "first connection: kite_client $(why_rc "$D/client1.log" $rc1)" "$D/client1.log"
  elif [ ! -s "$sess" ]; then ix_fail "$n" "no session ticket stored"
  elif [ $rc2 -ne 0 ]; then ix_fail "$n" "resumed connection: kite_client $(why_rc "$D/client2.log" $rc2)" "$D/client2.log"
  elif ! same_sha "$D/first.bin" "$WWW/1k.bin" || ! same_sha "$D/second.bin" "$WWW/1k.bin"; then ix_fail "$n" "body SHA-256 differs"
  elif ! grep -q '^\* 0-RTT: accepted' "$D/client2.log"; then ix_fail "$n" "0-RTT not accepted: '$(grep '^\* 0-RTT' "$D/client2.log")'"
  elif [ -z "$full" ] || [ -z "$zr" ]; then ix_fail "$n" "kite_client -v printed no ttfb"
  # Generous bounds: full handshake above 1.5 RTT, 0-RTT below 1.5 RTT (and at least 1 RTT).
  elif [ "$(echo "$full > 1.5 * $RTT_MS" | bc)" != 1 ]; then ix_fail "$n" "full-handshake TTFB $full ms is not above 1.5 RTT"
  elif [ "$(echo "$zr < 1.5 * $RTT_MS && $zr >= 0.95 * $RTT_MS" | bc)" != 1 ]; then ix_fail "$n" "0-RTT TTFB $zr ms is not about 1 RTT ($RTT_MS ms)"
  else ix_pass "$n"; fi
}
run_ttfb kite
run_ttfb ngtcp2

# ------------------------------------------------ d. NAT rebinding mid-transfer
# 10 ms each way, 40 Mbit/s with a one-BDP queue: the 5 MB body takes over a second, and the
# relay moves the client to a new upstream port 300 ms and 700 ms into it.
run_rebind() { # SERVER-KIND
  local n="kite-client/$1-server nat-rebinding 5MB" ch rs migr
  if ! setup "d-$1" "$1" --delay 10ms --rate 40mbit --queue 1bdp --rebind-at 300ms --rebind-at 700ms -v; then
    ix_fail "$n" "server or relay did not start"; teardown; return
  fi
  ix_kite_client "$D/client.log" -v --ca "$CERT" --timeout 50 -o "$D/5m.bin" "$(url 5m.bin)"
  local rc=$?
  teardown
  read -r ch rs < <(ix_qlog_path_frames "$SQ")
  local rebinds
  rebinds=$(ix_impair_stat "$RLOG" relay rebinds)
  migr=$(grep -o 'migrations=[0-9]*' "$SLOG" | tail -n 1)
  if [ $rc -ne 0 ]; then ix_fail "$n" "kite_client $(why_rc "$D/client.log" $rc)" "$D/client.log"
  elif ! same_sha "$D/5m.bin" "$WWW/5m.bin"; then ix_fail "$n" "body SHA-256 differs ($(stat -c %s "$D/5m.bin" 2>/dev/null || echo no) bytes received)"
  elif [ "$rebinds" -lt 2 ]; then ix_fail "$n" "the relay rebound $rebinds time(s), expected 2 (transfer over too soon?)"
  elif [ "${ch:-0}" -lt 1 ] || [ "${rs:-0}" -lt 1 ]; then ix_fail "$n" "server qlog: ${ch:-0} PATH_CHALLENGE sent, ${rs:-0} PATH_RESPONSE received"
  else ix_pass "$n"; ix_note "  $1 server: relay rebinds=$rebinds; server sent ${ch} PATH_CHALLENGE, received ${rs} PATH_RESPONSE${migr:+; $migr}"; fi
}
run_rebind kite
run_rebind ngtcp2

ix_finish
