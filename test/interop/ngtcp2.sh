#!/bin/bash
# Interop between kite and ngtcp2's example HTTP/3 endpoints (Debian's ngtcp2-client/-server,
# ngtcp2 0.12 on GnuTLS), over 127.0.0.1 only:
#   A. ngtcp2's client (gtlsclient) against kite's server
#   B. kite's client against ngtcp2's server (gtlsserver)
# each with: GETs of 1 KB and 10 MB, 10 concurrent requests on one connection, resumption with
# 0-RTT, ChaCha20-Poly1305, a key update; the SHA-256 of every body is compared with its source.
# One line per check ("PASS name" / "FAIL name: reason"), then "N passed, N failed".
# See lib.sh for the environment variables (KITE_INTEROP_SELFTEST=1 runs it ngtcp2 against ngtcp2).
set -u
. "$(dirname "$0")/lib.sh"
ix_init ngtcp2

ix_need_ngtcp2 || { ix_fail setup "could not install ngtcp2-client/ngtcp2-server"; ix_finish; exit 1; }
ix_need_apt tshark tshark || { ix_fail setup "could not install tshark"; ix_finish; exit 1; }
ix_build_kite || { ix_fail build "bazel build of //tools/server:kite_server //tools/client:kite_client failed"; ix_finish; exit 1; }

W=$IX_WORK
ix_make_cert "$W" || { ix_fail setup "openssl could not make a certificate"; ix_finish; exit 1; }
CERT=$W/cert.pem
KEY=$W/key.pem
WWW=$W/www
mkdir -p "$WWW"
ix_make_file "$WWW/1k.bin" 1024
ix_make_file "$WWW/10m.bin" 10485760
for i in 0 1 2 3 4 5 6 7 8 9; do ix_make_file "$WWW/c$i.bin" $((200000 + i * 1000)); done
# GnuTLS priority strings (gtlsclient/gtlsserver --ciphers take these, not OpenSSL suite names).
CHACHA_ONLY='NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305'
NO_AESNI='~0x200000000000000'  # OPENSSL_ia32cap: BoringSSL without AES-NI prefers ChaCha20

# same_sha FILE SOURCE
same_sha() { [ -f "$1" ] && [ "$(ix_sha "$1")" = "$(ix_sha "$2")" ]; }
# all_shas_in LOG FILE...: every FILE's SHA-256 appears in LOG
all_shas_in() {
  local log=$1 f
  shift
  for f in "$@"; do grep -qi "$(ix_sha "$f")" "$log" || return 1; done
}
why_rc() { # LOG RC: short reason from a client's failure
  echo "exit status $2; last line: $(tail -n 1 "$1" 2>/dev/null | cut -c1-200)"
}

# ---------------------------------------------------------------- A. gtlsclient -> kite server
# start_kite NAME [kite_server flags...]: a fresh kite server for one check (own port, qlog dir,
# key log). Sets PORT, SQ (qlog dir), SKL (key log), SLOG.
start_kite() {
  local name=$1
  shift
  W=$IX_WORK/a
  mkdir -p "$W/$name"
  PORT=$(ix_free_udp_port)
  SQ=$W/$name/server-qlog
  SKL=$W/$name/server-keys.log
  SLOG=$W/$name/server.log
  ix_kite_server_start "$SLOG" "$PORT" "$WWW" "$CERT" "$KEY" "$SQ" "$SKL" "$@"
}
stop_server() { ix_stop "$IX_SERVER_PID"; }
# server_check NAME: FAIL if the server died during the check (prints its log tail).
server_died() { ! kill -0 "$IX_SERVER_PID" 2>/dev/null; }

# gtls NAME LOG ARGS... : gtlsclient against 127.0.0.1:$PORT, downloads to $W/NAME/dl
gtls() {
  local name=$1 log=$2
  shift 2
  mkdir -p "$W/$name/dl"
  timeout 60 gtlsclient --timeout=10s --exit-on-all-streams-close --no-quic-dump --no-http-dump \
    --download "$W/$name/dl" "$@" >"$log" 2>&1
}
url() { echo "https://127.0.0.1:$PORT/$1"; }

