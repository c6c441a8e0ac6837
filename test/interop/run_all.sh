#!/bin/bash
# Runs kite's interop scripts (ngtcp2.sh, chromium.sh, tshark.sh, impaired.sh) one after the other, passes
# their PASS/FAIL lines through, and ends with one "N passed, N failed" line summing them all
# (a script that dies without its own summary line counts as one failure).
# Exit status non-zero on any failure. Environment: see lib.sh (it is passed on to each script).
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
passed=0
failed=0
for s in ngtcp2 chromium tshark impaired; do
  out=$(mktemp)
  start=$(date +%s)
  "$HERE/$s.sh" | tee "$out"
  rc=${PIPESTATUS[0]}
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
  if [ -n "$summary" ]; then
    p=${summary%% passed*}
    f=${summary#*passed, }
    f=${f%% failed}
    passed=$((passed + p))
    failed=$((failed + f))
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
      echo "FAIL $s.sh: exited with status $rc"
      failed=$((failed + 1))
    fi
  else
    echo "FAIL $s.sh: exited with status $rc without a summary line"
    failed=$((failed + 1))
  fi
  echo "# $s.sh: $(($(date +%s) - start)) s" >&2
  rm -f "$out"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
