#!/usr/bin/env bash
# End to end: ccbench runs a scenario file with a flag override and writes every output; bad
# input is refused with exit status 2.
set -euo pipefail
CCBENCH="$1"
OUT="${TEST_TMPDIR:-/tmp}/ccbench-cli"
rm -rf "$OUT"
cat > "$OUT.txt" <<'SCEN'
# two flows, short and slow so the test is quick
name = cli-smoke
cc = newreno,cubic
rate_mbps = 4
rtt_ms = 20
buffer_bdp = 2
duration_s = 3
SCEN
"$CCBENCH" --scenario="$OUT.txt" --seed=5 --out="$OUT" --quiet > "$OUT.stdout"
for f in summary.csv flows.csv summary.json summary.md report.html cli-smoke.timeseries.csv; do
  [[ -s "$OUT/$f" ]] || { echo "missing $f"; exit 1; }
done
grep -q '"name": "cli-smoke"' "$OUT/summary.json"
grep -q 'newreno+cubic' "$OUT/summary.md"
grep -q '<svg' "$OUT/report.html"
[[ $(grep -c '^cli-smoke,1,cubic,' "$OUT/cli-smoke.timeseries.csv") -gt 100 ]]
grep -q '| cli-smoke |' "$OUT.stdout"
status=0
"$CCBENCH" --bogus_key=1 --out="$OUT" --quiet 2> "$OUT.err" || status=$?
[[ $status -eq 2 ]] || { echo "bad key: exit $status"; exit 1; }
grep -q 'unknown scenario key: bogus_key' "$OUT.err"
status=0
"$CCBENCH" --cc=nonexistent --out="$OUT" --quiet 2> "$OUT.err" || status=$?
[[ $status -eq 2 ]] || { echo "bad cc: exit $status"; exit 1; }
grep -q 'registered controllers' "$OUT.err"
echo PASS
