#!/bin/bash
# Wireshark's dissectors as an independent judge of kite's wire format: capture a kite client ->
# kite server transfer on 127.0.0.1 (tshark -i any), decrypt it with the server's key log, and
# check that nothing is malformed or flagged as an error, that the QUIC packets decrypt into
# STREAM frames and the HTTP/3 streams into HEADERS and DATA frames.
# One line per check, then "N passed, N failed". See lib.sh for the environment variables.
set -u
. "$(dirname "$0")/lib.sh"
ix_init tshark

ix_need_apt tshark tshark || { ix_fail setup "could not install tshark"; ix_finish; exit 1; }
ix_build_kite || { ix_fail build "bazel build of //tools/server:kite_server //tools/client:kite_client failed"; ix_finish; exit 1; }

W=$IX_WORK
ix_make_cert "$W" || { ix_fail setup "openssl could not make a certificate"; ix_finish; exit 1; }
WWW=$W/www
mkdir -p "$WWW"
ix_make_file "$WWW/1m.bin" 1048576
ix_make_file "$WWW/small.bin" 3000
if ix_netns_nogso; then
  ix_note "  running in network namespace $IX_NETNS (lo without UDP segmentation offload)"
else
  ix_note "  no private network namespace with GSO off: GSO buffers may show as undecryptable datagrams"
  IX_IN=()
fi
KEYLOG=$W/keys.log
PCAP=$W/cap.pcapng
PORT=$(ix_free_udp_port)
T=tshark

if ! ix_kite_server_start "$W/server.log" "$PORT" "$WWW" "$W/cert.pem" "$W/key.pem" "$W/server-qlog" "$KEYLOG"; then
  ix_fail "$T server-start" "kite server did not start: $(tail -n 3 "$W/server.log" | tr '\n' ' ')"
  ix_finish
  exit 1
fi
if ! ix_capture_start "$PCAP" "$PORT"; then
  ix_fail "$T capture-start" "tshark did not start capturing: $(tail -n 3 "$IX_CAP_LOG" | tr '\n' ' ')"
  ix_finish
  exit 1
fi
ix_kite_client "$W/client.log" --ca "$W/cert.pem" --sha256 \
  "https://127.0.0.1:$PORT/1m.bin" "https://127.0.0.1:$PORT/small.bin"
rc=$?
ix_capture_stop

if [ $rc -eq 0 ] && grep -qi "$(ix_sha "$WWW/1m.bin")" "$W/client.log" && grep -qi "$(ix_sha "$WWW/small.bin")" "$W/client.log"; then
  ix_pass "$T transfer"
else
  ix_fail "$T transfer" "kite_client exit status $rc or a body's SHA-256 missing; last line: $(tail -n 1 "$W/client.log" | cut -c1-200)"
fi

# Everything below reads the capture once with the key log.
FIELDS=$W/fields.tsv
tshark -r "$PCAP" -o "tls.keylog_file:$KEYLOG" -Y "udp.port == $PORT" -T fields -E separator=/t -E occurrence=a -E aggregator=, \
  -e frame.number -e quic.long.packet_type -e quic.short -e quic.frame_type -e http3.frame_type \
  -e quic.decryption_failed -e quic.stream.stream_id >"$FIELDS" 2>"$W/fields.err"
npk=$(wc -l <"$FIELDS")
if [ "$npk" -gt 0 ]; then ix_pass "$T captured"; ix_note "  $npk datagrams captured on port $PORT"
else ix_fail "$T captured" "no datagram on udp port $PORT in the capture"; fi

BAD=$W/bad.txt
tshark -r "$PCAP" -o "tls.keylog_file:$KEYLOG" -Y '_ws.malformed || _ws.expert.severity == error' >"$BAD" 2>"$W/bad.err"
if [ ! -s "$BAD" ]; then ix_pass "$T no-malformed-or-error"
else ix_fail "$T no-malformed-or-error" "$(wc -l <"$BAD") packet(s): $(head -n 3 "$BAD" | tr '\n' '|' | cut -c1-400)"
  tshark -r "$PCAP" -o "tls.keylog_file:$KEYLOG" -Y '_ws.malformed || _ws.expert.severity == error' -V 2>/dev/null |
    grep -iE 'malformed|expert info \(error' | sort | uniq -c | head -n 5 | sed 's/^/#     /' >&2
