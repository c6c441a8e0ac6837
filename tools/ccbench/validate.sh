#!/usr/bin/env bash
# Runs the full ccbench validation matrix (the manual //test/ccbench:validation_full_*_test: NewReno
# vs Mathis, CUBIC vs RFC 9438, BBR/BBRv1/CUBIC at 1% loss, 10 BDP buffers, two-flow fairness of
# NewReno/CUBIC/BBR/BBRv1, BBR vs CUBIC) in an opt build and prints the measured table. Takes a
# few minutes on two cores.
#
#   tools/ccbench/validate.sh [extra bazel flags, e.g. --output_base=...]  (startup options go in
#   BAZEL_STARTUP, e.g. BAZEL_STARTUP=--output_base=/root/.cache/bazel-me)
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck disable=SC2086
bazel ${BAZEL_STARTUP:-} test --config=opt --test_output=all --nocache_test_results --test_timeout=7200 \
  "$@" $(for r in mathis01 mathis1 cubic loss loss_bbr1 buffer_newreno buffer_cubic buffer_bbr buffer_bbr1 fairness_newreno fairness_cubic fairness_bbr fairness_bbr1 mixed; do echo //test/ccbench:validation_full_${r}_test; done) \
  | tee /tmp/ccbench-validate.log || status=$?
echo
echo "| row | measured | reference | tolerance | verdict |"
echo "|---|---|---|---|---|"
grep '^VALIDATION|' /tmp/ccbench-validate.log | sed 's/^VALIDATION//; s/$/|/'
exit "${status:-0}"