A=ngtcp2-client/kite-server
run_a_get() { # NAME FILE
  local n=$1 f=$2
  if ! start_kite "$n"; then ix_fail "$A $n" "kite server did not start: $(tail -n 3 "$SLOG" | tr '\n' ' ')"; return; fi
  local t0=$(date +%s.%N)
  gtls "$n" "$W/$n/client.log" -q "127.0.0.1" "$PORT" "$(url "$f")"
  local rc=$?
  local t1=$(date +%s.%N)
  if [ $rc -ne 0 ]; then ix_fail "$A $n" "gtlsclient $(why_rc "$W/$n/client.log" $rc)" "$W/$n/client.log"
  elif ! same_sha "$W/$n/dl/$f" "$WWW/$f"; then ix_fail "$A $n" "body SHA-256 differs from $f ($(stat -c %s "$W/$n/dl/$f" 2>/dev/null || echo no) bytes received)"
  elif server_died; then ix_fail "$A $n" "kite server exited: $(tail -n 3 "$SLOG" | tr '\n' ' ')"
  else ix_pass "$A $n"; printf '#   %s: %.2f s\n' "$n" "$(echo "$t1 - $t0" | bc)" >&2; fi
  stop_server
}
run_a_get get-1k 1k.bin
run_a_get get-10m 10m.bin

# 10 concurrent requests on one connection
n=concurrent-10
if start_kite $n; then
  urls=()
  for i in 0 1 2 3 4 5 6 7 8 9; do urls+=("$(url c$i.bin)"); done
  gtls $n "$W/$n/client.log" -q 127.0.0.1 "$PORT" "${urls[@]}"
  rc=$?
  bad=""
  for i in 0 1 2 3 4 5 6 7 8 9; do same_sha "$W/$n/dl/c$i.bin" "$WWW/c$i.bin" || bad="$bad c$i.bin"; done
  stop_server
  conns=$(ix_qlog traces "$SQ")
  conc=$(ix_qlog concurrency "$SQ")
  if [ $rc -ne 0 ]; then ix_fail "$A $n" "gtlsclient $(why_rc "$W/$n/client.log" $rc)"
  elif [ -n "$bad" ]; then ix_fail "$A $n" "wrong or missing bodies:$bad"
  elif [ "$conns" != 1 ]; then ix_fail "$A $n" "kite's qlog shows $conns connections, expected 1"
  elif [ "$conc" -lt 2 ]; then ix_fail "$A $n" "kite's qlog shows at most $conc request stream(s) open at once"
  else ix_pass "$A $n"; ix_note "  $n: up to $conc request streams open at once"; fi
else ix_fail "$A $n" "kite server did not start"; fi

# kite_server --workers 2: six gtlsclient processes at once, six connections steered to the
# workers by their DCIDs (gtlsclient's 18-byte IDs are hashed, later packets carry kite's IDs,
# which name the worker); a datagram the kernel's 4-tuple hash hands to the other worker's socket
# is forwarded to the owner. Then a seventh client moves to a new local port 20 ms into a 10 MB
# download (--change-local-addr, RFC 9000 §9): from its new 4-tuple its datagrams reach either
# socket and must still reach the worker owning the connection. (--nat-rebinding is not used:
# ngtcp2 0.12's client sends nothing from its new port when it has nothing ack-eliciting in
# flight, so no server can learn the new address.)
run_a_workers() {
  local n=workers-2 i f rc bad="" pids=()
  if ! start_kite $n --workers 2; then ix_fail "$A $n" "kite server did not start: $(tail -n 3 "$SLOG" | tr '\n' ' ')"; return; fi
  for i in 0 1 2 3 4 5; do
    gtls $n-$i "$W/$n/client$i.log" -q 127.0.0.1 "$PORT" "$(url c$i.bin)" "$(url 1k.bin)" &
    pids+=($!)
  done
  for i in 0 1 2 3 4 5; do wait "${pids[$i]}" || bad="$bad client$i-exit"; done
  for i in 0 1 2 3 4 5; do
    for f in c$i.bin 1k.bin; do same_sha "$W/$n-$i/dl/$f" "$WWW/$f" || bad="$bad $n-$i/$f"; done
  done
  gtls $n-migrate "$W/$n/migrate.log" -q --change-local-addr=20ms 127.0.0.1 "$PORT" "$(url 10m.bin)"
  rc=$?
  stop_server
  if [ -n "$bad" ]; then ix_fail "$A $n" "wrong or missing bodies or failed clients:$bad"
  elif [ $rc -ne 0 ]; then ix_fail "$A $n" "migrating gtlsclient $(why_rc "$W/$n/migrate.log" $rc)"
  elif ! same_sha "$W/$n-migrate/dl/10m.bin" "$WWW/10m.bin"; then ix_fail "$A $n" "body SHA-256 differs after the client moved (10 MB)"
  elif ! grep -q "connections=7 " "$SLOG"; then ix_fail "$A $n" "kite server's final stats: '$(grep -o 'connections=.*' "$SLOG")', expected 7 connections"
  elif ! grep -q "migrations=[1-9]" "$SLOG"; then ix_fail "$A $n" "no connection in kite's log followed the client to its new port (no migrations=N)"
  elif ! grep -q "per worker: w0:.* w1:" "$SLOG"; then ix_fail "$A $n" "kite server did not report two workers: '$(grep -o 'per worker.*' "$SLOG")'"
  else ix_pass "$A $n"; ix_note "  $n: $(grep -o 'per worker: .*' "$SLOG")"; fi
}
ix_selftest || run_a_workers

