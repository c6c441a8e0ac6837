#!/usr/bin/env python3
"""Reassembles the QUIC STREAM data that tshark decrypted and parses the HTTP/3 frames on each
bidirectional request stream (RFC 9114 §7.1: type varint, length varint, payload). Tshark 4.0's
HTTP/3 dissector shows only the first HTTP/3 frame of each STREAM frame, so a DATA frame that
follows a HEADERS frame inside one STREAM frame is invisible to it; this script sees every frame.

Usage: tshark -r CAP -o tls.keylog_file:K -T json -J "udp quic" --no-duplicate-keys | \
         h3_streams.py SERVER_PORT
Prints one line per request stream and direction:
  <client port> <stream id> <request|response> <frame types> data_bytes=<N> complete=<yes|no>
and a summary line "headers=N data=N streams=N gaps=N". Exit status 0 when at least one response
has HEADERS followed by DATA.
"""
import json
import sys


def as_list(v):
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def varint(buf, i):
    if i >= len(buf):
        return None, i
    first = buf[i]
    n = 1 << (first >> 6)
    if i + n > len(buf):
        return None, i
    v = first & 0x3F
    for b in buf[i + 1:i + n]:
        v = (v << 8) | b
    return v, i + n


def main():
    server_port = sys.argv[1]
    packets = json.load(sys.stdin)
    # (conn, stream id, direction) -> {offset: bytes}, fin offset
    chunks = {}
    fins = {}
    for pkt in packets:
        layers = pkt.get("_source", {}).get("layers", {})
        udp = layers.get("udp")
        if isinstance(udp, list):
            udp = udp[0]
        if not udp:
            continue
        src, dst = str(udp.get("udp.srcport")), str(udp.get("udp.dstport"))
        if server_port not in (src, dst):
            continue
        direction = "response" if src == server_port else "request"
        conn = "client-port-" + (dst if src == server_port else src)  # one connection per client port here
        for q in as_list(layers.get("quic")):
            for fr in as_list(q.get("quic.frame")):
                if not isinstance(fr, dict):
                    continue
                ftype = as_list(fr.get("quic.frame_type"))
                if not ftype or not 8 <= int(ftype[0]) <= 15:
                    continue
                sid = int(as_list(fr.get("quic.stream.stream_id"))[0])
                if sid % 4 != 0:
                    continue
                off = int(as_list(fr.get("quic.stream.offset") or ["0"])[0])
                data = as_list(fr.get("quic.stream_data"))
                raw = bytes.fromhex(data[0].replace(":", "")) if data else b""
                key = (conn, sid, direction)
                chunks.setdefault(key, {})
                prev = chunks[key].get(off)
                if prev is None or len(raw) > len(prev):
                    chunks[key][off] = raw
                if int(ftype[0]) & 0x01:
                    fins[key] = off + len(raw)
    total_headers = total_data = gaps = 0
    good_response = False
    for key in sorted(chunks, key=lambda k: (k[0], k[1], k[2])):
        buf = bytearray()
        complete = True
        for off in sorted(chunks[key]):
            raw = chunks[key][off]
            if off > len(buf):
                complete = False
                break
            if off + len(raw) > len(buf):
                buf += raw[len(buf) - off:]
        if key in fins and len(buf) < fins[key]:
            complete = False
        if key not in fins:
            complete = False
        if not complete:
            gaps += 1
        types = []
        data_bytes = 0
        i = 0
        while i < len(buf):
            t, j = varint(buf, i)
            if t is None:
                break
            ln, k = varint(buf, j)
            if ln is None:
                break
            if t == 0x1:
                types.append("HEADERS")
                total_headers += 1
            elif t == 0x0:
                types.append("DATA")
                total_data += 1
                data_bytes += min(ln, len(buf) - k)
            else:
                types.append(hex(t))
            i = k + ln
        if key[2] == "response" and types[:1] == ["HEADERS"] and "DATA" in types:
            good_response = True
        runs = []  # consecutive equal types collapsed: HEADERS,DATAx16
        for t in types:
            if runs and runs[-1][0] == t:
                runs[-1][1] += 1
            else:
                runs.append([t, 1])
        shown = ",".join(t if n == 1 else "%sx%d" % (t, n) for t, n in runs)
        print("%s %d %s %s data_bytes=%d complete=%s" % (key[0], key[1], key[2], shown or "-",
                                                         data_bytes, "yes" if complete else "no"))
    print("headers=%d data=%d streams=%d gaps=%d" % (total_headers, total_data, len(chunks), gaps))
    return 0 if good_response else 1


if __name__ == "__main__":
    sys.exit(main())