fi

undecrypted=$(awk -F'\t' '$6 != ""' "$FIELDS" | wc -l)
if [ "$undecrypted" -eq 0 ]; then ix_pass "$T all-decrypted"
else ix_fail "$T all-decrypted" "$undecrypted datagram(s) failed to decrypt with kite's key log (e.g. frame $(awk -F'\t' '$6 != "" {print $1; exit}' "$FIELDS"))"; fi

# QUIC STREAM frame types are 0x08..0x0f (RFC 9000 §19.8).
nstream=$(cut -f4 "$FIELDS" | tr ',' '\n' | awk '$1 >= 8 && $1 <= 15' | wc -l)
if [ "$nstream" -gt 0 ]; then ix_pass "$T quic-stream-frames"; ix_note "  $nstream QUIC STREAM frames decoded"
else ix_fail "$T quic-stream-frames" "no QUIC STREAM frame in the decrypted capture (frame types seen: $(cut -f4 "$FIELDS" | tr ',' '\n' | sort -n | uniq | tr '\n' ' '))"; fi

# HTTP/3 frame types: DATA 0x0, HEADERS 0x1 (RFC 9114 §7.2).
h3types=$(cut -f5 "$FIELDS" | tr ',' '\n' | grep -v '^$' | sort -n | uniq -c | awk '{printf "%s:%s ", $2, $1}')
nheaders=$(cut -f5 "$FIELDS" | tr ',' '\n' | awk '$1 == "1"' | wc -l)
ndata=$(cut -f5 "$FIELDS" | tr ',' '\n' | awk '$1 == "0"' | wc -l)
if [ "$nheaders" -ge 4 ]; then ix_pass "$T http3-headers-frames"
else ix_fail "$T http3-headers-frames" "$nheaders HTTP/3 HEADERS frames (2 requests + 2 responses expected); HTTP/3 frame types seen: ${h3types:-none}"; fi
# Tshark 4.0 dissects only the first HTTP/3 frame of each STREAM frame, so DATA frames that follow
# HEADERS in the same STREAM frame are invisible to it: also reassemble the decrypted streams and
# parse every HTTP/3 frame (h3_streams.py).
STREAMS=$W/h3-streams.txt
tshark -r "$PCAP" -o "tls.keylog_file:$KEYLOG" -T json -J "udp quic" --no-duplicate-keys 2>/dev/null |
  "$IX_PY" "$(dirname "$0")/h3_streams.py" "$PORT" >"$STREAMS" 2>&1
sed 's/^/#     /' "$STREAMS" >&2
resp_ok() { grep -E "^\S+ [0-9]+ response HEADERS,DATA(x[0-9]+)? data_bytes=$1 complete=yes$" "$STREAMS" >/dev/null; }
if [ "$ndata" -ge 2 ]; then ix_pass "$T http3-data-frames"; ix_note "  DATA frames seen by tshark's HTTP/3 dissector: $ndata"
elif resp_ok 1048576 && resp_ok 3000; then ix_pass "$T http3-data-frames"; ix_note "  DATA frames found by reassembling the decrypted streams (tshark's dissector showed $ndata)"
else ix_fail "$T http3-data-frames" "tshark's dissector shows $ndata DATA frames and the reassembled response streams are not HEADERS then DATA of 1048576 and 3000 bytes: $(grep response "$STREAMS" | tr '\n' '|')"; fi
if grep -q "gaps=0" "$STREAMS" && [ "$(grep -c ' request HEADERS data_bytes=0 complete=yes$' "$STREAMS")" -eq 2 ] && resp_ok 1048576 && resp_ok 3000; then
  ix_pass "$T http3-request-streams"
else ix_fail "$T http3-request-streams" "expected 2 complete requests (HEADERS only) and 2 complete responses (HEADERS, DATA...); got: $(tr '\n' '|' <"$STREAMS")"; fi
ix_note "  HTTP/3 frame types (type:count): $h3types"

if kill -0 "$IX_SERVER_PID" 2>/dev/null; then ix_pass "$T server-alive"
else ix_fail "$T server-alive" "kite server exited: $(tail -n 3 "$W/server.log" | tr '\n' ' ')"; fi
ix_finish