# resumption with 0-RTT: the second connection sends its request in 0-RTT packets, gtlsclient
# does not report "Early data was rejected", and kite's qlog shows 0-RTT STREAM frames received.
n=0rtt
if start_kite $n --0rtt; then
  sess=$W/$n/session.pem
  tp=$W/$n/tp.bin
  gtls $n "$W/$n/client1.log" 127.0.0.1 "$PORT" --session-file="$sess" --tp-file="$tp" "$(url 1k.bin)"
  rc1=$?
  rm -f "$W/$n/dl/1k.bin"
  if [ $rc1 -ne 0 ] || [ ! -s "$sess" ] || [ ! -s "$tp" ]; then
    ix_fail "$A $n" "first connection: $(why_rc "$W/$n/client1.log" $rc1); session file $( [ -s "$sess" ] && echo written || echo missing), transport parameters file $( [ -s "$tp" ] && echo written || echo missing)"
  else
    gtls $n "$W/$n/client2.log" 127.0.0.1 "$PORT" --session-file="$sess" --tp-file="$tp" "$(url 1k.bin)"
    rc2=$?
    zr=$(ix_qlog zero_rtt "$SQ")
    if [ $rc2 -ne 0 ]; then ix_fail "$A $n" "resumed connection: $(why_rc "$W/$n/client2.log" $rc2)"
    elif ! same_sha "$W/$n/dl/1k.bin" "$WWW/1k.bin"; then ix_fail "$A $n" "body SHA-256 differs after resumption ($(stat -c %s "$W/$n/dl/1k.bin" 2>/dev/null || echo no) bytes received; gtlsclient: $(grep -c 'type=0RTT' "$W/$n/client2.log") 0-RTT packets sent, $(grep -o 'Early data was rejected' "$W/$n/client2.log" || echo 'no rejection reported'), last line '$(tail -n 1 "$W/$n/client2.log")'; kite qlog: $zr 0-RTT packets with STREAM frames received)"
    elif ! grep -q "type=0RTT" "$W/$n/client2.log"; then ix_fail "$A $n" "gtlsclient sent no 0-RTT packet (session not resumable with early data)"
    elif grep -q "Early data was rejected" "$W/$n/client2.log"; then ix_fail "$A $n" "gtlsclient: Early data was rejected by server (kite qlog: $zr 0-RTT packets with STREAM frames received)"
    elif [ "$zr" -lt 1 ]; then ix_fail "$A $n" "kite's qlog shows no 0-RTT packet with STREAM frames received"
    else
      stop_server
      if ix_selftest || grep -Eq "0rtt_accepted=[1-9]" "$SLOG"; then
        ix_pass "$A $n"; ix_note "  $n: kite received $zr 0-RTT packet(s) with STREAM frames; $(grep -o '0rtt_accepted=[0-9]*' "$SLOG")"
      else ix_fail "$A $n" "kite server's final stats do not count an accepted 0-RTT: $(grep -o 'connections=.*' "$SLOG")"; fi
    fi
  fi
  stop_server
else ix_fail "$A $n" "kite server did not start"; fi

# (NEW_TOKEN with gtlsclient --token-file is not checked here: ngtcp2 0.12's gtlsclient writes
# the token file but cannot read it back, "Could not read token in FILE", against its own
# server too. Section B checks kite_client with gtlsserver's tokens.)

