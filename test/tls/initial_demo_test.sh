#!/bin/bash
# Runs tools/initial_demo for both versions: it must exit 0 (its own byte comparison with the
# RFC's protected packet passed) and report MATCH and the recovered payload.
set -u
demo="$1"
for version in 1 2; do
  out="$("$demo" --version="$version" 2>&1)"
  rc=$?
  if [[ $rc -ne 0 ]]; then
    echo "initial_demo --version=$version exited $rc"
    echo "$out"
    exit 1
  fi
  for needle in "protected packet: MATCH" "recovered packet number: 2" "payload equals original: yes"; do
    if ! grep -qF "$needle" <<<"$out"; then
      echo "initial_demo --version=$version: missing '$needle'"
      echo "$out"
      exit 1
    fi
  done
done
# An unknown version is refused.
if "$demo" --version=3 >/dev/null 2>&1; then
  echo "initial_demo --version=3 should fail"
  exit 1
fi
echo "PASS"
