#!/bin/sh
# Runs every kite test: installs what is missing, then `bazel test //...` and, with --asan (or
# KITE_ASAN=1), the same suite again under AddressSanitizer + UBSan. Ends with a plain line
# "N passed, N failed" counting Bazel test targets (a target passes only if it passed in every
# configuration run). Extra arguments go to bazel test.
set -u
cd "$(dirname "$0")/.."
ASAN="${KITE_ASAN:-0}"
if [ "${1:-}" = "--asan" ]; then ASAN=1; shift; fi
tools/install_deps.sh || { echo "0 passed, 1 failed"; exit 1; }
LOG=$(mktemp -d)
rc=0
bazel test --keep_going --test_summary=short "$@" //... 2>&1 | tee "$LOG/fast.log" || true
configs="fast"
if [ "$ASAN" = "1" ]; then
  bazel query 'attr(tags, "\bheavy\b", tests(//...))' 2>/dev/null > "$LOG/heavy.txt" || : > "$LOG/heavy.txt"
  # Simulation-heavy targets (tag "heavy": the ccbench validation runs) are run only in the plain
  # configuration; the code they drive is covered under ASan by the connection tests.
  bazel test --config=asan --keep_going --test_summary=short --test_tag_filters=-heavy "$@" //... 2>&1 | tee "$LOG/asan.log" || true
  configs="fast asan"
fi
python3 - "$LOG" $configs <<'PY' || rc=1
import re, sys
log_dir, configs = sys.argv[1], sys.argv[2:]
status = {}
# Targets tagged heavy are skipped under ASan; bazel query lists them.
heavy = set(open(f"{log_dir}/heavy.txt").read().split()) if "asan" in configs else set()
line_re = re.compile(r"^(//\S+)\s+(?:\(cached\)\s+)?(PASSED|FAILED|FLAKY|TIMEOUT|NO STATUS|FAILED TO BUILD|SKIPPED|INCOMPLETE)\b")
for cfg in configs:
    seen = set()
    for line in open(f"{log_dir}/{cfg}.log", errors="replace"):
        m = line_re.match(line.strip())
        if not m:
            continue
        target, result = m.group(1), m.group(2)
        seen.add(target)
        ok = result == "PASSED"
        status[target] = status.get(target, True) and ok
    for t in list(status):
        if t not in seen and not (cfg == "asan" and t in heavy):
            status[t] = False
if not status:
    print("0 passed, 1 failed")
    sys.exit(1)
passed = sum(1 for v in status.values() if v)
failed = len(status) - passed
for t, v in sorted(status.items()):
    if not v:
        print("FAILED:", t)
print(f"{passed} passed, {failed} failed")
sys.exit(0 if failed == 0 else 1)
PY
rm -rf "$LOG"
exit $rc