# ChaCha20-Poly1305: (a) gtlsclient offers only ChaCha20; (b) kite's server runs without AES-NI
# (OPENSSL_ia32cap), gtlsclient offers its default list (AES-128-GCM first).
run_a_chacha() { # NAME CLIENT-CIPHERS ENV
  local n=$1 ciphers=$2 envv=$3 rc neg
  [ -n "$envv" ] && export OPENSSL_ia32cap=$envv
  start_kite "$n"
  local started=$?
  unset OPENSSL_ia32cap
  if [ $started -ne 0 ]; then ix_fail "$A $n" "kite server did not start"; return; fi
  gtls "$n" "$W/$n/client.log" ${ciphers:+--ciphers=$ciphers} 127.0.0.1 "$PORT" "$(url 10m.bin)"
  rc=$?
  neg=$(grep -o "Negotiated cipher suite is .*" "$W/$n/client.log" | head -n 1)
  if [ $rc -ne 0 ]; then ix_fail "$A $n" "gtlsclient $(why_rc "$W/$n/client.log" $rc)"
  elif [ "$neg" != "Negotiated cipher suite is CHACHA20-POLY1305" ]; then ix_fail "$A $n" "gtlsclient: '${neg:-no cipher negotiated}'"
  elif ! same_sha "$W/$n/dl/10m.bin" "$WWW/10m.bin"; then ix_fail "$A $n" "body SHA-256 differs (10 MB)"
  else ix_pass "$A $n"; fi
  stop_server
}
run_a_chacha chacha20-client-only "$CHACHA_ONLY" ""
# (GnuTLS ignores OPENSSL_ia32cap: in self-test mode these two checks do not apply.)
ix_selftest || run_a_chacha chacha20-server-no-aesni "" "$NO_AESNI"

# Key update initiated by gtlsclient 5 ms into a 10 MB download; a capture decrypted with kite's
# key log must show key phase 1 in both directions.
n=key-update
if start_kite $n; then
  pcap=$W/$n/cap.pcapng
  if ix_capture_start "$pcap" "$PORT"; then
    gtls $n "$W/$n/client.log" --key-update=5ms 127.0.0.1 "$PORT" "$(url 10m.bin)"
    rc=$?
    ix_capture_stop
    if [ $rc -ne 0 ]; then ix_fail "$A $n" "gtlsclient $(why_rc "$W/$n/client.log" $rc)"
    elif ! grep -q "Initiate key update" "$W/$n/client.log"; then ix_fail "$A $n" "gtlsclient never initiated the key update (transfer too short?)"
    elif ! same_sha "$W/$n/dl/10m.bin" "$WWW/10m.bin"; then ix_fail "$A $n" "body SHA-256 differs after key update"
    elif ! ix_key_phase_both "$pcap" "$SKL" "$PORT"; then ix_fail "$A $n" "$IX_KP_DETAIL"
    else ix_pass "$A $n"; ix_note "  $n: $IX_KP_DETAIL"; fi
  else ix_fail "$A $n" "tshark did not start capturing"; ix_stop "$IX_CAP_PID"; fi
  stop_server
else ix_fail "$A $n" "kite server did not start"; fi

# ---------------------------------------------------------------- B. kite client -> gtlsserver
B=kite-client/ngtcp2-server
# start_ngtcp2 NAME [gtlsserver flags...]: sets PORT, SQ, SKL, SLOG
start_ngtcp2() {
  local name=$1
  shift
  W=$IX_WORK/b
  mkdir -p "$W/$name"
  PORT=$(ix_free_udp_port)
  SQ=$W/$name/server-qlog
  SKL=$W/$name/server-keys.log
  SLOG=$W/$name/server.log
  SSLKEYLOGFILE=$SKL ix_ngtcp2_server_start "$SLOG" "$PORT" "$WWW" "$CERT" "$KEY" "$SQ" "$@"
}
kc() { ix_kite_client "$@"; }

run_b_get() { # NAME FILE
  local n=$1 f=$2 rc
  if ! start_ngtcp2 "$n" -q; then ix_fail "$B $n" "gtlsserver did not start"; return; fi
  local t0=$(date +%s.%N)
  kc "$W/$n/client.log" -v --ca "$CERT" --sha256 -o "$W/$n/$f" "$(url "$f")"
  rc=$?
  local t1=$(date +%s.%N)
  if [ $rc -ne 0 ]; then ix_fail "$B $n" "kite_client $(why_rc "$W/$n/client.log" $rc)" "$W/$n/client.log"
  elif ! same_sha "$W/$n/$f" "$WWW/$f"; then ix_fail "$B $n" "-o file SHA-256 differs from $f ($(stat -c %s "$W/$n/$f" 2>/dev/null || echo no) bytes written)"
  elif ! all_shas_in "$W/$n/client.log" "$WWW/$f"; then ix_fail "$B $n" "--sha256 did not print the body's SHA-256"
  else ix_pass "$B $n"; printf '#   %s: %.2f s\n' "$n" "$(echo "$t1 - $t0" | bc)" >&2; fi
  stop_server
}
run_b_get get-1k 1k.bin
run_b_get get-10m 10m.bin

