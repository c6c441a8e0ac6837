#!/bin/sh
# Installs, from Debian 12's apt repositories, whatever kite's build needs and is missing.
# Extra package names given as arguments are installed too. Runs as root (or via sudo).
set -eu
PKGS="bazel-bootstrap android-libboringssl-dev libabsl-dev catch2 libbenchmark-dev libnghttp3-dev pkg-config build-essential $*"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get -o DPkg::Lock::Timeout=900 update -q >&2
# shellcheck disable=SC2086
$SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends $missing >&2
