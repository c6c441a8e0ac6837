#!/usr/bin/env python3
"""Reads qlog traces (JSON-SEQ or newline-delimited JSON, one file per connection) for the interop
scripts. Accepts both the draft-ietf-quic-qlog "transport:" / "quic:" event names used by ngtcp2
and kite.

  qlog_check.py traces DIR              number of trace files in DIR
  qlog_check.py zero_rtt DIR            0-RTT packets received that carried STREAM frames, summed
                                        over DIR's traces (a server that decrypted them accepted 0-RTT)
  qlog_check.py concurrency DIR         largest number of client-initiated bidirectional streams
                                        open at once in one trace, from the server's view: a stream
                                        is open from its first received STREAM frame to the first
                                        sent STREAM frame with FIN
  qlog_check.py key_phases DIR          distinct key_phase values of sent/received 1-RTT packets
Prints the number; the exit status is 0 when it is > 0 (traces, zero_rtt), >= 2 (concurrency).
"""
import json
import os
import sys


def events(path):
    with open(path, "rb") as f:
        data = f.read().decode("utf-8", "replace")
    for chunk in data.replace("\x1e", "\n").split("\n"):
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            yield json.loads(chunk)
        except ValueError:
            continue


def traces(d):
    if not os.path.isdir(d):
        return []
    return sorted(os.path.join(d, n) for n in os.listdir(d)
                  if n.endswith((".sqlog", ".qlog", ".json")))


def name_of(e):
    return str(e.get("name") or e.get("event") or "")


def header(e):
    return (e.get("data") or {}).get("header") or {}


def frames(e):
    return (e.get("data") or {}).get("frames") or []


def zero_rtt(d):
    n = 0
    for t in traces(d):
        for e in events(t):
            if not name_of(e).endswith("packet_received"):
                continue
            if str(header(e).get("packet_type", "")).lower() != "0rtt":
                continue
            if any(f.get("frame_type") == "stream" for f in frames(e)):
                n += 1
    return n


def concurrency(d):
    best = 0
    for t in traces(d):
        opened, closed = {}, {}
        seq = 0
        for e in events(t):
            seq += 1
            name = name_of(e)
            when = (float(e.get("time", 0)), seq)
            for f in frames(e):
                if f.get("frame_type") != "stream":
                    continue
                sid = int(f.get("stream_id", -1))
                if sid < 0 or sid % 4 != 0:
                    continue
                if name.endswith("packet_received"):
                    opened.setdefault(sid, when)
                elif name.endswith("packet_sent") and f.get("fin"):
                    closed.setdefault(sid, when)
        points = []
        for sid, t0 in opened.items():
            points.append((t0, 1))
            points.append((closed.get(sid, (float("inf"), 0)), -1))
        points.sort(key=lambda p: (p[0], p[1]))
        cur = 0
        for _, delta in points:
            cur += delta
            best = max(best, cur)
    return best


def key_phases(d):
    seen = set()
    for t in traces(d):
        for e in events(t):
            h = header(e)
            if "key_phase" in h:
                seen.add(int(h["key_phase"]) if not isinstance(h["key_phase"], str)
                         else h["key_phase"])
            elif "key_phase_bit" in h:
                seen.add(h["key_phase_bit"])
    return len(seen)


def main():
    if len(sys.argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    cmd, d = sys.argv[1], sys.argv[2]
    if cmd == "traces":
        n = len(traces(d))
        ok = n > 0
    elif cmd == "zero_rtt":
        n = zero_rtt(d)
        ok = n > 0
    elif cmd == "concurrency":
        n = concurrency(d)
        ok = n >= 2
    elif cmd == "key_phases":
        n = key_phases(d)
        ok = n >= 2
    else:
        sys.stderr.write(__doc__)
        return 2
    print(n)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