n=concurrent-10
if start_ngtcp2 $n -q; then
  urls=()
  files=()
  for i in 0 1 2 3 4 5 6 7 8 9; do urls+=("$(url c$i.bin)"); files+=("$WWW/c$i.bin"); done
  kc "$W/$n/client.log" -v --ca "$CERT" --sha256 "${urls[@]}"
  rc=$?
  stop_server
  conns=$(ix_qlog traces "$SQ")
  conc=$(ix_qlog concurrency "$SQ")
  if [ $rc -ne 0 ]; then ix_fail "$B $n" "kite_client $(why_rc "$W/$n/client.log" $rc)"
  elif ! all_shas_in "$W/$n/client.log" "${files[@]}"; then ix_fail "$B $n" "not every body's SHA-256 was printed/matched"
  elif [ "$conns" != 1 ]; then ix_fail "$B $n" "gtlsserver's qlog shows $conns connections, expected 1"
  elif [ "$conc" -lt 2 ]; then ix_fail "$B $n" "gtlsserver's qlog shows at most $conc request stream(s) open at once"
  else ix_pass "$B $n"; ix_note "  $n: up to $conc request streams open at once"; fi
else ix_fail "$B $n" "gtlsserver did not start"; fi

n=0rtt
if start_ngtcp2 $n -q; then
  sess=$W/$n/session.bin
  kc "$W/$n/client1.log" -v --ca "$CERT" --0rtt --session-file "$sess" -o "$W/$n/first.bin" "$(url 1k.bin)"
  rc1=$?
  if [ $rc1 -ne 0 ] || [ ! -s "$sess" ]; then
    ix_fail "$B $n" "first connection: $(why_rc "$W/$n/client1.log" $rc1); session file $( [ -s "$sess" ] && echo written || echo missing)"
  else
    ix_wait_resumption_slot  # BoringSSL's whole-second ticket age vs GnuTLS's check (lib.sh)
    kc "$W/$n/client2.log" --ca "$CERT" --0rtt --session-file "$sess" -v -o "$W/$n/second.bin" "$(url 1k.bin)"
    rc2=$?
    zr=$(ix_qlog zero_rtt "$SQ")
    if [ $rc2 -ne 0 ]; then ix_fail "$B $n" "resumed connection: $(why_rc "$W/$n/client2.log" $rc2)"
    elif ! same_sha "$W/$n/second.bin" "$WWW/1k.bin"; then ix_fail "$B $n" "body SHA-256 differs after resumption"
    elif [ "$zr" -lt 1 ]; then ix_fail "$B $n" "gtlsserver's qlog shows no 0-RTT packet with STREAM frames received"
    elif ! ix_selftest && ! grep -q "^\* 0-RTT: accepted" "$W/$n/client2.log"; then ix_fail "$B $n" "kite_client -v: '$(grep '^\* 0-RTT' "$W/$n/client2.log")'"
    else ix_pass "$B $n"; ix_note "  $n: gtlsserver received $zr 0-RTT packet(s) with STREAM frames; client: $(grep '^\* 0-RTT' "$W/$n/client2.log")"; fi
  fi
  stop_server
else ix_fail "$B $n" "gtlsserver did not start"; fi

