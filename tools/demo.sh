#!/bin/sh
# The README's demo: installs what is missing, builds, and takes the RFC 9001 Appendix A.2 client
# Initial through key derivation, packet protection and back, printing each step (QUIC v1, then v2).
set -eu
cd "$(dirname "$0")/.."
tools/install_deps.sh
bazel build -c opt //tools:initial_demo
./bazel-bin/tools/initial_demo --version=1
echo
./bazel-bin/tools/initial_demo --version=2
