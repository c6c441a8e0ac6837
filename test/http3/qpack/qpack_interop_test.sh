#!/bin/sh
# Round-trips a QIF through //tools/qpack:qpack_interop (encode, then decode) and decodes a
# file of another encoder; an error file must make the tool fail.
# Usage: qpack_interop_test.sh <qpack_interop binary> <qifs data directory>
set -eu
BIN="$1"
QIFS="$2"
TMP="${TEST_TMPDIR:-$(mktemp -d)}"

# QIF without comments, one blank line between lists and none at either end.
canonical() {
  grep -v '^#' "$1" | awk 'length($0) > 0 { if (gap && seen) print ""; print; seen = 1; gap = 0; next } { gap = 1 }'
}

canonical "$QIFS/qifs/netbsd.qif" > "$TMP/expected.qif"

for settings in "0 0" "256 0" "4096 100 --immediate-ack"; do
  set -- $settings
  "$BIN" encode "$QIFS/qifs/netbsd.qif" "$TMP/netbsd.out" --table-size "$1" --max-blocked "$2" ${3:-}
  "$BIN" decode "$TMP/netbsd.out" "$TMP/decoded.qif" --table-size "$1" --max-blocked "$2"
  canonical "$TMP/decoded.qif" > "$TMP/decoded.canonical.qif"
  cmp "$TMP/expected.qif" "$TMP/decoded.canonical.qif"
  echo "round trip at table $1, blocked $2 ${3:-}: $(wc -c < "$TMP/netbsd.out") bytes, lists match"
done

# Settings from the file name.
"$BIN" decode "$QIFS/encoded/qpack-05/ls-qpack/netbsd.out.4096.100.1" "$TMP/ls.qif"
canonical "$TMP/ls.qif" > "$TMP/ls.canonical.qif"
cmp "$TMP/expected.qif" "$TMP/ls.canonical.qif"
echo "ls-qpack netbsd.out.4096.100.1 decodes to netbsd.qif"

if "$BIN" decode "$QIFS/encoded/errors/err1" "$TMP/err.qif" --table-size 4096 --max-blocked 100 2>/dev/null; then
  echo "err1 decoded but must fail" >&2
  exit 1
fi
echo "err1 rejected"