# NEW_TOKEN (RFC 9000 §8.1.3) against gtlsserver -V (address validation by Retry): kite_client
# stores the server's token in --session-file and sends it in the next connection's Initial,
# which then needs no Retry (one handshake round trip instead of two).
run_b_new_token() {
  local n=new-token rc1 rc2 sess
  if ! start_ngtcp2 $n -q -V; then ix_fail "$B $n" "gtlsserver did not start"; return; fi
  sess=$W/$n/session.bin
  kc "$W/$n/client1.log" -v --ca "$CERT" --session-file "$sess" -o "$W/$n/first.bin" "$(url 1k.bin)"
  rc1=$?
  kc "$W/$n/client2.log" -v --ca "$CERT" --session-file "$sess" -o "$W/$n/second.bin" "$(url 1k.bin)"
  rc2=$?
  stop_server
  if [ $rc1 -ne 0 ]; then ix_fail "$B $n" "first connection: $(why_rc "$W/$n/client1.log" $rc1)"
  elif ! grep -q "^\* NEW_TOKEN: received" "$W/$n/client1.log"; then ix_fail "$B $n" "kite_client received no NEW_TOKEN from gtlsserver"
  elif ! grep -q "^\* handshake: .* 2 round trip" "$W/$n/client1.log"; then ix_fail "$B $n" "first connection: '$(grep '^\* handshake' "$W/$n/client1.log")', expected a Retry (2 round trips)"
  elif [ $rc2 -ne 0 ]; then ix_fail "$B $n" "second connection: $(why_rc "$W/$n/client2.log" $rc2)"
  elif ! same_sha "$W/$n/second.bin" "$WWW/1k.bin"; then ix_fail "$B $n" "body SHA-256 differs on the second connection"
  elif ! grep -q "with an address token" "$W/$n/client2.log"; then ix_fail "$B $n" "kite_client did not read the token back from --session-file"
  elif ! grep -q "^\* handshake: .* 1 round trip" "$W/$n/client2.log"; then ix_fail "$B $n" "second connection: '$(grep '^\* handshake' "$W/$n/client2.log")', expected no Retry (1 round trip)"
  else ix_pass "$B $n"; fi
}
ix_selftest || run_b_new_token

# ChaCha20: (a) gtlsserver allows only ChaCha20; (b) kite's client without AES-NI offers
# ChaCha20 first and GnuTLS follows the client's order.
run_b_chacha() { # NAME SERVER-CIPHERS ENV
  local n=$1 ciphers=$2 envv=$3 rc neg
  if ! start_ngtcp2 "$n" --no-quic-dump --no-http-dump ${ciphers:+--ciphers=$ciphers}; then ix_fail "$B $n" "gtlsserver did not start"; return; fi
  if [ -n "$envv" ]; then
    OPENSSL_ia32cap=$envv kc "$W/$n/client.log" -v --ca "$CERT" -o "$W/$n/10m.bin" "$(url 10m.bin)"
  else
    kc "$W/$n/client.log" -v --ca "$CERT" -o "$W/$n/10m.bin" "$(url 10m.bin)"
  fi
  rc=$?
  stop_server
  neg=$(grep -o "Negotiated cipher suite is .*" "$SLOG" | head -n 1)
  if [ $rc -ne 0 ]; then ix_fail "$B $n" "kite_client $(why_rc "$W/$n/client.log" $rc)"
  elif [ "$neg" != "Negotiated cipher suite is CHACHA20-POLY1305" ]; then ix_fail "$B $n" "gtlsserver: '${neg:-no cipher negotiated}'"
  elif ! same_sha "$W/$n/10m.bin" "$WWW/10m.bin"; then ix_fail "$B $n" "body SHA-256 differs (10 MB)"
  else ix_pass "$B $n"; ix_note "  $n: $(grep -o 'cipher=[^ ]*' "$W/$n/client.log" | head -n 1)"; fi
}
run_b_chacha chacha20-server-only "$CHACHA_ONLY" ""
ix_selftest || run_b_chacha chacha20-client-no-aesni "" "$NO_AESNI"

n=key-update
if start_ngtcp2 $n -q; then
  pcap=$W/$n/cap.pcapng
  if ix_capture_start "$pcap" "$PORT"; then
    kc "$W/$n/client.log" -v --ca "$CERT" --key-update-after 20 -o "$W/$n/10m.bin" "$(url 10m.bin)"
    rc=$?
    ix_capture_stop
    if [ $rc -ne 0 ]; then ix_fail "$B $n" "kite_client $(why_rc "$W/$n/client.log" $rc)"
    elif ! same_sha "$W/$n/10m.bin" "$WWW/10m.bin"; then ix_fail "$B $n" "body SHA-256 differs after key update"
    elif ! ix_key_phase_both "$pcap" "$SKL" "$PORT"; then ix_fail "$B $n" "$IX_KP_DETAIL"
    else ix_pass "$B $n"; ix_note "  $n: $IX_KP_DETAIL; client: $(grep -o 'key_updates=[0-9]*' "$W/$n/client.log")"; fi
  else ix_fail "$B $n" "tshark did not start capturing"; fi
  stop_server
else ix_fail "$B $n" "gtlsserver did not start"; fi

ix_finish
